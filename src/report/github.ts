// `-o github` (DESIGN §2.6): GitHub Actions workflow commands, one line per finding, which the runner
// turns into annotations on the run and, with file and line, on the pull request's diff. Escaped as
// the Actions toolkit does: data %, CR, LF; property values also ':' and ','. A newline in a pod name
// could otherwise start a second command of the attacker's choosing.
import type { Finding, Severity } from '../engine/types.js';
import { ruleLabel, targetLabel } from './finding-names.js';
import type { Report } from './model.js';
import { sanitizeDeep, sanitizeLine } from './sanitize.js';

const COMMAND: Record<Severity, string> = { critical: 'error', warning: 'warning', info: 'notice' };

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderGithub(input: Report): string {
  const r = sanitizeDeep(input);
  const lines = r.findings.map(command);
  const s = r.summary;
  // Plain lines are just log text: a one-line tally under the annotations.
  lines.push(`kubectl-checkup: ${s.findings.critical} critical, ${s.findings.warning} warning, ${s.findings.info} info` +
    `${s.suppressed ? `, ${s.suppressed} suppressed` : ''}${r.gaps.length ? `; ${r.gaps.length} gap(s): data that could not be collected` : ''}`);
  // Report warnings (an expired suppression, an unknown config key) as log text, each on one line
  // that cannot begin a command.
  for (const w of r.warnings) lines.push(`kubectl-checkup warning ${sanitizeLine(w.code)}: ${sanitizeLine(w.message)}`);
  return lines.join('\n') + '\n';
}

function command(f: Finding): string {
  const props: string[] = [];
  // Only a manifest finding has a file in the repository; a cluster object has none to point at.
  // From stdin (helm template | kubectl checkup -f -) the Helm template is the file, its line unknown.
  const loc = f.location;
  if (loc && loc.file !== '<stdin>') props.push(`file=${escapeProperty(loc.file)}`, `line=${loc.line}`);
  else if (loc?.source) props.push(`file=${escapeProperty(loc.source)}`);
  props.push(`title=${escapeProperty(`${ruleLabel(f)}: ${targetLabel(f.target)}`)}`);
  const text = `${f.message}\nFix: ${f.remediation.summary}${(f.remediation.steps ?? []).map((st, i) => `\n${i + 1}. ${st}`).join('')}`;
  return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(text)}`;
}
