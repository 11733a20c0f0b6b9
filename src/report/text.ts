// The human report, for someone woken at 3 a.m.: the worst problems first, one compact block per
// finding (target, message, numbered fix), then the check table and the summary. `-o wide` adds each
// finding's expected/actual and evidence (kubectl's habit); the machine formats always carry them.
// Colour only when the caller says so.
import { Chalk, type ChalkInstance } from 'chalk';
import type { CheckStatus, Finding, Severity } from '../engine/types.js';
import { evidenceTime } from '../kube/events.js';
import { ruleLabel, targetLabel } from './finding-names.js';
import type { Report, SuppressedFinding, Suppression } from './model.js';
import { sanitizeDeep, sanitizeLine } from './sanitize.js';

export interface TextOptions {
  colorLevel: 0 | 1 | 2 | 3;
  /** `-o wide`: every finding with expected/actual and its evidence, and each suppressed finding. */
  wide?: boolean;
  /** Where the data came from: a replayed snapshot is said so, with its collection time. */
  snapshot?: { collectedAt: Date };
  /** False with --no-ssh: the node line then says nodes were not probed rather than "0 reached". */
  ssh?: boolean;
}

const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];

export function renderText(report: Report, opts: TextOptions): string {
  const c = new Chalk({ level: opts.colorLevel });
  const out: string[] = [];
  const cl = report.cluster;
  const where = report.source === 'manifests' ? 'manifests, no cluster' : cl.context ? `context ${sanitizeLine(cl.context)}${cl.server ? ` (${sanitizeLine(cl.server)})` : ''}` : 'no context';
  const source = opts.snapshot ? ` · snapshot collected ${evidenceTime(opts.snapshot.collectedAt.getTime())}` : '';
  out.push(c.bold(`kubectl-checkup ${report.tool.version}`) + c.dim(` · ${where}${cl.version ? ` · Kubernetes ${sanitizeLine(cl.version)}` : ''}${source}`));

  if (report.findings.length) {
    out.push('', c.bold('FINDINGS') + c.dim(opts.wide ? ' (worst first)' : ' (worst first; evidence with -o wide)'));
    // Worst first across checks; within a severity the report's order (by check, then target) holds.
    for (const severity of SEVERITIES) {
      // No spread into push: a report can hold more lines than a call may take arguments.
      for (const f of report.findings.filter((x) => x.severity === severity)) {
        out.push('');
        for (const line of renderFinding(c, f, Boolean(opts.wide))) out.push(line);
      }
    }
  }

  out.push('', c.bold('CHECKS'));
  const width = report.checks.reduce((w, r) => Math.max(w, r.id.length), 10);
  for (const r of report.checks) {
    const counts = countBySeverity(report.findings.filter((f) => f.check === r.id));
    const detail = r.status === 'fail' || (r.status === 'pass' && counts) ? c.dim(`  ${counts}`) : '';
    const reason = r.reason ? c.dim(` — ${sanitizeLine(r.reason)}`) : '';
    out.push(`${statusTag(c, r.status)} ${sanitizeLine(r.id).padEnd(width)}  ${sanitizeLine(r.title)}${detail}${reason}`);
  }

  if (opts.wide && report.suppressed.length) {
    out.push('', c.bold('SUPPRESSED'));
    for (const f of report.suppressed) out.push(`  ${sanitizeLine(targetLabel(f.target))} (${sanitizeLine(ruleLabel(f))}) — ${suppressionText(f.suppression)}`);
  }

  if (report.warnings.length) {
    out.push('', c.bold.yellow('WARNINGS'));
    for (const w of report.warnings) out.push(`  ${c.yellow(sanitizeLine(w.code))}: ${sanitizeLine(w.message)}`);
  }

  const s = report.summary;
  out.push('', c.bold('SUMMARY'));
  out.push(`checks:     ${s.checks.pass} pass, ${s.checks.fail} fail, ${s.checks.skip} skip, ${s.checks.error} error`);
  out.push(`findings:   ${c.red(`${s.findings.critical} critical`)}, ${c.yellow(`${s.findings.warning} warning`)}, ${c.blue(`${s.findings.info} info`)}`);
  if (s.suppressed) out.push(`suppressed: ${s.suppressed}${suppressedBy(report.suppressed)}${opts.wide ? '' : c.dim(' — listed with -o wide')}`);
  if (s.fixed !== undefined) out.push(`fixed:      ${s.fixed} (in the baseline, no longer found)`);
  if (s.nodes.total) {
    out.push(`nodes:      ${opts.ssh === false ? `${s.nodes.total} not probed (--no-ssh)`
      : opts.snapshot ? `${s.nodes.reached} of ${s.nodes.total} reached when the snapshot was collected`
      : `${s.nodes.reached} of ${s.nodes.total} reached over SSH`}`);
  }
  if (report.gaps.length) {
    out.push(`gaps:       ${report.gaps.length} (data that could not be collected)`);
    for (const g of report.gaps) {
      const what = g.source === 'api' ? `api ${g.resource}` : `${g.source} ${g.node}${g.probe ? ` [${g.probe}]` : ''}`;
      out.push(c.dim(`  - ${sanitizeLine(what)}: ${sanitizeLine(g.reason)}`));
    }
  }
  return out.join('\n') + '\n';
}

