// The pod transport against the test API server's pods: what it collects, how each way a probe pod
// can fail becomes a gap with a reason a person can act on, that no pod of a run is left behind, and
// that the only writes are pod creates and deletes in the probe namespace. Nodes here are synthetic
// (recorded output); test/e2e/cli-pod-nodes.test.ts runs the same transport on real test nodes.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeCollection, NodeTarget } from '../../src/node/node-source.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { kubePodWriter } from '../../src/kube/pod-writer.js';
import { podNodeSource, type PodAccessOptions } from '../../src/node/pod-source.js';
import type { ProbeName } from '../../src/node/probes.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import type { FakePodOptions, Kubelet } from '../support/fake-apiserver-pods.js';
import { recordedKubelet, type RecordedSamples } from '../support/recorded-kubelet.js';

const NS = 'checkup';
const RECORDED = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'demo-cluster', 'nodes', 'demo-worker-1.json'), 'utf8')) as { samples: RecordedSamples }).samples;
const PROBES: ProbeName[] = ['uname', 'cni0Addrs', 'flannelSubnetEnv', 'netstat'];
const targets = (...names: string[]): NodeTarget[] => names.map((name) => ({ name, addresses: [] }));
const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

let server: FakeApiServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function setup(pods: FakePodOptions, opts: PodAccessOptions = {}) {
  server = await startFakeApiServer({ objects: { Node: [node('a'), node('b'), node('c')] } as never, pods });
  dir = mkdtempSync(join(tmpdir(), 'checkup-pod-source-'));
  server.writeKubeconfig(join(dir, 'kubeconfig'));
  const calls: string[] = [];
  const writer = kubePodWriter(loadKubeconfig({ kubeconfig: join(dir, 'kubeconfig') }), NS, { requestTimeoutMs: 5000, onRequest: (_m, what) => calls.push(what) });
  const warnings: string[] = [];
  const source = podNodeSource(writer, { runId: 'r1', nodeTimeoutSeconds: 5, warn: (m) => warnings.push(m), ...opts });
  return { server, source, calls, warnings };
}

async function collect(source: ReturnType<typeof podNodeSource>, nodes: NodeTarget[], probes = PROBES): Promise<Map<string, NodeCollection>> {
  const out = new Map<string, NodeCollection>();
  for await (const c of source.collect(nodes, probes)) out.set(c.node, c);
  return out;
}

const reason = (c: NodeCollection | undefined) => (c && !c.reached ? c.reason : `reached: ${JSON.stringify(c)}`);
const writes = (s: FakeApiServer) => s.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
const everyone: Kubelet = recordedKubelet(() => RECORDED);

