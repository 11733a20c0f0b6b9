// The fake API server is only useful if real clients cannot tell it from a kube-apiserver, so it is
// checked with the real kubectl (the /usr/bin dispatcher) and client-node, plus raw HTTP for the
// error cases kubectl hides.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeApiServer, type FakeApiServer } from './support/fake-apiserver.js';
import { humanDuration } from './support/fake-apiserver-table.js';
import { describeReal } from './support/real.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const MIN = 60_000, DAY = 86_400_000;
const TOKEN = 'test-token-abc';

function node(name: string, o: { ready?: 'True' | 'False'; role?: string; unschedulable?: boolean; age: number }): object {
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: ago(o.age), labels: { 'kubernetes.io/hostname': name, ...(o.role ? { [`node-role.kubernetes.io/${o.role}`]: '' } : {}) } },
    spec: { podCIDR: '10.244.0.0/24', ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', lastHeartbeatTime: ago(MIN), lastTransitionTime: ago(DAY) }],
      addresses: [{ type: 'InternalIP', address: `10.0.0.${name.length}` }],
      nodeInfo: { kubeletVersion: 'v1.32.4', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-28-amd64', containerRuntimeVersion: 'containerd://1.7.24' },
    },
  };
}

function pod(ns: string, name: string, o: {
  labels?: Record<string, string>; node?: string; phase?: string; reason?: string; age: number;
  state?: object; ready?: boolean; restarts?: number; lastRestart?: number; init?: object;
}): object {
  return {
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, creationTimestamp: ago(o.age), labels: o.labels ?? {} },
    spec: { nodeName: o.node, restartPolicy: 'Always', containers: [{ name: 'main', image: 'nginx:1.27' }], ...(o.init ? { initContainers: [{ name: 'setup', image: 'busybox' }] } : {}) },
    status: {
      phase: o.phase ?? 'Running', ...(o.reason ? { reason: o.reason } : {}), podIP: '10.244.1.5',
      ...(o.init ? { initContainerStatuses: [{ name: 'setup', ready: false, restartCount: 0, state: o.init }] } : {}),
      containerStatuses: [{
        name: 'main', ready: o.ready ?? true, restartCount: o.restarts ?? 0, image: 'nginx:1.27', imageID: '', started: o.ready ?? true,
        state: o.state ?? { running: { startedAt: ago(o.age) } },
        lastState: o.lastRestart !== undefined ? { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(o.lastRestart) } } : {},
      }],
    },
  };
}

const OBJECTS = {
  Node: [
    node('node-2', { ready: 'False', unschedulable: true, age: 3 * DAY }),
    node('cp-1', { role: 'control-plane', age: 55 * DAY }),
    node('node-1', { age: 10 * DAY }),
  ],
  Pod: [
    pod('shop', 'web-2', { labels: { app: 'web' }, node: 'node-1', age: 10 * DAY, restarts: 3, lastRestart: 5 * MIN }),
    pod('shop', 'web-1', { labels: { app: 'web' }, node: 'node-1', age: 10 * DAY }),
    pod('shop', 'web-3', { labels: { app: 'web', tier: 'front' }, node: 'node-2', age: 90 * MIN }),
    pod('shop', 'api-1', { labels: { app: 'api' }, node: 'node-1', age: 2 * DAY, ready: false, restarts: 12, state: { waiting: { reason: 'CrashLoopBackOff' } } }),
    pod('shop', 'evicted-1', { labels: { app: 'web' }, node: 'node-2', age: 4 * DAY, phase: 'Failed', reason: 'Evicted', ready: false, state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }),
    pod('kube-system', 'coredns-7db6d8ff4d-x2x9k', { labels: { 'k8s-app': 'kube-dns' }, node: 'cp-1', age: 55 * DAY }),
    pod('default', 'setup-job', { age: 30 * 1000, phase: 'Pending', ready: false, state: { waiting: { reason: 'PodInitializing' } }, init: { waiting: { reason: 'PodInitializing' } } }),
  ],
  Event: [
    { metadata: { name: 'web-2.1', namespace: 'shop', creationTimestamp: ago(MIN) }, involvedObject: { kind: 'Pod', name: 'web-2', namespace: 'shop' }, reason: 'BackOff', type: 'Warning', message: 'Back-off restarting failed container', source: { component: 'kubelet', host: 'node-1' }, count: 4 },
    { metadata: { name: 'node-2.1', namespace: 'default', creationTimestamp: ago(MIN) }, involvedObject: { kind: 'Node', name: 'node-2' }, reason: 'NodeNotReady', type: 'Normal', message: 'Node node-2 status is now: NodeNotReady', source: { component: 'node-controller' }, count: 1 },
  ],
  Deployment: [{ metadata: { name: 'web', namespace: 'shop', creationTimestamp: ago(10 * DAY), labels: { app: 'web' } }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] } } } }],
  Lease: [{ metadata: { name: 'node-1', namespace: 'kube-node-lease', creationTimestamp: ago(10 * DAY) }, spec: { holderIdentity: 'node-1', renewTime: ago(0) } }],
} as const;

