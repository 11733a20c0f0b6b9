// Applies the policy to a run: severity overrides before the report is built (they change what the
// finding is), suppressions after (they change only where it is listed). Suppressed findings move to
// `suppressed[]` and no longer count — not for the summary, not for a check's status, not for
// --fail-on — so a gate passes on accepted problems and fails on new ones.
import type { RunOutput } from '../engine/run.js';
import type { CheckResult, Finding, Severity } from '../engine/types.js';
import type { Report, ReportWarning, SuppressedFinding, Suppression } from '../report/model.js';
import type { AnnotationIndex } from './annotations.js';
import type { Baseline } from './baseline.js';
import type { SuppressRule } from './config.js';
import { formatRef, isExpired } from './refs.js';
import { globToRegExp, ruleCovers } from './suppress.js';

/** Re-grades findings by `severity:` (a rule's entry beats its check's) and recomputes the status of
 * the checks that ran: a check whose only non-info finding became info now passes. */
export function regrade(run: RunOutput, overrides: ReadonlyMap<string, Severity>): RunOutput {
  if (!overrides.size) return run;
  const findings = run.findings.map((f) => {
    const level = (f.rule !== undefined ? overrides.get(`${f.check}/${f.rule}`) : undefined) ?? overrides.get(f.check);
    return level && level !== f.severity ? { ...f, severity: level } : f;
  });
  return { ...run, findings, results: restatus(run.results, findings) };
}

export interface SuppressionInputs {
  /** "Now" as the run saw it (the API server's clock, or the snapshot's), for `until`. */
  now: Date;
  rules: readonly SuppressRule[];
  annotations?: AnnotationIndex;
  baseline?: Baseline;
  /** Warnings gathered before the run (config file). */
  warnings: readonly ReportWarning[];
  /** -n: entries whose namespace glob cannot match it are not "unused", just out of scope. */
  namespace?: string;
}

export function applySuppressions(report: Report, p: SuppressionInputs): Report {
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [...report.suppressed];
  const used = new Set<SuppressRule>();
  const expiredAnnotations = new Map<string, { until: string; count: number }>();

  for (const f of report.findings) {
    const by = bySuppressionOf(f);
    if (by) suppressed.push({ ...f, suppression: by });
    else kept.push(f);
  }

  function bySuppressionOf(f: Finding): Suppression | undefined {
    for (const rule of p.rules) {
      if (!ruleCovers(rule, f) || isExpired(rule.until, p.now)) continue;
      used.add(rule);
      return { by: 'config', reason: rule.reason, until: rule.until };
    }
    if (p.annotations) {
      const m = p.annotations.match(f, p.now);
      for (const e of m.expired) {
        const seen = expiredAnnotations.get(e.object) ?? { until: e.until!, count: 0 };
        seen.count++;
        expiredAnnotations.set(e.object, seen);
      }
      if (m.entry) return { by: 'annotation', reason: `${m.entry.reason} (annotation on ${m.entry.object})`, until: m.entry.until };
    }
    if (p.baseline && f.fingerprint !== undefined && p.baseline.fingerprints.has(f.fingerprint)) {
      return { by: 'baseline', reason: `in baseline ${p.baseline.file}${p.baseline.startedAt ? ` (report of ${p.baseline.startedAt})` : ''}`, until: null };
    }
    return undefined;
  }

  const ran = new Set(report.checks.filter((c) => c.status === 'pass' || c.status === 'fail').map((c) => c.id as string));
  const warnings: ReportWarning[] = [...report.warnings, ...p.warnings, ...(p.annotations?.warnings ?? [])];
  for (const rule of p.rules) {
    const what = describeRule(rule);
    if (isExpired(rule.until, p.now)) {
      warnings.push({ code: 'suppression-expired', message: `${rule.where}: suppression of ${what} expired on ${rule.until}; its findings are reported again (renew it with a new date, or fix them)` });
    } else if (!used.has(rule) && ran.has(rule.ref.check) && inScope(rule, p.namespace)) {
      // Only for checks that ran, on the namespace looked at: an entry for a check left out by
      // --checks, or for a namespace -n left out, is not stale.
      warnings.push({ code: 'suppression-unused', message: `${rule.where}: suppression of ${what} matched no finding; remove it if the problem is gone` });
    }
  }
  for (const [object, e] of expiredAnnotations) {
    warnings.push({ code: 'suppression-expired', message: `annotation on ${object} expired on ${e.until}; ${e.count} finding(s) it covered are reported again` });
  }

  let fixed: number | undefined;
  if (p.baseline) {
    const now = new Set([...kept, ...suppressed].flatMap((f) => (f.fingerprint ? [f.fingerprint] : [])));
    // Fixed = known before, looked for again (its check ran), not found. A check that did not run this
    // time (--checks, skip) proves nothing.
    fixed = [...p.baseline.fingerprints].filter(([fp, check]) => ran.has(check) && !now.has(fp)).length;
  }

  const checks = restatus(report.checks, kept);
  const findingCounts = { critical: 0, warning: 0, info: 0 };
  for (const f of kept) findingCounts[f.severity]++;
  const checkCounts = { pass: 0, fail: 0, skip: 0, error: 0 };
  for (const c of checks) checkCounts[c.status]++;
  return {
    ...report,
    summary: { ...report.summary, checks: checkCounts, findings: findingCounts, suppressed: suppressed.length, ...(fixed !== undefined ? { fixed } : {}) },
    checks,
    findings: kept,
    suppressed,
    warnings: dedupe(warnings),
  };
}

function inScope(rule: SuppressRule, namespace: string | undefined): boolean {
  return namespace === undefined || rule.globs.namespace === undefined || globToRegExp(rule.globs.namespace).test(namespace);
}

/** DESIGN §2.1 --fail-on-gaps: something could not be looked at (a gap), or a check broke (error).
 * A check the user switched off (--no-ssh, --skip) is neither. */
export function hasGapsOrErrors(report: Report): boolean {
  return report.gaps.length > 0 || report.checks.some((c) => c.status === 'error');
}

/** pass/fail from the findings that count (the engine's rule: fail on any non-info finding). */
function restatus(results: CheckResult[], findings: readonly Finding[]): CheckResult[] {
  const failing = new Set(findings.filter((f) => f.severity !== 'info').map((f) => f.check as string));
  return results.map((r) => (r.status === 'pass' || r.status === 'fail' ? { ...r, status: failing.has(r.id) ? 'fail' : 'pass' } : r));
}

function describeRule(rule: SuppressRule): string {
  const globs = Object.entries(rule.globs).map(([k, v]) => `${k} ${v}`);
  return `${formatRef(rule.ref)}${globs.length ? ` (${globs.join(', ')})` : ''}`;
}

function dedupe(warnings: ReportWarning[]): ReportWarning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const k = `${w.code}\u0000${w.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
