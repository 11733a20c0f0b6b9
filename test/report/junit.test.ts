// JUnit read back by a real XML parser (fast-xml-parser) the way GitLab reads it: one suite per
// check, test cases keyed by classname + name (unique, or GitLab drops the duplicates), failures,
// skipped and errors where DESIGN §2.6 puts them, counts that match the report.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderJunit } from '../../src/report/junit.js';
import type { Report } from '../../src/report/model.js';
import { sanitizeLine } from '../../src/report/sanitize.js';
import { ROOT, runCli } from '../support/cli.js';
import { EVIL, hostileReport } from './hostile-report.js';

type Attrs = Record<string, string>;
interface Case { classname: string; name: string; time: string; failure?: Attrs; skipped?: Attrs; error?: Attrs; 'system-out'?: string }
interface Suite { name: string; tests: string; failures: string; skipped: string; errors: string; testcase: Case[] }

function parse(xml: string): { suites: Suite[]; root: Attrs } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false, trimValues: false,
    // Character references (&#10;) are XML; this parser decodes them only with htmlEntities.
    htmlEntities: true,
    isArray: (name) => name === 'testsuite' || name === 'testcase',
  }).parse(xml) as { testsuites: { testsuite: Suite[] } & Record<string, unknown> };
  return { suites: doc.testsuites.testsuite, root: doc.testsuites as unknown as Attrs };
}

/** What a JUnit consumer counts, from the parsed cases (not from the attributes we wrote). */
function tally(cases: Case[]) {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    skipped: cases.filter((c) => c.skipped).length,
    errors: cases.filter((c) => c.error).length,
  };
}

function expectConsistent(report: Report, suites: Suite[], root: Attrs): void {
  expect(suites.map((s) => s.name)).toEqual(report.checks.map((c) => c.id));
  for (const s of suites) {
    const check = report.checks.find((c) => c.id === s.name)!;
    const own = report.findings.filter((f) => f.check === s.name);
    const t = tally(s.testcase);
    expect({ tests: s.tests, failures: s.failures, skipped: s.skipped, errors: s.errors }).toEqual({ tests: String(t.tests), failures: String(t.failures), skipped: String(t.skipped), errors: String(t.errors) });
    // Unique names per suite, every case in the check's class.
    expect(new Set(s.testcase.map((c) => c.name)).size).toBe(s.testcase.length);
    expect(s.testcase.every((c) => c.classname === `checkup.${s.name}`)).toBe(true);
    if (check.status === 'skip') expect(s.testcase).toEqual([expect.objectContaining({ skipped: { message: sanitizeLine(check.reason!) } })]);
    else if (check.status === 'error') expect(t).toEqual({ tests: 1, failures: 0, skipped: 0, errors: 1 });
    else {
      expect(t.failures).toBe(own.filter((f) => f.severity !== 'info').length);
      expect(s.testcase.filter((c) => c['system-out'] !== undefined)).toHaveLength(own.filter((f) => f.severity === 'info').length);
      expect(t.skipped).toBe(report.suppressed.filter((f) => f.check === s.name).length);
      if (!own.length && !t.skipped) expect(s.testcase).toEqual([{ classname: `checkup.${s.name}`, name: s.name, time: '0' }]);
    }
  }
  const all = suites.flatMap((s) => s.testcase);
  expect(tally(all).failures).toBe(report.summary.findings.critical + report.summary.findings.warning);
  expect(root.tests).toBe(String(all.length));
  expect(root.failures).toBe(String(tally(all).failures));
}

