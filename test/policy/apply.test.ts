// Suppressions, baseline and severity overrides on report data (pure logic; the CLI tests run the
// same through the built binary).
import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1Namespace, V1Node, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { RunOutput } from '../../src/engine/run.js';
import type { ApiKind, CheckResult, Finding, KubeObject } from '../../src/engine/types.js';
import { buildReport, hasFindingsAtOrAbove, type Report } from '../../src/report/model.js';
import { AnnotationIndex } from '../../src/policy/annotations.js';
import { applySuppressions, hasGapsOrErrors, regrade } from '../../src/policy/apply.js';
import { parseBaseline } from '../../src/policy/baseline.js';
import { parseConfig, resolveConfig } from '../../src/policy/config.js';
import { defineCheck, type CheckDefinition } from '../../src/engine/types.js';
import { ConfigError } from '../../src/errors.js';

const NOW = new Date('2027-03-10T12:00:00Z');
const IDS = ['missing-probes', 'graceful-termination', 'evicted-pods', 'syn-backlog'];
// No `rules` declared (the assertion keeps this compiling with CheckDefinition.rules required on main).
const REGISTRY = IDS.map((id) => defineCheck({ id, title: id, severity: 'critical', description: 'd', needs: {}, create: () => ({}) } as unknown as CheckDefinition));

function finding(check: string, rule: string, kind: string, namespace: string | undefined, name: string, extra: Partial<Finding> = {}): Finding {
  return {
    check: check as Finding['check'], rule, severity: 'warning', target: { kind, name, ...(namespace ? { namespace } : {}) },
    message: `${rule} on ${name}`, remediation: { summary: 'fix it' }, fingerprint: `fp-${check}-${rule}-${namespace ?? ''}-${name}`, ...extra,
  };
}

const FINDINGS: Finding[] = [
  finding('missing-probes', 'noReadinessProbe', 'Deployment', 'batch-nightly', 'export', { target: { kind: 'Deployment', namespace: 'batch-nightly', name: 'export', container: 'main' } }),
  finding('missing-probes', 'noLivenessProbe', 'Deployment', 'shop', 'cart'),
  finding('missing-probes', 'noReadinessProbe', 'Pod', 'shop', 'cart-7d9f-abcde'),
  finding('graceful-termination', 'noPreStop', 'Deployment', 'shop', 'cart', { severity: 'critical' }),
  finding('evicted-pods', 'evictions', 'Node', undefined, 'node-2', { severity: 'critical' }),
  finding('syn-backlog', 'overflows', 'Node', undefined, 'node-3', { severity: 'critical' }),
];

function runOutput(findings = FINDINGS, results?: CheckResult[]): RunOutput {
  // `identity` is part of RunOutput on main (fingerprints); the assertion keeps both compiling.
  return {
    cluster: { context: 'test', server: 'https://x', version: 'v1.32.4' }, identity: 'kube-system-uid', now: NOW, gaps: [], nodes: { total: 3, reached: 3 }, findings,
    results: results ?? IDS.map((id) => ({ id: id as CheckResult['id'], title: id, status: findings.some((f) => f.check === id && f.severity !== 'info') ? 'fail' : 'pass', reason: null, durationMs: 1 })),
  } as RunOutput;
}
const report = (run = runOutput()): Report => buildReport(run, { version: '0.1.0', startedAt: NOW, durationMs: 5 });
const rules = (yaml: string) => resolveConfig(parseConfig(yaml, '.checkup.yaml'), REGISTRY);
const names = (fs: Finding[]) => fs.map((f) => `${f.check}/${f.rule} ${f.target.namespace ?? ''}/${f.target.name}`).sort();

function applyConfig(yaml: string, now = NOW): Report {
  const c = rules(yaml);
  return applySuppressions(report(), { now, rules: c.suppress, warnings: c.warnings });
}