function renderFinding(c: ChalkInstance, f: Finding, wide: boolean): string[] {
  const lines = [`${severityTag(c, f.severity)} ${c.bold(sanitizeLine(targetLabel(f.target)))}  ${c.dim(sanitizeLine(ruleLabel(f)))}`];
  // A manifest finding is fixed in a file: where comes before what.
  if (f.location) lines.push(`  at ${sanitizeLine(`${f.location.file}:${f.location.line}${f.location.source ? ` (${f.location.source})` : ''}`)}`);
  // One line each: a newline inside a string came from the cluster (a probe path, a kernel version)
  // and would forge a line of its own; sanitizeLine shows it as \n.
  lines.push(`  ${sanitizeLine(f.message)}`);
  if (wide) {
    if (f.expected !== undefined) lines.push(c.dim(`  expected: ${sanitizeLine(f.expected)}`));
    if (f.actual !== undefined) lines.push(c.dim(`  actual:   ${sanitizeLine(f.actual)}`));
    if (f.evidence && Object.keys(f.evidence).length) {
      lines.push(c.dim('  evidence:'));
      // Cut off at a sane depth first: evidence can carry structures from the cluster.
      for (const [k, v] of Object.entries(sanitizeDeep(f.evidence))) {
        if (v !== undefined) for (const l of formatValue(k, v, 4)) lines.push(c.dim(l));
      }
    }
  }
  lines.push(`  ${c.green('fix:')} ${sanitizeLine(f.remediation.summary)}`);
  (f.remediation.steps ?? []).forEach((step, i) => lines.push(`    ${i + 1}. ${sanitizeLine(step)}`));
  if (f.docs) lines.push(c.dim(`  docs: ${sanitizeLine(f.docs)}`));
  return lines;
}

function suppressionText(s: Suppression): string {
  return `by ${s.by}: ${sanitizeLine(s.reason)}${s.until ? ` (until ${sanitizeLine(s.until)})` : ''}`;
}

/** " (2 by config, 1 by baseline)" — who silenced what matters more than how many. */
function suppressedBy(list: SuppressedFinding[]): string {
  const n = new Map<string, number>();
  for (const f of list) n.set(f.suppression.by, (n.get(f.suppression.by) ?? 0) + 1);
  return n.size ? ` (${[...n].map(([by, k]) => `${k} by ${sanitizeLine(by)}`).join(', ')})` : '';
}

/** Evidence is plain data: scalars inline, short scalar lists joined, objects and long lists nested. */
function formatValue(key: string, v: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const scalar = (x: unknown) => (x === null || typeof x !== 'object');
  const show = (x: unknown) => sanitizeLine(typeof x === 'string' ? x : JSON.stringify(x) ?? String(x));
  key = sanitizeLine(key);
  if (scalar(v)) return [`${pad}${key}: ${show(v)}`];
  if (Array.isArray(v)) {
    if (!v.length) return [`${pad}${key}: (none)`];
    if (v.every(scalar) && v.map(show).join(', ').length <= 100) return [`${pad}${key}: ${v.map(show).join(', ')}`];
    return [`${pad}${key}:`, ...v.flatMap((x) => (scalar(x) ? [`${pad}  - ${show(x)}`] : [`${pad}  - ${inline(x as object)}`]))];
  }
  return [`${pad}${key}:`, ...Object.entries(v as object).filter(([, x]) => x !== undefined).flatMap(([k, x]) => formatValue(k, x, indent + 2))];
}

function inline(o: object): string {
  return sanitizeLine(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' '));
}

function countBySeverity(findings: Finding[]): string {
  const n = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) n[f.severity]++;
  return SEVERITIES.filter((s) => n[s]).map((s) => `${n[s]} ${s}`).join(', ');
}

function statusTag(c: ChalkInstance, s: CheckStatus): string {
  const tags: Record<CheckStatus, string> = {
    pass: c.green('[PASS] '), fail: c.red('[FAIL] '), skip: c.dim('[SKIP] '), error: c.magenta('[ERROR]'),
  };
  return tags[s];
}

function severityTag(c: ChalkInstance, s: Severity): string {
  const tags: Record<Severity, string> = {
    critical: c.red.bold('CRITICAL'), warning: c.yellow.bold('WARNING '), info: c.blue('INFO    '),
  };
  return tags[s];
}
