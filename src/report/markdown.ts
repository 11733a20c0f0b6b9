// `-o markdown` (DESIGN §2.6): for an incident channel, a PR comment or a job summary. Summary table,
// then the findings by check with their fix steps, evidence folded away in <details>. Every string
// from the cluster goes through md(): a pod name must not end a table row, open a code span, inject
// HTML or a link, so it renders as the characters it is.
import type { Finding, Severity } from '../engine/types.js';
import { ruleLabel, targetLabel } from './finding-names.js';
import type { Report } from './model.js';
import { sanitizeDeep } from './sanitize.js';

const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];
const ICON: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };

/** Escape for inline Markdown (GFM): one line, no markup, no HTML, no table cell break. */
export function md(s: string): string {
  return s
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    // Backslash-escape what could open emphasis, code, links, strikethrough, or end a table cell.
    .replace(/[\\`*_[\]|~]/g, (ch) => `\\${ch}`)
    // An @mention in an event message is text, not a ping of whoever it names.
    .replace(/@/g, '@\u200b');
}

export function renderMarkdown(input: Report): string {
  const r = sanitizeDeep(input);
  const out: string[] = [];
  const cl = r.cluster;
  out.push('# kubectl-checkup report', '');
  const where = [
    cl.context ? `context **${md(cl.context)}**` : 'no context',
    cl.server ? md(cl.server) : '',
    cl.version ? `Kubernetes ${md(cl.version)}` : '',
    `${md(r.source)} · ${md(r.startedAt)}`,
  ].filter(Boolean);
  out.push(where.join(' · '), '');

  const s = r.summary;
  out.push(`**${s.findings.critical} critical · ${s.findings.warning} warning · ${s.findings.info} info**` +
    `${s.suppressed ? ` · ${s.suppressed} suppressed` : ''}${s.fixed !== undefined ? ` · ${s.fixed} fixed since the baseline` : ''}` +
    ` · checks: ${s.checks.pass} pass, ${s.checks.fail} fail, ${s.checks.skip} skip, ${s.checks.error} error` +
    `${s.nodes.total ? ` · nodes: ${s.nodes.reached} of ${s.nodes.total} reached` : ''}`, '');

  out.push('| Check | Status | Critical | Warning | Info | Note |', '|---|---|---:|---:|---:|---|');
  for (const c of r.checks) {
    const n = counts(r.findings.filter((f) => f.check === c.id));
    out.push(`| ${md(c.id)} | ${c.status} | ${n.critical} | ${n.warning} | ${n.info} | ${c.reason ? md(c.reason) : ''} |`);
  }

  if (r.findings.length) {
    out.push('', '## Findings');
    const order = [...new Set(r.findings.map((f) => f.check))];
    for (const check of order) {
      const title = r.checks.find((c) => c.id === check)?.title;
      out.push('', `### ${md(check)}${title ? ` — ${md(title)}` : ''}`);
      const own = r.findings.filter((f) => f.check === check);
      for (const sev of SEVERITIES) for (const f of own.filter((x) => x.severity === sev)) out.push('', ...finding(f));
    }
  }

  if (r.suppressed.length) {
    out.push('', '## Suppressed', '', '| Target | Rule | By | Reason | Until |', '|---|---|---|---|---|');
    for (const f of r.suppressed) {
      out.push(`| ${md(targetLabel(f.target))} | ${md(ruleLabel(f))} | ${md(f.suppression.by)} | ${md(f.suppression.reason)} | ${f.suppression.until ? md(f.suppression.until) : ''} |`);
    }
  }

  if (r.gaps.length) {
    out.push('', '## Not collected', '');
    for (const g of r.gaps) out.push(`- ${g.source === 'api' ? `api ${md(g.resource)}` : `ssh ${md(g.node)}${g.probe ? ` \\[${md(g.probe)}\\]` : ''}`}: ${md(g.reason)}`);
  }

  if (r.warnings.length) {
    out.push('', '## Warnings', '');
    for (const w of r.warnings) out.push(`- **${md(w.code)}**: ${md(w.message)}`);
  }
  return out.join('\n') + '\n';
}

function finding(f: Finding): string[] {
  const lines = [
    `#### ${ICON[f.severity]} ${f.severity.toUpperCase()} · ${md(targetLabel(f.target))}`,
    '',
    `${md(f.message)}`,
    '',
    `Rule: ${md(ruleLabel(f))}${f.location ? ` · manifest: ${md(`${f.location.file}:${f.location.line}`)}` : ''}`,
    '',
    `**Fix:** ${md(f.remediation.summary)}`,
  ];
  const steps = f.remediation.steps ?? [];
  if (steps.length) lines.push('', ...steps.map((st, i) => `${i + 1}. ${st.split(/\r\n|\r|\n/).map(md).join('<br>')}`));
  if (f.docs) lines.push('', `Docs: ${/^https?:\/\/[^\s<>()]+$/.test(f.docs) ? `<${f.docs}>` : md(f.docs)}`);
  const data = {
    ...(f.expected !== undefined ? { expected: f.expected } : {}),
    ...(f.actual !== undefined ? { actual: f.actual } : {}),
    ...(f.evidence ? { evidence: f.evidence } : {}),
  };
  if (Object.keys(data).length) lines.push('', '<details><summary>Evidence</summary>', '', ...codeBlock(JSON.stringify(data, null, 2)), '', '</details>');
  return lines;
}

/** A fenced block no content can close: the fence is longer than any backtick run inside. */
function codeBlock(text: string): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}json`, text, fence];
}

function counts(findings: Finding[]): Record<Severity, number> {
  const n = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) n[f.severity]++;
  return n;
}