describe('JUnit of the demo cluster, from the built CLI', () => {
  let xml: string;
  let report: Report;
  beforeAll(async () => {
    const demo = join(ROOT, 'fixtures', 'demo-cluster');
    xml = (await runCli(['--snapshot', demo, '--fail-on', 'none', '-o', 'junit'])).stdout;
    report = JSON.parse((await runCli(['--snapshot', demo, '--fail-on', 'none', '-o', 'json'])).stdout) as Report;
  }, 60_000);

  it('has one suite per check and one case per finding, counts matching the report', () => {
    const { suites, root } = parse(xml);
    expectConsistent(report, suites, root);
    const cases = suites.flatMap((s) => s.testcase);
    expect(cases).toHaveLength(report.findings.length + report.checks.filter((c) => !report.findings.some((f) => f.check === c.id)).length);
  });

  it('failures carry the message, the severity as type, and expected, actual, evidence and fix steps in the body', () => {
    const { suites } = parse(xml);
    const f = report.findings.find((x) => x.severity === 'critical' && x.remediation.steps?.length && x.expected)!;
    const name = `${f.target.kind}/${f.target.namespace ? `${f.target.namespace}/` : ''}${f.target.name}${f.target.container ? ` container ${f.target.container}` : ''}${f.rule ? ` ${f.rule}` : ''}`;
    const c = suites.find((s) => s.name === f.check)!.testcase.find((x) => x.name === name)!;
    expect(c.failure).toMatchObject({ message: f.message, type: 'critical' });
    const body = c.failure!['#text']!;
    expect(body).toContain(`expected: ${f.expected}`);
    expect(body).toContain(`actual: ${f.actual}`);
    expect(body).toContain('evidence: {');
    expect(body).toContain(`1. ${f.remediation.steps![0]}`);
  });
});

describe('JUnit with hostile strings', () => {
  const report = hostileReport();
  const xml = renderJunit(report);
  const { suites, root } = parse(xml);
  const suite = (id: string) => suites.find((s) => s.name === id)!;

  it('is well-formed and consistent with the report', () => {
    expectConsistent(report, suites, root);
  });

  it('names cases <Kind>/<namespace>/<name> container <c> <rule>, the second of a pair "(2)"', () => {
    const names = suite('missing-probes').testcase.map((c) => c.name);
    expect(names).toContain(sanitizeLine(`Pod/ns-${EVIL}/pod-${EVIL} container c-${EVIL} noReadinessProbe`));
    expect(names).toContain('Deployment/shop/cart container cart noLivenessProbe');
    expect(names).toContain('Deployment/shop/cart container cart noLivenessProbe (2)');
    expect(suite('evicted-pods').testcase.map((c) => c.name)).toEqual([sanitizeLine(`Node/node-${EVIL}`)]);
  });

  it('keeps hostile text intact as text (markup, quotes, newlines) with control characters made visible', () => {
    const c = suite('missing-probes').testcase.find((x) => x.failure?.type === 'critical')!;
    expect(c.failure!.message).toBe(sanitizeLine(`Pod ${EVIL} is broken`));
    expect(c.failure!['#text']).toContain(sanitizeLine(`kubectl delete pod ${EVIL}`));
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it('info findings pass with their details in system-out; suppressed ones are skipped with who and why', () => {
    const info = suite('evicted-pods').testcase[0]!;
    expect(info.failure).toBeUndefined();
    expect(info['system-out']).toContain(sanitizeLine(`evicted ${EVIL}`));
    const skipped = suite('missing-probes').testcase.filter((c) => c.skipped).map((c) => c.skipped!.message);
    expect(skipped).toEqual([sanitizeLine(`suppressed by config: batch ${EVIL} (until 2027-03-01)`), 'suppressed by annotation: owned elsewhere', 'suppressed by baseline: in the baseline']);
  });

  it('a passing check is one passing case; skip is <skipped message>; error is <error>', () => {
    expect(suite('jvm-container-memory').testcase).toEqual([{ classname: 'checkup.jvm-container-memory', name: 'jvm-container-memory', time: '0' }]);
    expect(suite('syn-backlog').testcase[0]!.skipped).toEqual({ message: sanitizeLine(`no nodes: ${EVIL}`) });
    // One line: the reason's own newline (a stack frame) is made visible like any other.
    expect(suite('kubelet-gc').testcase[0]!.error).toMatchObject({ type: 'error', message: sanitizeLine(report.checks.find((c) => c.id === 'kubelet-gc')!.reason!) });
  });
});
