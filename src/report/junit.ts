// `-o junit` (DESIGN §2.6): JUnit XML the way GitLab, Jenkins and the GitHub test-report actions read
// it. One <testsuite> per check, one <testcase> per finding. GitLab keys test cases by
// classname + name and silently drops duplicates, so names are made unique within a suite.
import type { CheckResult, Finding } from '../engine/types.js';
import type { Report, SuppressedFinding } from './model.js';
import { targetLabel } from './finding-names.js';
import { sanitizeDeep } from './sanitize.js';
import { xmlAttr, xmlText } from './xml.js';

interface Case {
  name: string;
  /** Inner XML of the <testcase>, already escaped. */
  body: string;
  outcome: 'pass' | 'failure' | 'error' | 'skipped';
}

export function renderJunit(input: Report): string {
  const report = sanitizeDeep(input);
  const checks: CheckResult[] = [...report.checks];
  // A finding of a check missing from checks[] (should not happen) still gets a suite.
  for (const f of [...report.findings, ...report.suppressed]) {
    if (!checks.some((c) => c.id === f.check)) checks.push({ id: f.check, title: f.check, status: 'fail', reason: null, durationMs: 0 });
  }
  const suites = checks.map((check) => ({ check, cases: casesFor(check, report) }));
  const total = (o: Case['outcome']) => suites.reduce((n, s) => n + s.cases.filter((c) => c.outcome === o).length, 0);
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kubectl-checkup" tests="${tests}" failures="${total('failure')}" errors="${total('error')}" skipped="${total('skipped')}" time="${seconds(report.durationMs)}" timestamp="${xmlAttr(report.startedAt)}">`,
  ];
  for (const { check, cases } of suites) {
    const count = (o: Case['outcome']) => cases.filter((c) => c.outcome === o).length;
    out.push(`  <testsuite name="${xmlAttr(check.id)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${seconds(check.durationMs)}" timestamp="${xmlAttr(report.startedAt)}">`);
    for (const c of cases) {
      const open = `    <testcase classname="${xmlAttr(`checkup.${check.id}`)}" name="${xmlAttr(c.name)}" time="0"`;
      out.push(c.body ? `${open}>\n${c.body}\n    </testcase>` : `${open}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

function casesFor(check: CheckResult, report: Report): Case[] {
  if (check.status === 'skip') {
    return [{ name: check.id, outcome: 'skipped', body: `      <skipped message="${xmlAttr(check.reason ?? 'not applicable')}"/>` }];
  }
  if (check.status === 'error') {
    const reason = check.reason ?? 'the check failed';
    return [{ name: check.id, outcome: 'error', body: `      <error message="${xmlAttr(firstLine(reason))}" type="error">${xmlText(reason)}</error>` }];
  }
  const names = new UniqueNames();
  const cases: Case[] = [];
  for (const f of report.findings.filter((x) => x.check === check.id)) {
    const name = names.take(caseName(f));
    if (f.severity === 'info') {
      cases.push({ name, outcome: 'pass', body: `      <system-out>${xmlText(details(f))}</system-out>` });
    } else {
      cases.push({ name, outcome: 'failure', body: `      <failure message="${xmlAttr(f.message)}" type="${f.severity}">${xmlText(details(f))}</failure>` });
    }
  }
  for (const f of report.suppressed.filter((x) => x.check === check.id)) {
    cases.push({ name: names.take(caseName(f)), outcome: 'skipped', body: `      <skipped message="${xmlAttr(suppressedBecause(f))}"/>` });
  }
  // A check with nothing to report is one passing test, so the suite shows it ran.
  if (!cases.length) cases.push({ name: check.id, outcome: 'pass', body: '' });
  return cases;
}

/** `<Kind>/<namespace>/<name>[ container <c>][ <rule>]` (DESIGN §2.6). */
function caseName(f: Finding): string {
  return `${targetLabel(f.target)}${f.rule ? ` ${f.rule}` : ''}`;
}

/** The failure body: everything a reader of the CI test tab needs without opening the JSON. */
function details(f: Finding): string {
  const lines = [f.message];
  if (f.rule) lines.push(`rule: ${f.check}/${f.rule}`);
  if (f.expected !== undefined) lines.push(`expected: ${f.expected}`);
  if (f.actual !== undefined) lines.push(`actual: ${f.actual}`);
  if (f.evidence && Object.keys(f.evidence).length) lines.push(`evidence: ${JSON.stringify(f.evidence, null, 2)}`);
  lines.push(`fix: ${f.remediation.summary}`);
  (f.remediation.steps ?? []).forEach((s, i) => lines.push(`  ${i + 1}. ${s}`));
  if (f.docs) lines.push(`docs: ${f.docs}`);
  if (f.location) lines.push(`location: ${f.location.file}:${f.location.line}`);
  if (f.fingerprint) lines.push(`fingerprint: ${f.fingerprint}`);
  return lines.join('\n');
}

function suppressedBecause(f: SuppressedFinding): string {
  const s = f.suppression;
  return `suppressed by ${s.by}: ${s.reason}${s.until ? ` (until ${s.until})` : ''}`;
}

/** Two findings can share target and rule (or lack a rule): the second becomes "… (2)". */
class UniqueNames {
  private readonly used = new Set<string>();
  take(name: string): string {
    let candidate = name;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${name} (${n})`;
    this.used.add(candidate);
    return candidate;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
