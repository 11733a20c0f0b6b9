// Probe pods never outlive a run: the built CLI with --node-access pod against the test API server,
// interrupted with Ctrl-C while its pods run, and denied the delete it needs — where it must print the
// command that removes what it left, and that command (run with the real kubectl) must work.
import { afterEach, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import type { Kubelet } from '../support/fake-apiserver-pods.js';
import { describeReal } from '../support/real.js';
import { recordedKubelet, type RecordedSamples } from '../support/recorded-kubelet.js';
import type { Report } from '../../src/report/model.js';

const RECORDED = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'demo-cluster', 'nodes', 'demo-worker-1.json'), 'utf8')) as { samples: RecordedSamples }).samples;
const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const nodes = NAMES.map((name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR: '10.244.1.0/24' } }));
const CHECKS = ['--checks', 'syn-backlog,cni0-bridge-mismatch', '--sample-interval', '0'];

let server: FakeApiServer | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function start(kubelet: Kubelet, extra: Parameters<typeof startFakeApiServer>[0] = {}) {
  server = await startFakeApiServer({ objects: { Node: nodes } as never, tls: true, token: 'cleanup', pods: { kubelet }, ...extra });
  tmp = mkdtempSync(join(tmpdir(), 'checkup-pod-cleanup-'));
  const kubeconfig = join(tmp, 'kubeconfig');
  server.writeKubeconfig(kubeconfig, { context: 'lab' });
  return { s: server, kubeconfig };
}

const writes = (s: FakeApiServer) => s.requests.filter((r) => r.method !== 'GET');
const waitFor = async (what: string, test: () => boolean, ms = 20_000) => {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

it('Ctrl-C while probe pods run: every pod of the run is deleted, then exit 130', async () => {
  // Pods that start and never finish: the run is mid-flight when it is interrupted.
  const stuck: Kubelet = () => ({ kind: 'run', start: (_p, io) => { io.out('working\n'); return { kill() {} }; } });
  const { s, kubeconfig } = await start(stuck);
  const child = execa(BIN, ['--kubeconfig', kubeconfig, ...CHECKS, '--node-access', 'pod', '--ssh-concurrency', '3', '--node-timeout', '120', '-o', 'json'], {
    reject: false, env: { NO_COLOR: '1', HOME: '/nonexistent', KUBECONFIG: undefined }, extendEnv: true, stdin: 'ignore', timeout: 60_000,
  });
  await waitFor('three running probe pods', () => s.pods!.current().filter((p) => p.status?.phase === 'Running').length === 3);
  child.kill('SIGINT');
  const r = await child;
  expect(r.exitCode).toBe(130);
  expect(String(r.stderr)).toContain('interrupted');
  expect(String(r.stdout)).toBe('');
  expect(s.pods!.current()).toEqual([]);
  expect(s.pods!.created()).toBe(3);
  const w = writes(s);
  expect(w.filter((x) => x.method === 'POST')).toHaveLength(3);
  expect(w.filter((x) => x.method === 'DELETE')).toHaveLength(3);
  expect(w.every((x) => x.path.startsWith('/api/v1/namespaces/default/pods'))).toBe(true);
}, 60_000);

it('a failing node and a node that never starts its pod: gaps, the run completes, no pod is left', async () => {
  const kubelet: Kubelet = (pod) => pod.spec.nodeName === 'n2' ? { kind: 'imagePullFailure', message: 'manifest unknown' }
    : pod.spec.nodeName === 'n3' ? { kind: 'pending' } : recordedKubelet(() => RECORDED)(pod);
  const { s, kubeconfig } = await start(kubelet);
  const r = await runCli(['--kubeconfig', kubeconfig, ...CHECKS, '--node-access', 'pod', '--node-timeout', '2', '-o', 'json']);
  const report = JSON.parse(r.stdout) as Report;
  expect(report.summary.nodes).toEqual({ total: 5, reached: 3 });
  expect(report.gaps).toEqual([
    { source: 'pod', node: 'n2', reason: expect.stringMatching(/^the probe image busybox:1\.36 cannot be pulled on n2/) },
    { source: 'pod', node: 'n3', reason: expect.stringMatching(/^no result within 2s: the probe pod stayed Pending/) },
  ].sort((a, b) => a.node.localeCompare(b.node)));
  expect(s.pods!.current()).toEqual([]);
  expect(r.stderr).toBe('');
});

describeReal('cleanup denied', { commands: ['kubectl'] }, () => {
  it('a 403 on delete: the run says which command removes its pods, and that command works', async () => {
    const { s, kubeconfig } = await start(recordedKubelet(() => RECORDED), {});
    s.pods!.refuse('delete');
    const r = await runCli(['--kubeconfig', kubeconfig, ...CHECKS, '--node-access', 'pod', '-o', 'json']);
    expect((JSON.parse(r.stdout) as Report).summary.nodes).toEqual({ total: 5, reached: 5 });
    const cmd = /^ {2}(kubectl delete pods -n default -l app\.kubernetes\.io\/managed-by=kubectl-checkup,checkup\.k8s\.io\/run-id=[0-9a-f]+)$/m.exec(r.stderr)?.[1];
    expect(r.stderr).toContain('could not delete 5 probe pod(s) in namespace default (forbidden: cannot delete pods in namespace default');
    expect(cmd).toBeDefined();
    expect(s.pods!.current()).toHaveLength(5);
    // Someone with the right to delete runs the printed command.
    s.pods!.allow('delete');
    const k = await execa('kubectl', [...cmd!.split(' ').slice(1), '--kubeconfig', kubeconfig, '--cache-dir', join(tmp!, 'kcache')], { reject: false });
    expect(k.exitCode).toBe(0);
    expect(s.pods!.current()).toEqual([]);
  }, 60_000);
});