interface Reply { status: number; headers: http.IncomingHttpHeaders; text: string; body: any }

function call(s: FakeApiServer, path: string, o: { method?: string; token?: string | null; accept?: string } = {}): Promise<Reply> {
  const token = o.token === undefined ? TOKEN : o.token;
  const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(o.accept ? { Accept: o.accept } : {}) };
  const lib = s.url.startsWith('https') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(`${s.url}${path}`, { method: o.method ?? 'GET', headers, ca: s.caPem }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: res.statusCode!, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const names = (r: Reply): string[] => r.body.items.map((i: any) => `${i.metadata.namespace ? `${i.metadata.namespace}/` : ''}${i.metadata.name}`);

describeReal('fake API server', { commands: ['openssl'] }, () => {
  let s: FakeApiServer;
  beforeAll(async () => {
    s = await startFakeApiServer({
      objects: OBJECTS as any, tls: true, token: TOKEN, now: NOW, forbid: ['leases.coordination.k8s.io'],
      disable: ['cronjobs.batch'], nodeProxy: { 'node-1': { configz: { kubeletconfig: { maxPods: 110 } }, 'stats/summary': { node: { nodeName: 'node-1' } } } },
    });
  });
  afterAll(() => s.close());

  it('serves discovery, a sorted typed list and a single object', async () => {
    expect((await call(s, '/version')).body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.4' });
    const apis = (await call(s, '/apis')).body;
    // In a real server's order: the aggregator's own group first.
    expect(apis.groups.map((g: any) => g.name)).toEqual(['apiregistration.k8s.io', 'apps', 'events.k8s.io', 'autoscaling', 'batch', 'coordination.k8s.io', 'discovery.k8s.io', 'metrics.k8s.io']);
    // metrics-server's group is served at v1beta1 only, as on a real cluster.
    expect(apis.groups.find((g: any) => g.name === 'metrics.k8s.io').preferredVersion).toEqual({ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' });
    expect((await call(s, '/apis/metrics.k8s.io/v1beta1/nodes')).body).toMatchObject({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', items: [] });
    // cronjobs are disabled: gone from discovery and 404, while jobs in the same group stay.
    expect((await call(s, '/apis/batch/v1')).body.resources.map((r: any) => r.name)).toEqual(['jobs', 'jobs/status']);
    expect((await call(s, '/apis/batch/v1/cronjobs')).body).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' });
    const v1 = (await call(s, '/api/v1')).body;
    expect(v1.resources).toContainEqual(expect.objectContaining({ name: 'pods', namespaced: true, kind: 'Pod', shortNames: ['po'], verbs: expect.arrayContaining(['get', 'list']) }));
    expect(v1.resources).toContainEqual(expect.objectContaining({ name: 'nodes', namespaced: false, shortNames: ['no'] }));
    expect(v1.resources).toContainEqual(expect.objectContaining({ name: 'nodes/proxy', kind: 'NodeProxyOptions' }));
    const list = await call(s, '/api/v1/pods');
    expect(list.headers['content-type']).toBe('application/json');
    expect(list.headers.date).toBe(NOW.toUTCString());
    expect(list.body).toMatchObject({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String) } });
    expect(list.body.metadata.continue).toBeUndefined();
    expect(names(list)).toEqual(['default/setup-job', 'kube-system/coredns-7db6d8ff4d-x2x9k', 'shop/api-1', 'shop/evicted-1', 'shop/web-1', 'shop/web-2', 'shop/web-3']);
    expect(list.body.items[0].kind).toBeUndefined();
    expect(names(await call(s, '/apis/apps/v1/namespaces/shop/deployments'))).toEqual(['shop/web']);
    expect(names(await call(s, '/api/v1/namespaces/kube-system/pods'))).toEqual(['kube-system/coredns-7db6d8ff4d-x2x9k']);
    expect((await call(s, '/api/v1/namespaces/shop/pods/web-1')).body).toMatchObject({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-1' } });
    const missing = await call(s, '/api/v1/namespaces/shop/pods/nope');
    expect(missing.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 });
    const ev = (await call(s, '/apis/events.k8s.io/v1/namespaces/shop/events')).body;
    expect(ev.items[0]).toMatchObject({ regarding: { kind: 'Pod', name: 'web-2' }, note: 'Back-off restarting failed container', reportingController: 'kubelet', deprecatedCount: 4 });
  });

  it('pages with limit/continue, and answers 410 for a token from an old resourceVersion', async () => {
    const seen: string[] = [];
    let cont = '', pages = 0;
    const remaining: number[] = [];
    do {
      const r = await call(s, `/api/v1/pods?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...names(r));
      if (r.body.metadata.remainingItemCount !== undefined) remaining.push(r.body.metadata.remainingItemCount);
      cont = r.body.metadata.continue ?? '';
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(remaining).toEqual([4, 1]);
    expect(seen).toEqual(names(await call(s, '/api/v1/pods')));

    const first = await call(s, '/api/v1/pods?limit=2');
    expect((await call(s, '/api/v1/pods?limit=2&resourceVersion=0')).body.items).toHaveLength(7);
    s.expireContinueTokens();
    const gone = await call(s, `/api/v1/pods?limit=2&continue=${first.body.metadata.continue}`);
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(gone.body.message).toMatch(/^The provided continue parameter is too old/);
  });

  it('answers 400 for a malformed continue token and for unsupported field selectors', async () => {
    const bad = await call(s, '/api/v1/pods?limit=2&continue=not!a!token');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ reason: 'BadRequest', code: 400, message: expect.stringMatching(/^continue key is not valid/) });
    const field = await call(s, '/api/v1/pods?fieldSelector=spec.foo%3Dbar');
    expect(field.status).toBe(400);
    expect(field.body.message).toBe('field label not supported: spec.foo');
    // Nodes have no metadata.namespace field label on a real server either.
    expect((await call(s, '/api/v1/nodes?fieldSelector=metadata.namespace%3Dx')).body.message).toBe('field label not supported: metadata.namespace');
  });

  it('filters with field and label selectors', async () => {
    const q = async (path: string, sel: Record<string, string>): Promise<string[]> => {
      const r = await call(s, `${path}?${new URLSearchParams(sel)}`);
      expect(r.status).toBe(200);
      return names(r);
    };
    expect(await q('/api/v1/pods', { fieldSelector: 'status.phase=Failed' })).toEqual(['shop/evicted-1']);
    expect(await q('/api/v1/pods', { fieldSelector: 'spec.nodeName==node-1,status.phase!=Failed,metadata.namespace=shop' })).toEqual(['shop/api-1', 'shop/web-1', 'shop/web-2']);
    expect(await q('/api/v1/nodes', { fieldSelector: 'spec.unschedulable=false' })).toEqual(['cp-1', 'node-1']);
    expect(await q('/api/v1/events', { fieldSelector: 'involvedObject.kind=Node,type=Normal' })).toEqual(['default/node-2.1']);
    expect(await q('/api/v1/pods', { labelSelector: 'app=web' })).toEqual(['shop/evicted-1', 'shop/web-1', 'shop/web-2', 'shop/web-3']);
    expect(await q('/api/v1/pods', { labelSelector: 'app in (web,api),!tier', fieldSelector: 'status.phase=Running' })).toEqual(['shop/api-1', 'shop/web-1', 'shop/web-2']);
    expect(await q('/api/v1/pods', { labelSelector: 'app notin (web,api)' })).toEqual(['default/setup-job', 'kube-system/coredns-7db6d8ff4d-x2x9k']);
    expect(await q('/api/v1/pods', { labelSelector: 'tier,app!=api' })).toEqual(['shop/web-3']);
    const paged = await call(s, '/api/v1/pods?labelSelector=app%3Dweb&limit=2');
    expect(paged.body.metadata.continue).toBeTruthy();
    expect(paged.body.metadata.remainingItemCount).toBeUndefined();
    expect((await call(s, '/api/v1/pods?labelSelector=app%20in%20(web')).status).toBe(400);
  });

  it('answers 401 without the token, 403 with a real message, 405 for writes (logged, token never kept)', async () => {
    const anon = await call(s, '/api/v1/pods', { token: null });
    expect(anon.status).toBe(401);
    expect(anon.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call(s, '/version', { token: 'wrong' })).status).toBe(401);
    const denied = await call(s, '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
    expect(denied.body).toMatchObject({
      reason: 'Forbidden', code: 403, details: { group: 'coordination.k8s.io', kind: 'leases' },
      message: 'leases.coordination.k8s.io is forbidden: User "system:serviceaccount:kube-system:checkup" cannot list resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease"',
    });
    const post = await call(s, '/api/v1/namespaces/shop/pods', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.body).toMatchObject({ reason: 'MethodNotAllowed', code: 405 });
    expect(s.requests).toContainEqual(expect.objectContaining({ method: 'POST', path: '/api/v1/namespaces/shop/pods', authorized: true }));
    expect(s.requests).toContainEqual(expect.objectContaining({ path: '/api/v1/pods', authorized: false }));
    expect(JSON.stringify(s.requests)).not.toContain(TOKEN);
  });

  it('serves node proxy pages, 404 for unknown ones, and Table output', async () => {
    expect((await call(s, '/api/v1/nodes/node-1/proxy/configz')).body).toEqual({ kubeletconfig: { maxPods: 110 } });
    expect((await call(s, '/api/v1/nodes/node-1/proxy/stats/summary')).body).toEqual({ node: { nodeName: 'node-1' } });
    expect((await call(s, '/api/v1/nodes/node-1/proxy/nope')).status).toBe(404);
    expect((await call(s, '/api/v1/nodes/node-2/proxy/configz')).status).toBe(503);
    expect((await call(s, '/api/v1/nodes/ghost/proxy/configz')).body.message).toBe('nodes "ghost" not found');
    const t = await call(s, '/api/v1/nodes', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(t.headers['content-type']).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(t.body.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version']);
    expect(t.body.rows.map((r: any) => r.cells.slice(0, 5))).toEqual([
      ['cp-1', 'Ready', 'control-plane', '55d', 'v1.32.4'],
      ['node-1', 'Ready', '<none>', '10d', 'v1.32.4'],
      ['node-2', 'NotReady,SchedulingDisabled', '<none>', '3d', 'v1.32.4'],
    ]);
    expect(t.body.rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'cp-1' }) });
  });

  it('formats ages like kubectl', () => {
    expect([59e3, 119e3, 150e3, 600e3, 179 * 60e3, 3.5 * 3600e3, 47 * 3600e3, 50 * 3600e3, 10 * 86400e3, 800 * 86400e3].map(humanDuration))
      .toEqual(['59s', '119s', '2m30s', '10m', '179m', '3h30m', '47h', '2d2h', '10d', '2y70d']);
  });

  it('is accepted by client-node: pages, typed errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-api-cn-'));
    try {
      s.writeKubeconfig(join(dir, 'config'), { namespace: 'shop' });
      const kc = new KubeConfig();
      kc.loadFromFile(join(dir, 'config'));
      expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('shop');
      const core = kc.makeApiClient(CoreV1Api);
      const got: string[] = [];
      let cont: string | undefined;
      do {
        const page = await core.listPodForAllNamespaces({ limit: 2, _continue: cont });
        got.push(...page.items.map((p) => p.metadata!.name!));
        cont = page.metadata?._continue || undefined;
      } while (cont);
      expect(got).toHaveLength(7);
      expect((await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'shop' })).items[0]!.metadata!.name).toBe('web');
      const err = await core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'spec.foo=bar' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiException);
      expect(JSON.parse((err as ApiException<string>).body).message).toBe('field label not supported: spec.foo');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fake API server over http', () => {
  it('injects faults on matching lists, then succeeds; delays; loads a snapshot dir; frees its port', async () => {
    const snap = mkdtempSync(join(tmpdir(), 'fake-api-snap-'));
    mkdirSync(join(snap, 'api'));
    writeFileSync(join(snap, 'api', 'Pod.jsonl'), OBJECTS.Pod.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const s = await startFakeApiServer({ snapshotDir: snap, faults: [{ status: 429, times: 2, resource: 'pods' }, { status: 500, times: 1, resource: 'nodes' }], delayMs: 150 });
    try {
      const started = Date.now();
      const r1 = await call(s, '/api/v1/pods', { token: null });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(r1.status).toBe(429);
      expect(r1.headers['retry-after']).toBe('0');
      expect(r1.body).toMatchObject({ reason: 'TooManyRequests', code: 429 });
      expect((await call(s, '/api/v1/namespaces/shop/pods', { token: null })).status).toBe(429);
      expect((await call(s, '/api/v1/namespaces/shop/pods/web-1', { token: null })).status).toBe(200);
      expect(names(await call(s, '/api/v1/pods', { token: null }))).toHaveLength(7);
      expect((await call(s, '/api/v1/nodes', { token: null })).body).toMatchObject({ reason: 'InternalError', code: 500 });
      expect((await call(s, '/api/v1/nodes', { token: null })).body).toMatchObject({ kind: 'NodeList', items: [] });
    } finally {
      await s.close();
      rmSync(snap, { recursive: true, force: true });
    }
    const port = Number(new URL(s.url).port);
    const refused = await new Promise<string>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve('connected'); });
      c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('refuses a token without TLS (kubectl would never send it)', async () => {
    await expect(startFakeApiServer({ token: 'x' })).rejects.toThrow(/token needs tls/);
  });
});

// kubectl: the real /usr/bin/kubectl dispatcher, with its own cache dir and HOME so nothing leaks in or out.
function kubectl(kubeconfig: string, cacheDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const rows = (out: string): string[][] => out.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));

describeReal('kubectl against the fake API server', { commands: ['kubectl', 'openssl'] }, () => {
  let s: FakeApiServer, dir: string, kc: string, cache: string;
  const run = (...args: string[]): ReturnType<typeof kubectl> => kubectl(kc, cache, args);
  beforeAll(async () => {
    s = await startFakeApiServer({ objects: OBJECTS as any, tls: true, token: TOKEN, now: NOW, forbid: ['leases.coordination.k8s.io'] });
    dir = mkdtempSync(join(tmpdir(), 'fake-api-kubectl-'));
    kc = join(dir, 'kubeconfig');
    cache = join(dir, 'cache');
    s.writeKubeconfig(kc);
  });
  afterAll(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
    expect(existsSync(s.caFile!)).toBe(false);
  });

  it('get pods -A prints the realistic table with a NAMESPACE column', async () => {
    const r = await run('get', 'pods', '-A');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(rows(r.stdout)).toEqual([
      ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
      ['default', 'setup-job', '0/1', 'Init:0/1', '0', '30s'],
      ['kube-system', 'coredns-7db6d8ff4d-x2x9k', '1/1', 'Running', '0', '55d'],
      ['shop', 'api-1', '0/1', 'CrashLoopBackOff', '12', '2d'],
      // As on a real server, a terminated container's reason wins over the pod's "Evicted".
      ['shop', 'evicted-1', '0/1', 'ContainerStatusUnknown', '0', '4d'],
      ['shop', 'web-1', '1/1', 'Running', '0', '10d'],
      ['shop', 'web-2', '1/1', 'Running', '3 (5m ago)', '10d'],
      ['shop', 'web-3', '1/1', 'Running', '0', '90m'],
    ]);
    // Every request carried the token (TLS), and kubectl only ever read.
    expect(s.requests.length).toBeGreaterThan(0);
    expect(s.requests.every((q) => q.authorized && q.method === 'GET')).toBe(true);
    expect(s.requests).toContainEqual(expect.objectContaining({ path: '/api/v1/pods', accept: expect.stringContaining('as=Table') }));
  });

  it('get nodes, and get by short name through discovery', async () => {
    const r = await run('get', 'no');
    expect(r.code).toBe(0);
    expect(rows(r.stdout)).toEqual([
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
      ['cp-1', 'Ready', 'control-plane', '55d', 'v1.32.4'],
      ['node-1', 'Ready', '<none>', '10d', 'v1.32.4'],
      ['node-2', 'NotReady,SchedulingDisabled', '<none>', '3d', 'v1.32.4'],
    ]);
    const d = await run('get', 'deploy', '-n', 'shop', '-o', 'name');
    expect(d.stdout.trim()).toBe('deployment.apps/web');
    const v = await run('version', '-o', 'json');
    expect(JSON.parse(v.stdout).serverVersion.gitVersion).toBe('v1.32.4');
  });

  it('--chunk-size=2 follows continue tokens', async () => {
    const before = s.requests.length;
    const r = await run('get', 'pods', '-A', '--chunk-size=2', '--no-headers');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(7);
    const lists = s.requests.slice(before).filter((q) => q.path === '/api/v1/pods');
    expect(lists).toHaveLength(4);
    expect(lists.every((q) => q.query.limit === '2')).toBe(true);
    expect(lists[0]!.query.continue).toBeUndefined();
    expect(lists.slice(1).every((q) => q.query.continue)).toBe(true);
  });

  it('-l and --field-selector reach the server and filter', async () => {
    const l = await run('get', 'pods', '-n', 'shop', '-l', 'app=web', '--no-headers', '-o', 'custom-columns=N:.metadata.name');
    expect(l.stdout.trim().split('\n')).toEqual(['evicted-1', 'web-1', 'web-2', 'web-3']);
    const f = await run('get', 'pods', '-A', '--field-selector=status.phase=Failed', '--no-headers');
    expect(rows(f.stdout)).toEqual([['shop', 'evicted-1', '0/1', 'ContainerStatusUnknown', '0', '4d']]);
    expect(s.requests).toContainEqual(expect.objectContaining({ query: expect.objectContaining({ fieldSelector: 'status.phase=Failed' }) }));
  });

  it('a forbidden resource makes kubectl exit 1 with the Forbidden message', async () => {
    const r = await run('get', 'leases', '-n', 'kube-node-lease');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Forbidden): leases.coordination.k8s.io is forbidden: User "system:serviceaccount:kube-system:checkup" cannot list resource "leases"');
  });

  it('a wrong token is refused', async () => {
    const bad = join(dir, 'bad-kubeconfig');
    s.writeKubeconfig(bad, { token: 'wrong' });
    const r = await kubectl(bad, cache, ['get', 'pods']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unauthorized|must be logged in/);
  });
});
