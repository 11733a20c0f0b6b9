// End to end: the built CLI, as a child process, against the test API server serving the demo
// cluster over https with a bearer token — the way a user runs it against a cluster.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { BIN, runCli, ROOT } from '../support/cli.js';
import { DEMO, DEMO_COLLECTED_AT, serveDemoCluster } from '../support/demo-server.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import type { Report } from '../../src/report/model.js';
import { BUILTIN_CHECK_IDS } from '../../src/engine/types.js';

const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'src', 'report', 'report.schema.json'), 'utf8')));

const demo = serveDemoCluster({ token: 'e2e-secret-token', context: 'e2e', name: 'e2e' });

const json = (stdout: string): Report => JSON.parse(stdout) as Report;
const essentials = (r: Report) => ({
  checks: r.checks.map(({ durationMs: _d, ...c }) => c),
  findings: r.findings,
  gaps: r.gaps,
});

describe('kubectl-checkup against a live API server', () => {
  let live: Report;

  beforeAll(async () => {
    // One /metrics scrape: a live window between two scrapes lasts as long as the lists take, which the
    // snapshot's recorded 5 s need not match (save-and-replay below compares two scrapes).
    const r = await runCli(['--kubeconfig', demo.kubeconfig, '--no-ssh', '-o', 'json', '--fail-on', 'none', '--sample-interval', '0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    live = json(r.stdout);
  });

  it('prints one JSON report that validates against the documented schema', () => {
    expect(validate(live)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    expect(live.cluster).toEqual({ context: 'e2e', server: demo.server.url, version: 'v1.32.4' });
  });

  it('finds the same as an offline run of the same cluster saved as a snapshot', async () => {
    const offline = await runCli(['--snapshot', DEMO, '--no-ssh', '-o', 'json', '--fail-on', 'none', '--sample-interval', '0']);
    expect(offline.code).toBe(0);
    expect(essentials(json(offline.stdout))).toEqual(essentials(live));
  });

  it('reports findings from the API checks on the demo cluster', () => {
    expect(live.summary.findings.critical + live.summary.findings.warning).toBeGreaterThan(0);
    expect(live.checks.find((c) => c.id === 'evicted-pods')?.status).toBe('fail');
    expect(live.checks.find((c) => c.id === 'missing-probes')?.status).toBe('fail');
  });

  it.each([
    ['graceful-termination', 'critical', 'Deployment', 'shop/checkout'],
    ['graceful-termination', 'warning', 'Deployment', 'shop/edge-gateway'],
    ['jvm-container-memory', 'critical', 'Deployment', 'payments/ledger-api'],
    ['jvm-container-memory', 'warning', 'Deployment', 'shop/inventory'],
    ['grpc-load-imbalance', 'warning', 'Service', 'shop/ratings'],
    ['cpu-throttling-kernel', 'warning', 'Node', '/demo-worker-3'],
    ['evicted-pods', 'critical', 'Node', '/demo-worker-2'],
    ['missing-probes', 'warning', 'Deployment', 'shop/cart'],
  ])('%s: %s on %s %s, through the API alone', (check, severity, kind, name) => {
    const found = live.findings.filter((f) => f.check === check && f.target.kind === kind && `${f.target.namespace ?? ''}/${f.target.name}` === name);
    expect(found.map((f) => f.severity)).toContain(severity);
  });

  it('does not flag the healthy look-alikes', () => {
    const targets = new Set(live.findings.map((f) => `${f.check} ${f.target.namespace ?? ''}/${f.target.name}`));
    for (const healthy of ['graceful-termination shop/frontend', 'graceful-termination shop/pricing', 'jvm-container-memory shop/reviews',
      'jvm-container-memory observability/kafka-exporter', 'grpc-load-imbalance payments/fraud-scoring', 'grpc-load-imbalance default/license-check',
      'missing-probes shop/frontend', 'missing-probes payments/payments-worker']) {
      expect(targets).not.toContain(healthy);
    }
  });

  it.each(['critical', 'warning', 'info', 'none'] as const)('--fail-on %s exits 1 exactly when a finding is at or above it', async (level) => {
    const order = { critical: 0, warning: 1, info: 2 };
    const expected = level !== 'none' && live.findings.some((f) => order[f.severity] <= order[level]) ? 1 : 0;
    const r = await runCli(['--kubeconfig', demo.kubeconfig, '--no-ssh', '-o', 'json', '--fail-on', level, '--checks', 'evicted-pods,missing-probes']);
    expect(r.code).toBe(expected);
  });

  it('sends only GET requests, every list with a limit, and the token only as a header', () => {
    expect(demo.server.requests.length).toBeGreaterThan(5);
    expect(demo.server.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    const lists = demo.server.requests.filter((r) => /\/(api\/v1|apis\/[^/]+\/v1)\/[a-z]+$|\/namespaces\/[^/]+\/[a-z]+$/.test(r.path));
    expect(lists.length).toBeGreaterThan(3);
    for (const l of lists) expect(Number(l.query.limit)).toBeGreaterThan(0);
    for (const l of lists) expect(Number(l.query.limit)).toBeLessThanOrEqual(500);
    expect(demo.server.requests.every((r) => r.authorized)).toBe(true);
  });

  it('asks the server to filter failed pods when only the eviction check needs pods (field selector)', async () => {
    const before = demo.server.requests.length;
    const r = await runCli(['--kubeconfig', demo.kubeconfig, '--no-ssh', '-o', 'json', '--fail-on', 'none', '--checks', 'evicted-pods']);
    expect(r.code).toBe(0);
    const podLists = demo.server.requests.slice(before).filter((x) => x.path === '/api/v1/pods');
    expect(podLists.length).toBeGreaterThan(0);
    expect(podLists.every((x) => x.query.fieldSelector === 'status.phase=Failed')).toBe(true);
  });

  it('prints the human report with the check table, findings and the fix', async () => {
    const r = await runCli(['--kubeconfig', demo.kubeconfig, '--no-ssh', '--fail-on', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kubectl-checkup \d+\.\d+\.\d+ · context e2e/);
    expect(r.stdout).toContain('[FAIL]  evicted-pods');
    expect(r.stdout).toContain('fix:');
    expect(r.stdout).toContain('SUMMARY');
    expect(r.stdout).not.toContain('e2e-secret-token');
    expect(r.stdout).not.toMatch(/\u001b\[/); // NO_COLOR
  });
});

describe('when the cluster cannot be used', () => {
  it('an unknown --context exits 2 naming it', async () => {
    const r = await runCli(['--kubeconfig', demo.kubeconfig, '--context', 'nope', '--no-ssh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: context "nope" not found in .*kubeconfig \(contexts: e2e\)$/);
    expect(r.stdout).toBe('');
  });

  it('an unreachable API server exits 2 with one line naming the context and server', async () => {
    const cfg = join(demo.tmp, 'unreachable');
    demo.server.writeKubeconfig(cfg, { context: 'gone', extraContexts: [{ name: 'dead', server: 'https://127.0.0.1:1' }] });
    const r = await runCli(['--kubeconfig', cfg, '--context', 'dead', '--no-ssh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: cannot reach the API server of context "dead" (https://127.0.0.1:1): connection refused');
  });

  it('no kubeconfig at all exits 2 instead of trying localhost:8080', async () => {
    const r = await runCli(['--no-ssh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no kubeconfig found/);
  });

  it('bad flags exit 2 with a hint', async () => {
    const r = await runCli(['--fail-on', 'sometimes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are critical, warning, info, none/);
    const noId = await runCli(['explain']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain("missing required argument 'check-id'");
    const unknown = await runCli(['--checks', 'does-not-exist', '--snapshot', DEMO]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown check "does-not-exist"/);
  });
});

describe('interrupted', () => {
  it('Ctrl-C exits 130', async () => {
    const slow = await startFakeApiServer({ snapshotDir: DEMO, tls: true, token: 't', now: DEMO_COLLECTED_AT, delayMs: 5000 });
    try {
      const cfg = join(demo.tmp, 'slow');
      slow.writeKubeconfig(cfg, { context: 'slow' });
      const { execa } = await import('execa');
      const child = execa(BIN, ['--kubeconfig', cfg, '--no-ssh'], { reject: false, env: { NO_COLOR: '1' } });
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(String(r.stderr)).toContain('interrupted');
    } finally {
      await slow.close();
    }
  });
});

describe('RBAC: nodes forbidden', () => {
  let restricted: FakeApiServer;
  let cfg: string;
  beforeAll(async () => {
    restricted = await startFakeApiServer({ snapshotDir: DEMO, tls: true, token: 't', now: DEMO_COLLECTED_AT, forbid: ['nodes'] });
    cfg = join(demo.tmp, 'restricted');
    restricted.writeKubeconfig(cfg, { context: 'restricted' });
  });
  afterAll(async () => { await restricted?.close(); });

  it('runs the other checks, skips the ones that need nodes with the reason, and reports the gap', async () => {
    const r = await runCli(['--kubeconfig', cfg, '--no-ssh', '-o', 'json', '--fail-on', 'none']);
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(report.gaps).toContainEqual({ source: 'api', resource: 'nodes', reason: 'forbidden' });
    expect(report.checks.find((c) => c.id === 'missing-probes')?.status).toBe('fail');
    const needNodes = report.checks.filter((c) => c.reason === 'forbidden: nodes');
    for (const c of needNodes) expect(c.status).toBe('skip');
    expect(validate(report)).toBe(true);
  });
});

describe('snapshots through the CLI', () => {
  it('--save-snapshot then --snapshot gives the same report', async () => {
    const dir = join(demo.tmp, 'saved');
    const saved = await runCli(['--kubeconfig', demo.kubeconfig, '--no-ssh', '-o', 'json', '--fail-on', 'none', '--save-snapshot', dir]);
    expect(saved.code).toBe(0);
    expect(saved.stderr).toContain(`snapshot saved to ${dir}`);
    const replay = await runCli(['--snapshot', dir, '--no-ssh', '-o', 'json', '--fail-on', 'none']);
    expect(replay.code).toBe(0);
    expect(essentials(json(replay.stdout))).toEqual(essentials(json(saved.stdout)));
    expect(json(replay.stdout).cluster.context).toBe('e2e');
  });
});

describe('list and explain', () => {
  it('list names every registered check; explain prints its README', async () => {
    const list = await runCli(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+SEVERITY\s+DATA\s+TITLE/);
    expect(list.stdout).toContain('missing-probes');
    const explain = await runCli(['explain', 'missing-probes']);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('## How to fix');
    // Every contract id is implemented now: none is "reserved".
    const listed = await runCli(['list', '-o', 'json']);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((c) => c.id).sort()).toEqual([...BUILTIN_CHECK_IDS].sort());
    const unknown = await runCli(['explain', 'no-such-check']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown check "no-such-check"');
  });
});