describe('config suppressions', () => {
  it('a check with a namespace glob hides just those findings, with the reason, and they stop counting', () => {
    const r = applyConfig('suppress:\n  - check: missing-probes\n    namespace: batch-*\n    reason: batch jobs serve no traffic\n    until: 2027-03-10\n');
    expect(names(r.suppressed)).toEqual(['missing-probes/noReadinessProbe batch-nightly/export']);
    expect(r.suppressed[0]!.suppression).toEqual({ by: 'config', reason: 'batch jobs serve no traffic', until: '2027-03-10' });
    expect(r.summary.suppressed).toBe(1);
    expect(r.summary.findings).toEqual({ critical: 3, warning: 2, info: 0 });
    expect(r.findings).toHaveLength(5);
    expect(r.warnings).toEqual([]);
  });

  it('a rule entry hides only that rule; name, kind, container and node globs narrow further', () => {
    expect(names(applyConfig('suppress:\n  - check: missing-probes/noLivenessProbe\n    reason: r\n').suppressed)).toEqual(['missing-probes/noLivenessProbe shop/cart']);
    expect(names(applyConfig('suppress:\n  - check: missing-probes\n    kind: Pod\n    name: cart-*\n    reason: r\n').suppressed)).toEqual(['missing-probes/noReadinessProbe shop/cart-7d9f-abcde']);
    expect(names(applyConfig('suppress:\n  - check: missing-probes\n    container: ma?n\n    reason: r\n').suppressed)).toEqual(['missing-probes/noReadinessProbe batch-nightly/export']);
    expect(names(applyConfig('suppress:\n  - check: evicted-pods\n    node: node-[2]\n    reason: r\n').suppressed)).toEqual([]);
    expect(names(applyConfig('suppress:\n  - check: evicted-pods\n    node: node-?\n    reason: r\n').suppressed)).toEqual(['evicted-pods/evictions /node-2']);
    // A namespace glob never covers a cluster-scoped finding.
    expect(names(applyConfig('suppress:\n  - check: syn-backlog\n    namespace: "*"\n    reason: r\n').suppressed)).toEqual([]);
  });

  it('a suppression whose day has passed stops suppressing and says so; one still running holds', () => {
    const expired = applyConfig('suppress:\n  - check: graceful-termination\n    reason: r\n    until: 2027-03-09\n');
    expect(expired.suppressed).toEqual([]);
    expect(expired.findings.some((f) => f.check === 'graceful-termination')).toBe(true);
    expect(expired.warnings).toEqual([{ code: 'suppression-expired', message: '.checkup.yaml:2: suppression of graceful-termination expired on 2027-03-09; its findings are reported again (renew it with a new date, or fix them)' }]);
    const running = applyConfig('suppress:\n  - check: graceful-termination\n    reason: r\n    until: 2027-03-10\n');
    expect(names(running.suppressed)).toEqual(['graceful-termination/noPreStop shop/cart']);
    expect(running.warnings).toEqual([]);
  });

  it('a suppression that matched nothing is listed as unused (only when its check ran)', () => {
    const r = applySuppressions(report(runOutput(FINDINGS, [
      { id: 'missing-probes', title: 't', status: 'fail', reason: null, durationMs: 1 },
      { id: 'syn-backlog', title: 't', status: 'skip', reason: 'no nodes', durationMs: 1 },
    ])), { now: NOW, warnings: [], rules: rules('suppress:\n  - check: missing-probes\n    namespace: nowhere\n    reason: r\n  - check: syn-backlog\n    reason: r\n').suppress });
    expect(r.warnings).toEqual([{ code: 'suppression-unused', message: '.checkup.yaml:2: suppression of missing-probes (namespace nowhere) matched no finding; remove it if the problem is gone' }]);
    // With -n shop the batch-* entry was out of scope, not stale.
    const scoped = applySuppressions(report(runOutput(FINDINGS.slice(1))), { now: NOW, warnings: [], namespace: 'shop', rules: rules('suppress:\n  - check: missing-probes\n    namespace: batch-*\n    reason: r\n  - check: missing-probes\n    namespace: sh*\n    name: gone\n    reason: r\n').suppress });
    expect(scoped.warnings.map((w) => w.message.slice(0, 16))).toEqual(['.checkup.yaml:5:']);
  });

  it('a check whose failing findings are all suppressed passes, and --fail-on no longer sees them', () => {
    const r = applyConfig('suppress:\n  - check: evicted-pods\n    reason: r\n  - check: syn-backlog\n    reason: r\n  - check: graceful-termination\n    reason: r\n');
    expect(r.checks.find((c) => c.id === 'evicted-pods')!.status).toBe('pass');
    expect(r.summary.checks).toEqual({ pass: 3, fail: 1, skip: 0, error: 0 });
    expect(hasFindingsAtOrAbove(r, 'critical')).toBe(false);
    expect(hasFindingsAtOrAbove(r, 'warning')).toBe(true);
  });
});

