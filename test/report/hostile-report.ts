// A report whose every cluster-supplied string is hostile: table/cell breakers, code spans, percent
// escapes, newlines that would start a second workflow command, `::` command markers, ANSI and other
// control characters, XML markup, YAML 1.1 look-alikes. Plus the additive fields (rule, fingerprint,
// manifest location, suppressed, warnings) so every renderer meets them.
import type { Finding } from '../../src/engine/types.js';
import type { Report } from '../../src/report/model.js';

export const EVIL = 'web|x`y`%25%0A::error::pwned\n::warning file=a,line=1::two\r\u001b[31mred\u001b[0m<b>&amp;</b>]]>\u0007@team';

const finding = (over: Partial<Finding>): Finding => ({
  check: 'missing-probes',
  severity: 'warning',
  target: { kind: 'Deployment', namespace: 'shop', name: 'cart' },
  message: 'm',
  remediation: { summary: 's' },
  ...over,
} as Finding); // may lack a rule on purpose: renderers must survive reports from before rule ids

export function hostileReport(): Report {
  const findings: Finding[] = [
    finding({
      rule: 'noReadinessProbe', severity: 'critical', fingerprint: 'fp-1',
      target: { kind: 'Pod', namespace: `ns-${EVIL}`, name: `pod-${EVIL}`, container: `c-${EVIL}` },
      message: `Pod ${EVIL} is broken`,
      evidence: { [`key-${EVIL}`]: EVIL, yes: 'yes', time: '1:20', octal: '0777', list: ['on', 'No', '~', EVIL], n: 3 },
      expected: `e-${EVIL}`, actual: `a-${EVIL}`,
      remediation: { summary: `fix ${EVIL}`, steps: [`kubectl delete pod ${EVIL}`, 'line one\nline two'] },
      docs: 'https://kubernetes.io/docs/',
    }),
    // Same target and rule twice (two containers differ only by a hostile suffix stripped of nothing):
    // JUnit names must still be unique within the suite.
    finding({ rule: 'noLivenessProbe', fingerprint: 'fp-2', target: { kind: 'Deployment', namespace: 'shop', name: 'cart', container: 'cart' }, message: 'no liveness' }),
    finding({ rule: 'noLivenessProbe', fingerprint: 'fp-3', target: { kind: 'Deployment', namespace: 'shop', name: 'cart', container: 'cart' }, message: 'no liveness again' }),
    // No rule, no fingerprint (a report from before rule ids).
    finding({ check: 'evicted-pods', severity: 'info', target: { kind: 'Node', name: `node-${EVIL}` }, message: `evicted ${EVIL}` }),
    // A finding about a manifest: file, line and a Helm template.
    finding({
      check: 'graceful-termination', rule: 'noPreStop', severity: 'critical', fingerprint: 'fp-4',
      target: { kind: 'Deployment', namespace: 'web', name: 'front', container: 'app' },
      message: 'no preStop', location: { file: 'deploy/my app, v1:prod%.yaml', line: 12 },
    }),
    finding({
      check: 'graceful-termination', rule: 'noPreStop', severity: 'warning', fingerprint: 'fp-5',
      target: { kind: 'Deployment', namespace: 'web', name: 'back', container: 'app' },
      message: 'no preStop', location: { file: '<stdin>', line: 40, source: 'chart/templates/back.yaml' },
    }),
  ];
  return {
    apiVersion: 'checkup.k8s.io/v1',
    kind: 'Report',
    tool: { name: 'kubectl-checkup', version: '0.1.0' },
    cluster: { context: `ctx-${EVIL}`, server: 'https://10.0.0.1:6443', version: 'v1.32.4' },
    source: 'cluster',
    startedAt: '2026-11-25T10:00:00.000Z',
    durationMs: 1234,
    summary: {
      checks: { pass: 1, fail: 3, skip: 1, error: 1 },
      findings: { critical: 2, warning: 3, info: 1 },
      nodes: { total: 2, reached: 1 },
      suppressed: 3,
      fixed: 1,
    },
    checks: [
      { id: 'missing-probes', title: 'Probes', status: 'fail', reason: null, durationMs: 12 },
      { id: 'evicted-pods', title: 'Evictions', status: 'fail', reason: null, durationMs: 3 },
      { id: 'graceful-termination', title: 'Graceful', status: 'fail', reason: null, durationMs: 4 },
      { id: 'syn-backlog', title: 'SYN', status: 'skip', reason: `no nodes: ${EVIL}`, durationMs: 0 },
      { id: 'kubelet-gc', title: 'GC', status: 'error', reason: `TypeError: ${EVIL}\n    at x`, durationMs: 1 },
      { id: 'jvm-container-memory', title: 'JVM', status: 'pass', reason: null, durationMs: 2 },
    ],
    findings,
    suppressed: [
      { ...finding({ rule: 'noReadinessProbe', fingerprint: 'fp-6', target: { kind: 'Deployment', namespace: 'batch', name: `job-${EVIL}`, container: 'c' } }), suppression: { by: 'config', reason: `batch ${EVIL}`, until: '2027-03-01' } },
      { ...finding({ rule: 'noReadinessProbe', fingerprint: 'fp-7', target: { kind: 'Deployment', namespace: 'batch', name: 'other' } }), suppression: { by: 'annotation', reason: 'owned elsewhere', until: null } },
      { ...finding({ rule: 'noReadinessProbe', fingerprint: 'fp-8', target: { kind: 'Deployment', namespace: 'batch', name: 'third' } }), suppression: { by: 'baseline', reason: 'in the baseline', until: null } },
    ],
    gaps: [{ source: 'ssh', node: `n-${EVIL}`, reason: `refused ${EVIL}` }, { source: 'api', resource: 'nodes/proxy', reason: 'forbidden' }],
    warnings: [{ code: 'suppression-expired', message: `expired ${EVIL}` }],
  };
}
