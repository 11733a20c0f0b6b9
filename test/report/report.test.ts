import { describe, expect, it } from '@jest/globals';
import { buildReport, hasFindingsAtOrAbove } from '../../src/report/model.js';
import { renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { MAX_DEPTH, sanitize, sanitizeDeep, sanitizeLine, TOO_DEEP } from '../../src/report/sanitize.js';
import { EVIL, hostileReport } from './hostile-report.js';
import type { RunOutput } from '../../src/engine/run.js';
import type { Finding } from '../../src/engine/types.js';

const run: RunOutput = {
  cluster: { context: 'prod', server: 'https://10.0.0.1:6443', version: 'v1.32.4' },
  identity: 'kube-system-uid',
  now: new Date('2026-11-25T10:00:00Z'),
  results: [
    { id: 'evicted-pods', title: 'Evicted pods are not piling up', status: 'fail', reason: null, durationMs: 3 },
    { id: 'syn-backlog', title: 'Listen queues do not overflow', status: 'skip', reason: 'node checks not evaluated: --no-ssh', durationMs: 0 },
  ],
  findings: [
    { check: 'evicted-pods', rule: 'r', severity: 'warning', target: { kind: 'Node', name: 'n1' }, message: 'one', remediation: { summary: 'fix it' } },
    {
      check: 'evicted-pods', rule: 'r', severity: 'critical', target: { kind: 'Node', name: 'evil\u001b[31mred' },
      message: 'pod \u001b]0;pwned\u0007 evicted', evidence: { pods: ['a', 'b'], count: 2, byNode: { n1: 2 } },
      expected: '0', actual: '2', remediation: { summary: 'clean up', steps: ['kubectl get pods', 'kubectl delete pod x'] },
    },
  ],
  gaps: [{ source: 'ssh', node: 'n2', reason: 'connection refused' }, { source: 'api', resource: 'nodes/proxy', reason: 'forbidden' }],
  nodes: { total: 2, reached: 1 },
};

/** A finding whose words do not matter here: only check, severity and target. */
const finding = (check: Finding['check'], severity: Finding['severity'], kind: string, name: string): Finding =>
  ({ check, rule: 'r', severity, target: { kind, name }, message: 'm', remediation: { summary: 's' } });

const report = buildReport(run, { version: '0.1.0', startedAt: new Date('2026-11-25T10:00:00Z'), durationMs: 42 });

describe('report model', () => {
  it('groups findings by check, the check with the worst finding first', () => {
    const mixed = buildReport({ ...run, findings: [
      finding('missing-probes', 'warning', 'Deployment', 'b'),
      finding('evicted-pods', 'info', 'Node', 'a'),
      finding('missing-probes', 'info', 'Deployment', 'a'),
      finding('evicted-pods', 'critical', 'Node', 'z'),
    ] }, { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    expect(mixed.findings.map((f) => `${f.check}:${f.severity}:${f.target.name}`)).toEqual([
      'evicted-pods:critical:z', 'evicted-pods:info:a', 'missing-probes:warning:b', 'missing-probes:info:a',
    ]);
  });

  it('leaves out evidence that is undefined', () => {
    const r = buildReport({ ...run, findings: [{ check: 'evicted-pods', rule: 'r', severity: 'info', target: { kind: 'Node', name: 'a' }, message: 'm', remediation: { summary: 's' }, evidence: { gone: undefined, nested: { x: undefined, y: 1 } } }] }, { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    const text = renderText(r, { colorLevel: 0, wide: true });
    expect(text).not.toContain('undefined');
    expect(text).toContain('y: 1');
  });

  it('counts, orders worst first, and keeps the contract fields', () => {
    expect(report.summary).toEqual({ checks: { pass: 0, fail: 1, skip: 1, error: 0 }, findings: { critical: 1, warning: 1, info: 0 }, nodes: { total: 2, reached: 1 }, suppressed: 0 });
    expect(report.findings.map((f) => f.severity)).toEqual(['critical', 'warning']);
    expect(Object.keys(report)).toEqual(['apiVersion', 'kind', 'tool', 'cluster', 'source', 'startedAt', 'durationMs', 'summary', 'checks', 'findings', 'suppressed', 'gaps', 'warnings']);
  });

  it.each([
    ['critical', true], ['warning', true], ['info', true], ['none', false],
  ] as const)('--fail-on %s → %s', (level, expected) => {
    expect(hasFindingsAtOrAbove(report, level)).toBe(expected);
  });

  it('fails on nothing when there is only a warning and the level is critical', () => {
    const onlyWarning = { ...report, findings: report.findings.filter((f) => f.severity === 'warning') };
    expect(hasFindingsAtOrAbove(onlyWarning, 'critical')).toBe(false);
    expect(hasFindingsAtOrAbove(onlyWarning, 'warning')).toBe(true);
  });
});

describe('sanitize', () => {
  it('makes terminal escapes visible instead of interpreting them', () => {
    expect(sanitize('a\u001b[31mb\u009bc\u0007')).toBe('a\\x1b[31mb\\x9bc\\x07');
    expect(sanitize('line1\nline2\ttab')).toBe('line1\nline2\ttab');
  });

  it('sanitizeDeep copies what has anything to change, deep down, and hands back the rest as it is', () => {
    const clean = { a: [{ b: 'x', c: 1 }], d: null };
    expect(sanitizeDeep(clean)).toBe(clean);
    const value = { ok: 'x', list: [{ deep: 'a\nb' }] };
    expect(sanitizeDeep(value)).toEqual({ ok: 'x', list: [{ deep: 'a\\nb' }] });
    expect(value.list[0]!.deep).toBe('a\nb'); // the input is left alone
    expect(sanitizeDeep({ inner: { ['k\u001b']: 1 } })).toEqual({ inner: { 'k\\x1b': 1 } });
    // A Date is copied field by field (it has none), not serialised by itself; past MAX_DEPTH is cut off.
    expect(sanitizeDeep({ at: new Date(0) })).toEqual({ at: {} });
    let deep: unknown = 'bottom';
    for (let i = 0; i <= MAX_DEPTH; i++) deep = [deep];
    expect(JSON.stringify(sanitizeDeep(deep))).toContain(JSON.stringify(TOO_DEEP));
  });
});

describe('renderText', () => {
  const text = renderText(report, { colorLevel: 0 });
  const wide = renderText(report, { colorLevel: 0, wide: true });

  it('shows findings worst first with the fix, then status per check, then the summary and gaps', () => {
    expect(text).toContain('[FAIL]  evicted-pods');
    expect(text).toContain('[SKIP]  syn-backlog');
    expect(text).toContain('node checks not evaluated: --no-ssh');
    expect(text).toContain('CRITICAL Node/evil\\x1b[31mred');
    expect(text).toContain('fix: clean up');
    expect(text).toContain('  1. kubectl get pods\n    2. kubectl delete pod x');
    expect(text).toContain('checks:     0 pass, 1 fail, 1 skip, 0 error');
    expect(text).toContain('nodes:      1 of 2 reached over SSH');
    expect(text).toContain('ssh n2: connection refused');
    expect(text).toContain('api nodes/proxy: forbidden');
    expect(text.indexOf('FINDINGS')).toBeLessThan(text.indexOf('CHECKS'));
    expect(text.indexOf('CHECKS')).toBeLessThan(text.indexOf('SUMMARY'));
    expect(text.indexOf('CRITICAL')).toBeLessThan(text.indexOf('WARNING'));
  });

  it('is compact: no evidence and no expected/actual (they repeat the message); -o wide adds them', () => {
    expect(text).not.toContain('expected:');
    expect(text).not.toContain('pods: a, b');
    expect(text).not.toContain('evidence:');
    expect(wide).toContain('expected: 0');
    expect(wide).toContain('actual:   2');
    expect(wide).toContain('pods: a, b');
    expect(wide).toContain('byNode:\n      n1: 2');
    // Otherwise the same report: every compact line is in the wide one, in the same order.
    const wideLines = wide.split('\n');
    let at = 0;
    for (const line of text.split('\n').filter((l) => !l.startsWith('FINDINGS'))) {
      at = wideLines.indexOf(line, at);
      expect([line, at >= 0]).toEqual([line, true]);
    }
  });

  it('orders by severity across checks, keeping the report order within a severity', () => {
    const r = buildReport({ ...run, findings: [
      finding('missing-probes', 'critical', 'Deployment', 'm-crit'),
      finding('missing-probes', 'info', 'Deployment', 'm-info'),
      finding('evicted-pods', 'warning', 'Node', 'e-warn'),
      finding('evicted-pods', 'critical', 'Node', 'e-crit'),
    ] }, { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    const order = renderText(r, { colorLevel: 0 }).split('\n').filter((l) => /^(CRITICAL|WARNING|INFO) /.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(order).toEqual(['Node/e-crit', 'Deployment/m-crit', 'Node/e-warn', 'Deployment/m-info']);
  });

  it('names the rule when the finding has one, else the check', () => {
    const r = buildReport({ ...run, findings: [
      { check: 'missing-probes', rule: 'noReadinessProbe', severity: 'warning', target: { kind: 'Deployment', namespace: 'shop', name: 'cart', container: 'cart' }, message: 'm', remediation: { summary: 's' } },
      // A report from before rule ids (e.g. read back from an old baseline) has none.
      { check: 'evicted-pods', severity: 'warning', target: { kind: 'Node', name: 'n1' }, message: 'm', remediation: { summary: 's' } } as Finding,
    ] }, { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    const t = renderText(r, { colorLevel: 0 });
    expect(t).toContain('WARNING  Deployment/shop/cart container cart  missing-probes/noReadinessProbe\n');
    expect(t).toContain('WARNING  Node/n1  evicted-pods\n');
  });

  it('never lets a raw escape character through', () => {
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(wide).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('says when the data is a snapshot, and when nodes were not probed', () => {
    const snap = renderText(report, { colorLevel: 0, snapshot: { collectedAt: new Date('2026-11-25T10:00:00Z') } });
    expect(snap.split('\n')[0]).toContain('snapshot collected 2026-11-25T10:00:00Z');
    expect(snap).toContain('nodes:      1 of 2 reached when the snapshot was collected');
    expect(renderText(report, { colorLevel: 0, ssh: false })).toContain('nodes:      2 not probed (--no-ssh)');
  });

  it('says how many findings were suppressed, by what, and the warnings; -o wide lists the suppressed', () => {
    const f = report.findings[1]!;
    const r = {
      ...report,
      summary: { ...report.summary, suppressed: 3, fixed: 2 },
      suppressed: [
        { ...f, suppression: { by: 'config' as const, reason: 'batch jobs', until: '2027-03-01' } },
        { ...f, suppression: { by: 'baseline' as const, reason: 'in the baseline', until: null } },
        { ...f, suppression: { by: 'config' as const, reason: 'other', until: null } },
      ],
      warnings: [{ code: 'suppression-expired', message: 'missing-probes in batch-* expired on 2026-01-01' }],
    };
    const t = renderText(r, { colorLevel: 0 });
    expect(t).toContain('suppressed: 3 (2 by config, 1 by baseline) — listed with -o wide');
    expect(t).toContain('fixed:      2 (in the baseline, no longer found)');
    expect(t).toContain('WARNINGS\n  suppression-expired: missing-probes in batch-* expired on 2026-01-01');
    expect(t).not.toContain('batch jobs');
    const w = renderText(r, { colorLevel: 0, wide: true });
    expect(w).toContain('SUPPRESSED\n  Node/n1 (evicted-pods/r) — by config: batch jobs (until 2027-03-01)');
    expect(renderText(report, { colorLevel: 0 })).not.toMatch(/suppressed:|WARNINGS/);
  });

  it('sanitises evidence keys too', () => {
    const r = buildReport({ ...run, findings: [{ check: 'evicted-pods', rule: 'r', severity: 'info', target: { kind: 'Node', name: 'a' }, message: 'm', remediation: { summary: 's' }, evidence: { nested: { 'k\u001b[2J': 1 } } }] }, { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    expect(renderText(r, { colorLevel: 0, wide: true })).toContain('k\\x1b[2J: 1');
  });

  it('colours only when asked', () => {
    expect(renderText(report, { colorLevel: 1 })).toMatch(/\u001b\[/);
  });

  it('says where a manifest finding is, right under its header', () => {
    const t = renderText(hostileReport(), { colorLevel: 0 });
    expect(t).toContain('CRITICAL Deployment/web/front container app  graceful-termination/noPreStop\n  at deploy/my app, v1:prod%.yaml:12\n  no preStop\n');
    expect(t).toContain('  at <stdin>:40 (chart/templates/back.yaml)\n');
  });

  it('keeps a hostile target on its one header line, control characters made visible', () => {
    const t = renderText(hostileReport(), { colorLevel: 0, wide: true });
    const header = t.split('\n').find((l) => l.startsWith('CRITICAL Pod/'))!;
    expect(header).toBe(`CRITICAL ${sanitizeLine(`Pod/ns-${EVIL}/pod-${EVIL} container c-${EVIL}`)}  missing-probes/noReadinessProbe`);
    expect(t).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('renderJson', () => {
  it('is one parseable document with sanitised strings', () => {
    const doc = JSON.parse(renderJson(report));
    expect(doc.kind).toBe('Report');
    expect(doc.findings[0].message).toBe('pod \\x1b]0;pwned\\x07 evicted');
  });
});
