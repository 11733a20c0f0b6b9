// End to end: the policy flags (config file, annotation suppressions, baseline, --fail-on-gaps)
// through the built CLI, against the test API server serving the demo cluster — with annotations
// added to some of its objects — and on snapshots of it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { runCli, ROOT } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import type { Report } from '../../src/report/model.js';

const DEMO = join(ROOT, 'fixtures', 'demo-cluster');
const collectedAt = new Date(JSON.parse(readFileSync(join(DEMO, 'snapshot.json'), 'utf8')).collectedAt);
const tmp = mkdtempSync(join(tmpdir(), 'checkup-policy-'));
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'src', 'report', 'report.schema.json'), 'utf8')));
const json = (stdout: string): Report => JSON.parse(stdout) as Report;
const about = (f: { check: string; target: { kind: string; namespace?: string; name: string } }) => `${f.check} ${f.target.kind} ${f.target.namespace ?? ''}/${f.target.name}`;

type Obj = { metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };
/** A copy of the demo snapshot whose objects `edit` may change (annotations), or drop (null) or add to. */
function demoCopy(name: string, edit: (kind: string, o: Obj) => Obj | null = (_k, o) => o, add: Record<string, Obj[]> = {}): string {
  const dir = join(tmp, name);
  cpSync(DEMO, dir, { recursive: true });
  for (const kind of ['Namespace', 'Node', 'Service', 'Deployment']) {
    const file = join(dir, 'api', `${kind}.jsonl`);
    const objs = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Obj);
    const out = [...objs.flatMap((o) => edit(kind, o) ?? []), ...(add[kind] ?? [])];
    writeFileSync(file, out.map((o) => JSON.stringify(o)).join('\n') + '\n');
  }
  return dir;
}
const ignore = (o: Obj, annotations: Record<string, string>): Obj => ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...annotations } } });
const is = (o: Obj, namespace: string | undefined, name: string) => o.metadata.name === name && o.metadata.namespace === namespace;

/** The demo cluster with suppressions annotated on a Namespace, a Deployment, a Service and a Node. */
const ANNOTATED = (kind: string, o: Obj): Obj => {
  if (kind === 'Namespace' && is(o, undefined, 'payments')) {
    return ignore(o, { 'checkup.k8s.io/ignore': 'jvm-container-memory', 'checkup.k8s.io/ignore-reason': 'ledger moves to Java 21 in sprint 48', 'checkup.k8s.io/ignore-until': '2027-01-31' });
  }
  if (kind === 'Deployment' && is(o, 'shop', 'checkout')) return ignore(o, { 'checkup.k8s.io/ignore': 'graceful-termination, missing-probes', 'checkup.k8s.io/ignore-reason': 'rollout settings owned by the platform team' });
  if (kind === 'Deployment' && is(o, 'shop', 'cart')) return ignore(o, { 'checkup.k8s.io/ignore': 'missing-probes' }); // no reason
  if (kind === 'Service' && is(o, 'shop', 'ratings')) return ignore(o, { 'checkup.k8s.io/ignore': 'grpc-load-imbalance', 'checkup.k8s.io/ignore-reason': 'client-side balancing' });
  if (kind === 'Node' && is(o, undefined, 'demo-worker-3')) {
    return ignore(o, { 'checkup.k8s.io/ignore': 'evicted-pods', 'checkup.k8s.io/ignore-reason': 'disk swap scheduled', 'checkup.k8s.io/ignore-until': '2026-11-24' });
  }
  return o;
};

const servers: FakeApiServer[] = [];
async function serve(snapshotDir: string, extra: { forbid?: string[] } = {}): Promise<{ server: FakeApiServer; kubeconfig: string }> {
  const server = await startFakeApiServer({ snapshotDir, tls: true, token: 'policy-token', now: collectedAt, ...extra });
  servers.push(server);
  const kubeconfig = join(tmp, `kubeconfig-${servers.length}`);
  server.writeKubeconfig(kubeconfig, { context: 'policy' });
  return { server, kubeconfig };
}
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
});