describe('severity overrides', () => {
  it('re-grade a rule or a whole check, the rule entry first, and the check status follows', () => {
    const c = rules('severity:\n  graceful-termination: info\n  missing-probes: info\n  missing-probes/noLivenessProbe: critical\n');
    const r = report(regrade(runOutput(), c.severity));
    expect(r.findings.filter((f) => f.check === 'missing-probes').map((f) => `${f.rule} ${f.severity}`).sort())
      .toEqual(['noLivenessProbe critical', 'noReadinessProbe info', 'noReadinessProbe info']);
    expect(r.checks.find((x) => x.id === 'graceful-termination')!.status).toBe('pass');
    expect(r.summary.findings).toEqual({ critical: 3, warning: 0, info: 3 });
  });
});

const meta = (namespace: string | undefined, name: string, annotations?: Record<string, string>, extra: object = {}) =>
  ({ metadata: { name, ...(namespace ? { namespace } : {}), ...(annotations ? { annotations } : {}), ...extra } });
const ignore = (what: string, reason?: string, until?: string) => ({
  'checkup.k8s.io/ignore': what, ...(reason !== undefined ? { 'checkup.k8s.io/ignore-reason': reason } : {}), ...(until ? { 'checkup.k8s.io/ignore-until': until } : {}),
});

function annotated(objects: [ApiKind, KubeObject][]): AnnotationIndex {
  const index = new AnnotationIndex(IDS);
  for (const [kind, obj] of objects) index.see(kind, obj);
  return index;
}

describe('annotation suppressions', () => {
  it('an annotated workload covers itself and its pods (through the ReplicaSet), with its reason', () => {
    const index = annotated([
      ['Deployment', meta('shop', 'cart', ignore('missing-probes', 'cart is being rewritten')) as V1Deployment],
      ['ReplicaSet', meta('shop', 'cart-7d9f', undefined, { ownerReferences: [{ kind: 'Deployment', name: 'cart', controller: true, apiVersion: 'apps/v1', uid: 'u' }] }) as V1ReplicaSet],
      ['Pod', meta('shop', 'cart-7d9f-abcde', undefined, { ownerReferences: [{ kind: 'ReplicaSet', name: 'cart-7d9f', controller: true, apiVersion: 'apps/v1', uid: 'u' }] }) as V1Pod],
    ]);
    const r = applySuppressions(report(), { now: NOW, rules: [], warnings: [], annotations: index });
    expect(names(r.suppressed)).toEqual(['missing-probes/noLivenessProbe shop/cart', 'missing-probes/noReadinessProbe shop/cart-7d9f-abcde']);
    expect(r.suppressed[0]!.suppression).toEqual({ by: 'annotation', reason: 'cart is being rewritten (annotation on Deployment shop/cart)', until: null });
    // graceful-termination on the same Deployment was not named.
    expect(r.findings.some((f) => f.check === 'graceful-termination')).toBe(true);
  });

  it('a Namespace annotation covers what is in it; a rule-level entry only that rule', () => {
    const index = annotated([
      ['Namespace', meta(undefined, 'batch-nightly', ignore('missing-probes/noReadinessProbe, syn-backlog', 'batch')) as V1Namespace],
      ['Namespace', meta(undefined, 'shop', ignore('missing-probes/noLivenessProbe', 'legacy')) as V1Namespace],
      ['Node', meta(undefined, 'node-3', ignore('syn-backlog', 'load test box', '2027-03-10')) as V1Node],
    ]);
    const r = applySuppressions(report(), { now: NOW, rules: [], warnings: [], annotations: index });
    expect(names(r.suppressed)).toEqual(['missing-probes/noLivenessProbe shop/cart', 'missing-probes/noReadinessProbe batch-nightly/export', 'syn-backlog/overflows /node-3']);
  });

  it('an annotation without a reason is ignored with a warning; an expired one stops and warns', () => {
    const index = annotated([
      ['Deployment', meta('shop', 'cart', ignore('missing-probes')) as V1Deployment],
      ['Node', meta(undefined, 'node-3', ignore('syn-backlog', 'load test box', '2027-03-09')) as V1Node],
      ['Node', meta(undefined, 'node-2', ignore('evicted-pods', 'r', 'soon')) as V1Node],
    ]);
    const r = applySuppressions(report(), { now: NOW, rules: [], warnings: [], annotations: index });
    expect(r.suppressed).toEqual([]);
    expect(r.warnings.map((w) => w.code).sort()).toEqual(['annotation-invalid', 'annotation-without-reason', 'suppression-expired']);
    expect(r.warnings.find((w) => w.code === 'annotation-without-reason')!.message).toContain('Deployment shop/cart');
    expect(r.warnings.find((w) => w.code === 'suppression-expired')!.message).toBe('annotation on Node node-3 expired on 2027-03-09; 1 finding(s) it covered are reported again');
  });

  it('config wins over annotations, annotations over the baseline', () => {
    const index = annotated([['Deployment', meta('shop', 'cart', ignore('missing-probes', 'a')) as V1Deployment]]);
    const baseline = parseBaseline(JSON.stringify({ apiVersion: 'checkup.k8s.io/v1', kind: 'Report', findings: FINDINGS }), 'old.json');
    const r = applySuppressions(report(), { now: NOW, warnings: [], annotations: index, baseline, rules: rules('suppress:\n  - check: missing-probes/noLivenessProbe\n    reason: c\n').suppress });
    const by = Object.fromEntries(r.suppressed.map((s) => [`${s.rule} ${s.target.name}`, s.suppression.by]));
    expect(by).toEqual({ 'noLivenessProbe cart': 'config', 'noReadinessProbe cart-7d9f-abcde': 'baseline', 'noReadinessProbe export': 'baseline', 'noPreStop cart': 'baseline', 'evictions node-2': 'baseline', 'overflows node-3': 'baseline' });
  });
});