describe('pod node source', () => {
  it('collects what each node printed, through one pod per node, and deletes every pod', async () => {
    const { server: s, source, calls } = await setup({ kubelet: everyone });
    const got = await collect(source, targets('a', 'b', 'c'));
    for (const name of ['a', 'b', 'c']) {
      const c = got.get(name)!;
      expect(c.reached).toBe(true);
      if (!c.reached) continue;
      for (const p of PROBES) expect(c.samples[p]).toEqual([RECORDED[p]![0]]);
      expect(c.problems).toBeUndefined();
    }
    expect(s.pods!.current()).toEqual([]);
    expect(s.pods!.created()).toBe(3);
    // Writes: exactly one create and one delete per node, all in the probe namespace.
    const w = writes(s);
    expect(w.filter((x) => x === `POST /api/v1/namespaces/${NS}/pods`)).toHaveLength(3);
    expect(w.filter((x) => x.startsWith(`DELETE /api/v1/namespaces/${NS}/pods/checkup-r1-`))).toHaveLength(3);
    expect(w).toHaveLength(6);
    // Per node: create, log, delete; per run: one list and one watch — no polling.
    expect(calls.filter((c) => c === 'create' || c === 'log' || c === 'delete')).toHaveLength(9);
    expect(calls.filter((c) => c === 'list' || c === 'watch')).toEqual(['list', 'watch']);
    expect(calls).not.toContain('get');
  });

  it('the pods are what §2.12 promises: pinned, host namespaces, host root read-only, every taint tolerated, no token, labelled', async () => {
    const seen: any[] = [];
    const { source } = await setup({ kubelet: (pod) => { seen.push(structuredClone(pod)); return everyone(pod); } }, { image: 'registry.local/tools/busybox:1.36' });
    await collect(source, targets('a'));
    const pod = seen[0];
    expect(pod.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'kubectl-checkup', 'checkup.k8s.io/run-id': 'r1' });
    expect(pod.metadata.namespace).toBe(NS);
    expect(pod.spec).toMatchObject({
      nodeName: 'a', hostNetwork: true, hostPID: true, restartPolicy: 'Never', automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }], volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
    });
    expect(pod.spec.activeDeadlineSeconds).toBeGreaterThan(5);
    const c = pod.spec.containers[0];
    expect(c.image).toBe('registry.local/tools/busybox:1.36');
    expect(c.volumeMounts).toEqual([expect.objectContaining({ mountPath: '/host', readOnly: true })]);
    expect(c.resources.requests).toEqual({ cpu: '10m', memory: '32Mi' });
    expect(c.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.command[2]).toContain('chroot /host /bin/sh -s');
  });

  it('a node whose kubelet rejects the pod, and one whose script fails half-way, are gaps; nothing is left', async () => {
    const kubelet: Kubelet = (pod) => {
      if (pod.spec.nodeName === 'b') return { kind: 'reject', reason: 'OutOfcpu', message: 'Node didn\'t have enough resource: cpu, requested: 10, used: 3990, capacity: 4000' };
      if (pod.spec.nodeName === 'c') {
        return { kind: 'run', start: (p, io) => { io.out('@@checkup-nope start\n'); setTimeout(() => io.exit(2), 5); return { kill() {} }; } };
      }
      return everyone(pod);
    };
    const { server: s, source } = await setup({ kubelet });
    const got = await collect(source, targets('a', 'b', 'c'));
    expect(got.get('a')!.reached).toBe(true);
    expect(reason(got.get('b'))).toBe('the kubelet on b rejected the probe pod: OutOfcpu: Node didn\'t have enough resource: cpu, requested: 10, used: 3990, capacity: 4000');
    expect(reason(got.get('c'))).toBe('the probe script did not start (exited with 2): @@checkup-nope start');
    expect(s.pods!.current()).toEqual([]);
  });

  it('RBAC without create: one refused create stops the run from trying more, each node names the missing verb', async () => {
    const { server: s, source } = await setup({ kubelet: everyone, forbid: ['create'] }, { concurrency: 1 });
    const got = await collect(source, targets('a', 'b', 'c'));
    for (const n of ['a', 'b', 'c']) expect(reason(got.get(n))).toBe(`forbidden: cannot create pods in namespace ${NS} (RBAC: grant "create" on "pods")`);
    expect(writes(s)).toEqual([`POST /api/v1/namespaces/${NS}/pods`]);
  });

  it('Pod Security admission: names the enforce level and suggests a namespace that allows privileged', async () => {
    const { server: s, source } = await setup({ kubelet: everyone, podSecurity: { [NS]: 'baseline' } }, { concurrency: 1 });
    const got = await collect(source, targets('a', 'b'));
    const r = reason(got.get('a'));
    expect(r).toMatch(/^Pod Security admission rejected the probe pod: namespace checkup enforces "baseline", and node probes need "privileged"/);
    expect(r).toContain('host namespaces (hostNetwork=true, hostPID=true)');
    expect(r).toContain('--probe-namespace kube-system');
    expect(r).toContain('pod-security.kubernetes.io/enforce=privileged');
    expect(reason(got.get('b'))).toBe(r);
    expect(s.pods!.created()).toBe(0);
  });

  it('a probe namespace that does not exist', async () => {
    const { source } = await setup({ kubelet: everyone, namespaces: ['default'] });
    const got = await collect(source, targets('a'));
    expect(reason(got.get('a'))).toBe('cannot create probe pods: namespace checkup not found (--probe-namespace)');
  });

  it('an image the node cannot pull fails fast with the image and the flag to change it', async () => {
    const kubelet: Kubelet = () => ({ kind: 'imagePullFailure', message: 'failed to pull and unpack image "docker.io/library/busybox:1.36": dial tcp: i/o timeout' });
    const { server: s, source } = await setup({ kubelet }, { nodeTimeoutSeconds: 30 });
    const t0 = Date.now();
    const got = await collect(source, targets('a'));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(reason(got.get('a'))).toMatch(/^the probe image busybox:1\.36 cannot be pulled on a \((ErrImagePull|ImagePullBackOff)/);
    expect(reason(got.get('a'))).toContain('use --probe-image');
    expect(s.pods!.current()).toEqual([]);
  });

  it('a pod that stays Pending (no kubelet) ends at the node timeout, never hangs, and is deleted', async () => {
    const { server: s, source } = await setup({ kubelet: () => ({ kind: 'pending' }) }, { nodeTimeoutSeconds: 1 });
    const t0 = Date.now();
    const got = await collect(source, targets('a', 'b'));
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(reason(got.get('a'))).toBe('no result within 1s: the probe pod stayed Pending: the kubelet on a never started it (node NotReady or its kubelet down?)');
    expect(s.pods!.current()).toEqual([]);
  });

  it('a script still running at the deadline: what finished is kept, the rest is named as cut off', async () => {
    const kubelet: Kubelet = () => ({
      kind: 'run',
      start(p, io) {
        // The first section and nothing more, as a script stuck in its second probe would print.
        const script = (p.spec.containers[0].command as string[]).slice(4).join('');
        const nonce = /^M='@@checkup-([0-9a-f]+)'$/m.exec(script)![1];
        const first = /^printf '%s begin ([A-Za-z0-9]+) 1/m.exec(script)![1]!;
        io.out(`@@checkup-${nonce} start\n@@checkup-${nonce} begin ${first} 1\n${RECORDED[first]![0]!.stdout}\n@@checkup-${nonce} end ${first} 1 0\n`);
        return { kill() {} };
      },
    });
    const { server: s, source } = await setup({ kubelet }, { nodeTimeoutSeconds: 1 });
    const got = await collect(source, targets('a'));
    const c = got.get('a')!;
    expect(c.reached).toBe(true);
    if (!c.reached) return;
    expect(Object.keys(c.samples)).toHaveLength(1);
    expect(c.problems!.length).toBe(PROBES.length - 1);
    for (const p of c.problems!) expect(p.reason).toMatch(/^timed out after 1s; output truncated/);
    expect(s.pods!.current()).toEqual([]);
  });

  it('the activeDeadlineSeconds safety net firing before the container started', async () => {
    const { source } = await setup({ kubelet: () => ({ kind: 'reject', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }) });
    const got = await collect(source, targets('a'));
    expect(reason(got.get('a'))).toBe('the probe pod hit its activeDeadlineSeconds before its container started on a');
  });

  it('a log the user may not read', async () => {
    const { server: s, source } = await setup({ kubelet: everyone, forbid: ['log'] });
    const got = await collect(source, targets('a'));
    expect(reason(got.get('a'))).toBe(`the probe pod ran but its log is unreadable: forbidden: cannot get pods/log in namespace ${NS} (RBAC: grant "get" on "pods/log")`);
    expect(s.pods!.current()).toEqual([]);
  });

  it('a delete refused at first is retried at the end of the run: nothing left, no warning', async () => {
    const { server: s, source, warnings } = await setup({ kubelet: everyone, forbidTimes: { delete: 2 } });
    const got = await collect(source, targets('a', 'b', 'c'));
    expect([...got.values()].every((c) => c.reached)).toBe(true);
    expect(s.pods!.current()).toEqual([]);
    expect(warnings).toEqual([]);
    expect(writes(s).filter((w) => w.startsWith('DELETE'))).toHaveLength(5);
  });

  it('a watch the server ends early is resumed from the last version seen, and no pod event is lost', async () => {
    const { server: s, source, calls } = await setup({ kubelet: recordedKubelet(() => RECORDED, { runMs: 700 }), maxWatchSeconds: 0.2 }, { concurrency: 1 });
    const got = await collect(source, targets('a', 'b'));
    expect([...got.values()].every((c) => c.reached)).toBe(true);
    const watches = s.requests.filter((r) => r.query.watch === '1');
    expect(watches.length).toBeGreaterThanOrEqual(3);
    // Each reconnect resumes where the previous watch stopped, never from scratch.
    for (const w of watches) expect(Number(w.query.resourceVersion)).toBeGreaterThan(0);
    expect(new Set(watches.map((w) => w.query.resourceVersion)).size).toBeGreaterThan(1);
    expect(calls).not.toContain('get');
    expect(s.pods!.current()).toEqual([]);
  });

  it('without list/watch (RBAC of §2.12 only), pods are polled with GET and the run still completes', async () => {
    const { server: s, source, calls } = await setup({ kubelet: recordedKubelet(() => RECORDED, { runMs: 300 }), forbid: ['list', 'watch'] }, { pollIntervalMs: 100 });
    const got = await collect(source, targets('a', 'b'));
    expect([...got.values()].every((c) => c.reached)).toBe(true);
    expect(calls.filter((c) => c === 'get').length).toBeGreaterThanOrEqual(2);
    expect(calls).not.toContain('watch');
    expect(s.pods!.current()).toEqual([]);
  });
});
