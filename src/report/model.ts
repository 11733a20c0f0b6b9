// The one report model (DESIGN §2.5, a contract): every output format renders this same document.
import type { RunOutput } from '../engine/run.js';
import type { CheckResult, Finding, Gap, Severity } from '../engine/types.js';
import type { ClusterInfo } from '../engine/source.js';
import { aggregateGaps, type ReportGap } from './gaps.js';

/** Why a finding was left out (DESIGN §2.7–§2.9). */
export interface Suppression {
  by: 'config' | 'annotation' | 'baseline';
  reason: string;
  until: string | null;
}

export type SuppressedFinding = Finding & { suppression: Suppression };

/** Things the user must know that are not findings (DESIGN §2.5), e.g. code `suppression-expired`. */
export interface ReportWarning {
  code: string;
  message: string;
}

export interface Report {
  apiVersion: 'checkup.k8s.io/v1';
  kind: 'Report';
  tool: { name: 'kubectl-checkup'; version: string };
  cluster: ClusterInfo;
  /** Where the objects came from. */
  source: 'cluster' | 'snapshot' | 'manifests';
  startedAt: string;
  durationMs: number;
  summary: {
    checks: Record<CheckResult['status'], number>;
    findings: Record<Severity, number>;
    nodes: { total: number; reached: number };
    /** How many findings a suppression left out (they are in `suppressed`). */
    suppressed: number;
    /** Only with --baseline: baseline fingerprints no longer found. */
    fixed?: number;
  };
  checks: CheckResult[];
  findings: Finding[];
  suppressed: SuppressedFinding[];
  gaps: ReportGap[];
  warnings: ReportWarning[];
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function buildReport(run: RunOutput, meta: { version: string; startedAt: Date; durationMs: number; source?: Report['source'] }): Report {
  const checks = { pass: 0, fail: 0, skip: 0, error: 0 };
  for (const r of run.results) checks[r.status]++;
  const findings = { critical: 0, warning: 0, info: 0 };
  for (const f of run.findings) findings[f.severity]++;
  // Grouped by check, the check with the worst finding first; within a check worst first, then by
  // target: the first lines are the ones to act on, and each check's findings stay together.
  const worst = new Map<string, number>();
  for (const f of run.findings) worst.set(f.check, Math.min(worst.get(f.check) ?? 9, SEVERITY_ORDER[f.severity]));
  const sorted = [...run.findings].sort((a, b) =>
    worst.get(a.check)! - worst.get(b.check)! ||
    a.check.localeCompare(b.check) ||
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    `${a.target.namespace ?? ''}/${a.target.name}`.localeCompare(`${b.target.namespace ?? ''}/${b.target.name}`));
  return {
    apiVersion: 'checkup.k8s.io/v1',
    kind: 'Report',
    tool: { name: 'kubectl-checkup', version: meta.version },
    cluster: run.cluster,
    source: meta.source ?? 'cluster',
    startedAt: meta.startedAt.toISOString(),
    durationMs: meta.durationMs,
    summary: { checks, findings, nodes: run.nodes, suppressed: 0 },
    checks: run.results,
    findings: sorted,
    suppressed: [],
    // Nodes are collected concurrently; a stable order makes reports comparable run to run.
    // Identical reasons on many nodes are folded into one gap (count + a few names).
    gaps: aggregateGaps([...run.gaps].sort((a, b) => gapKey(a).localeCompare(gapKey(b)))),
    // An external check that threw is not our bug to report, but the user must see it was not judged.
    warnings: run.results.filter((r) => r.status === 'error' && r.id.includes('/'))
      .map((r) => ({ code: 'plugin-check-failed', message: `${r.id}: ${r.reason ?? 'failed'}` })),
  };
}

function gapKey(g: Gap): string {
  return g.source === 'api' ? `api ${g.resource}` : `ssh ${g.node} ${g.probe ?? ''}`;
}

/** Exit-code rule (DESIGN §2.2): is there a finding at or above the --fail-on level? */
export function hasFindingsAtOrAbove(report: Report, failOn: Severity | 'none'): boolean {
  if (failOn === 'none') return false;
  return report.findings.some((f) => SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[failOn]);
}