describe('baseline', () => {
  const base = (findings: object[], suppressed: object[] = []) => parseBaseline(JSON.stringify({ apiVersion: 'checkup.k8s.io/v1', kind: 'Report', startedAt: '2027-03-01T00:00:00Z', findings, suppressed }), 'base.json');

  it('the same findings again: all suppressed by baseline, nothing fails, nothing fixed', () => {
    const r = applySuppressions(report(), { now: NOW, rules: [], warnings: [], baseline: base(FINDINGS) });
    expect(r.findings).toEqual([]);
    expect(r.suppressed.every((s) => s.suppression.by === 'baseline')).toBe(true);
    expect(r.suppressed[0]!.suppression.reason).toBe('in baseline base.json (report of 2027-03-01T00:00:00Z)');
    expect(r.summary).toMatchObject({ suppressed: 6, fixed: 0, findings: { critical: 0, warning: 0, info: 0 } });
    expect(hasFindingsAtOrAbove(r, 'info')).toBe(false);
  });

  it('one new finding is the only one left; gone ones are counted as fixed when their check ran', () => {
    const old = [...FINDINGS.slice(1), finding('evicted-pods', 'evictions', 'Node', undefined, 'node-9'), finding('syn-backlog', 'x', 'Node', undefined, 'n'), { check: 'kubelet-gc', fingerprint: 'gc-1' }];
    const r = applySuppressions(report(), { now: NOW, rules: [], warnings: [], baseline: base(old.slice(0, 3), old.slice(3)) });
    expect(names(r.findings)).toEqual(['missing-probes/noReadinessProbe batch-nightly/export']);
    // node-9 and the syn-backlog one are gone; kubelet-gc did not run, so its entry proves nothing.
    expect(r.summary.fixed).toBe(2);
  });

  it('an unusable baseline is a ConfigError with the reason', () => {
    expect(() => parseBaseline('{', 'b.json')).toThrow(/--baseline b.json: not JSON/);
    expect(() => parseBaseline('{"kind":"Snapshot"}', 'b.json')).toThrow(/not a kubectl-checkup report/);
    expect(() => parseBaseline('{"apiVersion":"checkup.k8s.io/v1","kind":"Report","findings":{}}', 'b.json')).toThrow(/must be lists/);
    expect(() => parseBaseline(JSON.stringify({ apiVersion: 'checkup.k8s.io/v1', kind: 'Report', findings: [{ check: 'x' }] }), 'b.json')).toThrow(ConfigError);
    expect(() => parseBaseline(JSON.stringify({ apiVersion: 'checkup.k8s.io/v1', kind: 'Report', findings: [{ check: 'x' }] }), 'b.json')).toThrow(/no fingerprints/);
  });
});

describe('--fail-on-gaps', () => {
  it('fails on a gap or an errored check, not on a skipped one', () => {
    const clean = report(runOutput([], [{ id: 'syn-backlog', title: 't', status: 'skip', reason: 'node checks not evaluated: --no-ssh', durationMs: 0 }]));
    expect(hasGapsOrErrors(clean)).toBe(false);
    expect(hasGapsOrErrors({ ...clean, gaps: [{ source: 'api', resource: 'nodes', reason: 'forbidden' }] })).toBe(true);
    expect(hasGapsOrErrors({ ...clean, checks: [{ ...clean.checks[0]!, status: 'error' }] })).toBe(true);
  });
});