let demo: { server: FakeApiServer; kubeconfig: string };
beforeAll(async () => { demo = await serve(DEMO); });
const live = (args: string[], opts: { cwd?: string; kubeconfig?: string } = {}) =>
  runCli(['--kubeconfig', opts.kubeconfig ?? demo.kubeconfig, '--no-ssh', ...args], { cwd: opts.cwd });

function workdir(name: string, config?: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, '.checkup.yaml'), config);
  return dir;
}

describe('config file', () => {
  it('a wrong type stops the run with exit 2 naming file, line and key', async () => {
    const cwd = workdir('wrong-type', 'apiVersion: checkup.k8s.io/v1\nkind: Config\nsuppress:\n  - check: missing-probes\n    reason: 42\n');
    const asked = demo.server.requests.length;
    const r = await live(['-o', 'json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: .checkup.yaml:5: suppress[0].reason: expected a string, got 42');
    // Nothing was asked of the cluster: the config is read first.
    expect(demo.server.requests.length).toBe(asked);
    const other = await runCli(['--config', join(cwd, '.checkup.yaml'), '--snapshot', DEMO, '-o', 'json']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`${join(cwd, '.checkup.yaml')}:5: suppress[0].reason`);
  });

  it('a wrong setting value is exit 2; an unknown key is a warning naming the closest, and the run goes on', async () => {
    const bad = await runCli(['--snapshot', DEMO, '-o', 'json'], { cwd: workdir('bad-setting', 'settings:\n  evicted-pods:\n    burstPerHour: -1\n') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: .checkup.yaml:3: settings.evicted-pods.burstPerHour: expected a number from 1 to 10000, got -1');

    const cwd = workdir('unknown-key', 'checks:\n  skip: [grpc-load-imbalance]\nsupress:\n  - check: missing-probes\n    reason: r\nsettings:\n  evicted-pods: {burstPerHuor: 2}\n');
    const r = await live(['-o', 'json', '--fail-on', 'none'], { cwd });
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(validate(report)).toBe(true);
    expect(report.warnings).toEqual([
      { code: 'config-unknown-key', message: '.checkup.yaml:3: unknown key supress (did you mean "suppress"?); it is ignored' },
      { code: 'config-unknown-key', message: '.checkup.yaml:7: settings.evicted-pods: unknown setting "burstPerHuor" (did you mean "burstPerHour"?); evicted-pods has: burstPerHour, repeatedPerDay, staleEvictedPods; it is ignored' },
    ]);
    expect(report.checks.map((c) => c.id)).not.toContain('grpc-load-imbalance');
    expect(report.suppressed).toEqual([]);
  });

  it('suppresses by check and glob with the reason, holds until its day and then warns, and lists unused entries', async () => {
    const cwd = workdir('suppress', `suppress:
  - check: jvm-container-memory
    name: ledger-*
    reason: vendor image, heap fixed upstream
    until: 2026-11-25
  - check: graceful-termination
    namespace: sh?p
    reason: expired acceptance
    until: 2026-11-24
  - check: missing-probes
    namespace: no-such-namespace
    reason: stale
`);
    const r = await live(['-o', 'json', '--fail-on', 'none'], { cwd });
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(validate(report)).toBe(true);
    expect(report.suppressed.map(about)).toEqual(['jvm-container-memory Deployment payments/ledger-api']);
    expect(report.suppressed[0]!.suppression).toEqual({ by: 'config', reason: 'vendor image, heap fixed upstream', until: '2026-11-25' });
    expect(report.summary.suppressed).toBe(1);
    expect(report.findings.map(about)).not.toContain('jvm-container-memory Deployment payments/ledger-api');
    expect(report.findings.map(about)).toContain('graceful-termination Deployment shop/checkout');
    expect(report.warnings.map((w) => [w.code, w.message.split(':')[1]])).toEqual([['suppression-expired', '6'], ['suppression-unused', '10']]);
  });

  it('a suppressed critical no longer fails --fail-on critical', async () => {
    const before = await runCli(['--snapshot', DEMO, '-o', 'json'], { cwd: workdir('none') });
    expect(before.code).toBe(1);
    // Every check with a critical finding in the demo cluster, accepted.
    const critical = [...new Set(json(before.stdout).findings.filter((f) => f.severity === 'critical').map((f) => f.check))];
    expect(critical.length).toBeGreaterThan(3);
    const all = 'suppress:\n' + critical.map((c) => `  - {check: ${c}, reason: accepted}\n`).join('');
    const r = await runCli(['--snapshot', DEMO, '-o', 'json'], { cwd: workdir('criticals', all) });
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(report.summary.findings.critical).toBe(0);
    expect(report.suppressed.filter((f) => f.severity === 'critical').length).toBe(json(before.stdout).summary.findings.critical);
  });

  it('per-check settings and severity overrides change the result; flags beat the file', async () => {
    const cwd = workdir('settings', 'checks:\n  skip: [missing-probes]\nsettings:\n  evicted-pods: {burstPerHour: 7}\nseverity:\n  grpc-load-imbalance: critical\n');
    const r = json((await runCli(['--snapshot', DEMO, '--no-ssh', '-o', 'json', '--fail-on', 'none'], { cwd })).stdout);
    const burst = r.findings.find((f) => f.check === 'evicted-pods' && f.target.name === 'demo-worker-2')!;
    // 6 evictions within the hour are below 7: only the repeated workload still makes it critical.
    expect(burst.message).not.toContain('evictions on this node within one hour');
    expect(burst.message).toContain('Deployment shop/cart evicted 4 times in 24 h');
    const defaults = json((await runCli(['--snapshot', DEMO, '--no-ssh', '-o', 'json', '--fail-on', 'none'])).stdout);
    expect(defaults.findings.find((f) => f.check === 'evicted-pods' && f.target.name === 'demo-worker-2')!.message).toContain('6 evictions on this node within one hour');
    expect(r.findings.filter((f) => f.check === 'grpc-load-imbalance').map((f) => f.severity)).toEqual(['critical', 'critical']);
    expect(r.checks.map((c) => c.id)).not.toContain('missing-probes');
    const flags = json((await runCli(['--snapshot', DEMO, '--no-ssh', '-o', 'json', '--fail-on', 'none', '--checks', 'missing-probes'], { cwd })).stdout);
    expect(flags.checks.map((c) => c.id)).toEqual(['missing-probes']);
  });
});

describe('annotation suppressions', () => {
  let annotated: { server: FakeApiServer; kubeconfig: string };
  let report: Report;
  beforeAll(async () => {
    annotated = await serve(demoCopy('annotated', ANNOTATED));
    const r = await live(['-o', 'json', '--fail-on', 'none'], { kubeconfig: annotated.kubeconfig });
    expect(r.code).toBe(0);
    report = json(r.stdout);
  });

  it('a Namespace covers what is in it, a workload and a Service themselves, each with its reason', () => {
    expect(validate(report)).toBe(true);
    expect(report.suppressed.map(about).sort()).toEqual([
      'graceful-termination Deployment shop/checkout',
      'grpc-load-imbalance Service shop/ratings',
      'jvm-container-memory Deployment payments/ledger-api',
    ]);
    expect(report.suppressed.map((s) => s.suppression).find((s) => s.until)).toEqual({
      by: 'annotation', reason: 'ledger moves to Java 21 in sprint 48 (annotation on Namespace payments)', until: '2027-01-31',
    });
    expect(report.summary.suppressed).toBe(3);
    expect(report.findings.map(about)).toContain('graceful-termination Deployment shop/search');
    expect(report.findings.map(about)).toContain('grpc-load-imbalance Service shop/recommendations');
  });

  it('an annotation without a reason is ignored with a warning; an expired one reports again and warns', () => {
    expect(report.findings.map(about)).toContain('missing-probes Deployment shop/cart');
    expect(report.findings.map(about)).toContain('evicted-pods Node /demo-worker-3');
    expect(report.warnings).toEqual(expect.arrayContaining([
      { code: 'annotation-without-reason', message: 'Deployment shop/cart has checkup.k8s.io/ignore but no checkup.k8s.io/ignore-reason: the annotation is ignored (say why the finding is accepted)' },
      { code: 'suppression-expired', message: 'annotation on Node demo-worker-3 expired on 2026-11-24; 1 finding(s) it covered are reported again' },
    ]));
  });

  it('--no-annotation-suppressions ignores them all, and Namespaces are then not listed for them', async () => {
    const before = annotated.server.requests.length;
    const r = await live(['-o', 'json', '--fail-on', 'none', '--no-annotation-suppressions', '--checks', 'jvm-container-memory'], { kubeconfig: annotated.kubeconfig });
    const off = json(r.stdout);
    expect(off.suppressed).toEqual([]);
    expect(off.warnings).toEqual([]);
    expect(off.findings.map(about)).toContain('jvm-container-memory Deployment payments/ledger-api');
    expect(annotated.server.requests.slice(before).some((q) => q.path === '/api/v1/namespaces')).toBe(false);
    const mid = annotated.server.requests.length;
    const on = json((await live(['-o', 'json', '--fail-on', 'none', '--checks', 'jvm-container-memory'], { kubeconfig: annotated.kubeconfig })).stdout);
    expect(on.suppressed.map(about)).toEqual(['jvm-container-memory Deployment payments/ledger-api']);
    expect(annotated.server.requests.slice(mid).some((q) => q.path === '/api/v1/namespaces')).toBe(true);
    expect(annotated.server.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it('Namespaces that cannot be listed are a warning, not a gap', async () => {
    const forbidden = await serve(demoCopy('annotated-forbidden', ANNOTATED), { forbid: ['namespaces'] });
    const r = json((await live(['-o', 'json', '--fail-on', 'none', '--checks', 'jvm-container-memory'], { kubeconfig: forbidden.kubeconfig })).stdout);
    expect(r.gaps).toEqual([]);
    expect(r.suppressed).toEqual([]);
    expect(r.warnings.filter((w) => w.code !== 'annotation-without-reason')).toEqual([{ code: 'annotations-unavailable', message: 'could not list Namespace objects (forbidden): suppressions annotated on them are not applied' }]);
  });

  it('a saved snapshot replays with the same suppressions (annotations come from its objects)', async () => {
    const dir = join(tmp, 'saved-annotated');
    const saved = await live(['-o', 'json', '--fail-on', 'none', '--save-snapshot', dir], { kubeconfig: annotated.kubeconfig });
    expect(saved.code).toBe(0);
    const replay = await runCli(['--snapshot', dir, '--no-ssh', '-o', 'json', '--fail-on', 'none']);
    expect(replay.code).toBe(0);
    const r = json(replay.stdout);
    expect(r.suppressed.map(about).sort()).toEqual(report.suppressed.map(about).sort());
    expect(r.warnings).toEqual(report.warnings);
    // And the edited copy of the demo snapshot, replayed directly.
    const direct = json((await runCli(['--snapshot', join(tmp, 'annotated'), '--no-ssh', '-o', 'json', '--fail-on', 'none'])).stdout);
    expect(direct.suppressed.map(about).sort()).toEqual(report.suppressed.map(about).sort());
  });
});

describe('--fail-on-gaps', () => {
  it('exits 1 when data could not be collected, even with --fail-on none', async () => {
    const r = await live(['-o', 'json', '--fail-on', 'none', '--fail-on-gaps']);
    expect(json(r.stdout).gaps).toEqual([{ source: 'api', resource: 'nodes/proxy (node demo-worker-3)', reason: 'forbidden' }]);
    expect(r.code).toBe(1);
    expect((await live(['-o', 'json', '--fail-on', 'none'])).code).toBe(0);
  });

  it('a check switched off by --no-ssh is not a gap', async () => {
    const r = await live(['-o', 'json', '--fail-on', 'none', '--fail-on-gaps', '--checks', 'missing-probes,syn-backlog']);
    const report = json(r.stdout);
    expect(report.checks.find((c) => c.id === 'syn-backlog')!.status).toBe('skip');
    expect(report.gaps).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('a forbidden list fails the gate', async () => {
    const forbidden = await serve(DEMO, { forbid: ['services'] });
    const r = await live(['-o', 'json', '--fail-on', 'none', '--fail-on-gaps', '--checks', 'missing-probes,syn-backlog'], { kubeconfig: forbidden.kubeconfig });
    expect(json(r.stdout).gaps.map((g) => g.source === 'api' && g.resource)).toEqual(['services']);
    expect(r.code).toBe(1);
  });
});

describe('baseline: input errors', () => {
  it('an unreadable or wrong baseline is exit 2 with the reason', async () => {
    const missing = await runCli(['--snapshot', DEMO, '--baseline', join(tmp, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: --baseline ${join(tmp, 'nope.json')}: cannot read it (ENOENT)`);
    const text = join(tmp, 'text-report.txt');
    writeFileSync(text, (await runCli(['--snapshot', DEMO, '--fail-on', 'none'])).stdout);
    const wrong = await runCli(['--snapshot', DEMO, '--baseline', text]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`--baseline ${text}: not JSON`);
    const old = join(tmp, 'old-report.json');
    const report = json((await runCli(['--snapshot', DEMO, '-o', 'json', '--fail-on', 'none'])).stdout);
    writeFileSync(old, JSON.stringify({ ...report, findings: report.findings.map(({ fingerprint: _f, ...f }) => f) }));
    const unprinted = await runCli(['--snapshot', DEMO, '--baseline', old]);
    expect(unprinted.code).toBe(2);
    expect(unprinted.stderr).toContain('its findings have no fingerprints');
  });
});

// Fingerprints are filled in by the engine (DESIGN §2.5); until they are, these cannot run.
const probe = await runCli(['--snapshot', DEMO, '--no-ssh', '-o', 'json', '--fail-on', 'none']);
const fingerprinted = json(probe.stdout).findings.every((f) => typeof f.fingerprint === 'string' && f.fingerprint.length > 0);

(fingerprinted ? describe : describe.skip)('baseline (needs fingerprints)', () => {
  const baselineFile = join(tmp, 'baseline.json');
  let first: Report;
  beforeAll(async () => {
    const r = await live(['-o', 'json', '--fail-on', 'none']);
    writeFileSync(baselineFile, r.stdout);
    first = json(r.stdout);
    expect(first.findings.length).toBeGreaterThan(5);
  });

  it('the same cluster again: exit 0, everything suppressed by baseline, nothing fixed', async () => {
    const r = await live(['-o', 'json', '--fail-on', 'info', '--baseline', baselineFile]);
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(validate(report)).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.suppressed.map(about).sort()).toEqual(first.findings.map(about).sort());
    expect(report.suppressed.every((s) => s.suppression.by === 'baseline')).toBe(true);
    expect(report.summary).toMatchObject({ suppressed: first.findings.length, fixed: 0 });
  });

  it('fingerprints hold across a snapshot replay of the same cluster', async () => {
    const dir = join(tmp, 'saved-plain');
    await live(['-o', 'json', '--fail-on', 'none', '--save-snapshot', dir]);
    const r = await runCli(['--snapshot', dir, '--no-ssh', '-o', 'json', '--fail-on', 'info', '--baseline', baselineFile]);
    expect(json(r.stdout).findings).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('one new fault: exit 1 naming only it; its report as the next baseline counts the fix when it is gone', async () => {
    const cart = JSON.parse(readFileSync(join(DEMO, 'api', 'Deployment.jsonl'), 'utf8').split('\n').find((l) => l.includes('"name":"cart"') && l.includes('"namespace":"shop"'))!) as Obj;
    const copy = { ...cart, metadata: { ...cart.metadata, name: 'cart-canary', uid: 'c0ffee00-0000-4000-8000-000000000001' } };
    const faulty = await serve(demoCopy('new-fault', undefined, { Deployment: [copy] }));
    const r = await live(['-o', 'json', '--fail-on', 'warning', '--baseline', baselineFile], { kubeconfig: faulty.kubeconfig });
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(new Set(report.findings.map((f) => `${f.target.namespace}/${f.target.name}`))).toEqual(new Set(['shop/cart-canary']));
    expect(report.summary.fixed).toBe(0);
    // This report is the next baseline (findings + suppressed); back on the original cluster the
    // canary's findings are gone: counted as fixed, and nothing new fails.
    const next = join(tmp, 'baseline-2.json');
    writeFileSync(next, r.stdout);
    const back = await live(['-o', 'json', '--fail-on', 'info', '--baseline', next]);
    expect(back.code).toBe(0);
    expect(json(back.stdout).summary.fixed).toBe(report.findings.length);
  });
});
