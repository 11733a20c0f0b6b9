// The human report (kube-bench layout): status per check → findings with evidence, expected/actual
// and remediation → summary with counts and gaps. Colour only when the caller says so.
import { Chalk, type ChalkInstance } from 'chalk';
import type { CheckStatus, Finding, Severity } from '../engine/types.js';
import { evidenceTime } from '../kube/events.js';
import type { Report } from './model.js';
import { sanitizeDeep, sanitizeLine } from './sanitize.js';

export interface TextOptions {
  colorLevel: 0 | 1 | 2 | 3;
  /** Where the data came from: a replayed snapshot is said so, with its collection time. */
  snapshot?: { collectedAt: Date };
  /** False with --no-ssh: the node line then says nodes were not probed rather than "0 reached". */
  ssh?: boolean;
}

export function renderText(report: Report, opts: TextOptions): string {
  const c = new Chalk({ level: opts.colorLevel });
  const out: string[] = [];
  const cl = report.cluster;
  const where = cl.context ? `context ${sanitizeLine(cl.context)}${cl.server ? ` (${sanitizeLine(cl.server)})` : ''}` : 'no context';
  const source = opts.snapshot ? ` · snapshot collected ${evidenceTime(opts.snapshot.collectedAt.getTime())}` : '';
  out.push(c.bold(`kubectl-checkup ${report.tool.version}`) + c.dim(` · ${where}${cl.version ? ` · Kubernetes ${sanitizeLine(cl.version)}` : ''}${source}`));
  out.push('');

  out.push(c.bold('CHECKS'));
  const width = report.checks.reduce((w, r) => Math.max(w, r.id.length), 10);
  for (const r of report.checks) {
    const counts = countBySeverity(report.findings.filter((f) => f.check === r.id));
    const detail = r.status === 'fail' || (r.status === 'pass' && counts) ? c.dim(`  ${counts}`) : '';
    const reason = r.reason ? c.dim(` — ${sanitizeLine(r.reason)}`) : '';
    out.push(`${statusTag(c, r.status)} ${r.id.padEnd(width)}  ${r.title}${detail}${reason}`);
  }

  if (report.findings.length) {
    out.push('', c.bold('FINDINGS'));
    let lastCheck = '';
    for (const f of report.findings) {
      if (f.check !== lastCheck) {
        const title = report.checks.find((r) => r.id === f.check)?.title ?? '';
        out.push('', c.bold.underline(`${f.check}`) + c.dim(` — ${title}`));
        lastCheck = f.check;
      }
      // No spread into push: a report can hold more lines than a call may take arguments.
      for (const line of renderFinding(c, f)) out.push(line);
    }
  }

  const s = report.summary;
  out.push('', c.bold('SUMMARY'));
  out.push(`checks:   ${s.checks.pass} pass, ${s.checks.fail} fail, ${s.checks.skip} skip, ${s.checks.error} error`);
  out.push(`findings: ${c.red(`${s.findings.critical} critical`)}, ${c.yellow(`${s.findings.warning} warning`)}, ${c.blue(`${s.findings.info} info`)}`);
  if (s.nodes.total) {
    out.push(`nodes:    ${opts.ssh === false ? `${s.nodes.total} not probed (--no-ssh)`
      : opts.snapshot ? `${s.nodes.reached} of ${s.nodes.total} reached when the snapshot was collected`
      : `${s.nodes.reached} of ${s.nodes.total} reached over SSH`}`);
  }
  if (report.gaps.length) {
    out.push(`gaps:     ${report.gaps.length} (data that could not be collected)`);
    for (const g of report.gaps) {
      const what = g.source === 'api' ? `api ${g.resource}` : `ssh ${g.node}${g.probe ? ` [${g.probe}]` : ''}`;
      out.push(c.dim(`  - ${sanitizeLine(what)}: ${sanitizeLine(g.reason)}`));
    }
  }
  return out.join('\n') + '\n';
}

function renderFinding(c: ChalkInstance, f: Finding): string[] {
  const t = f.target;
  const target = `${t.kind}/${t.namespace ? `${t.namespace}/` : ''}${t.name}${t.container ? ` container ${t.container}` : ''}`;
  const lines = [`  ${severityTag(c, f.severity)} ${c.bold(sanitizeLine(target))}`, `    ${sanitizeLine(f.message)}`];
  if (f.expected !== undefined || f.actual !== undefined) {
    lines.push(c.dim(`    expected: ${sanitizeLine(f.expected ?? '-')}   actual: ${sanitizeLine(f.actual ?? '-')}`));
  }
  if (f.evidence && Object.keys(f.evidence).length) {
    lines.push(c.dim('    evidence:'));
    // Cut off at a sane depth first: evidence can carry structures from the cluster.
    for (const [k, v] of Object.entries(sanitizeDeep(f.evidence))) {
      if (v !== undefined) for (const l of formatValue(k, v, 6)) lines.push(c.dim(l));
    }
  }
  lines.push(`    ${c.green('fix:')} ${sanitizeLine(f.remediation.summary)}`);
  // One line per step: a newline inside one came from the cluster (a probe path, a kernel version)
  // and would forge a line of its own.
  (f.remediation.steps ?? []).forEach((step, i) => lines.push(`      ${i + 1}. ${sanitizeLine(step)}`));
  if (f.docs) lines.push(c.dim(`    docs: ${sanitizeLine(f.docs)}`));
  return lines;
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
  return (['critical', 'warning', 'info'] as const).filter((s) => n[s]).map((s) => `${n[s]} ${s}`).join(', ');
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
