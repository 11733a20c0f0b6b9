// The live API client against the test API server: pagination, 410 restarts, retries, timeouts,
// errors turned into gaps or one clear "cannot run" error.
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiClient } from '../../src/kube/api-client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { resourceInfo, type KubeObject } from '../../src/kube/resources.js';
import { ConfigError } from '../../src/errors.js';
import { ResourceUnavailable } from '../../src/engine/source.js';
import { objectBytes, SIZES_RECORDED_FROM } from '../../src/kube/object-size.js';
import { MAX_SOCKETS } from '../../src/kube/kept-agents.js';
import { RequestThread } from '../../src/kube/request-thread.js';
import { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions } from '../support/fake-apiserver.js';

const pods = Array.from({ length: 23 }, (_, i) => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { namespace: i % 2 ? 'a' : 'b', name: `pod-${String(i).padStart(2, '0')}`, uid: `u${i}`, creationTimestamp: '2026-11-01T00:00:00Z' },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] },
  status: { phase: i % 5 ? 'Running' : 'Failed' },
}));

let server: FakeApiServer | undefined;
const dirs: string[] = [];
const clients: KubeApiClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function client(opts: FakeApiServerOptions, clientOpts: Partial<ConstructorParameters<typeof KubeApiClient>[1]> = {}) {
  server = await startFakeApiServer({ objects: { Pod: pods as unknown as KubeObject[] }, tls: true, token: 'tok', ...opts });
  const dir = mkdtempSync(join(tmpdir(), 'checkup-client-'));
  dirs.push(dir);
  server.writeKubeconfig(join(dir, 'kc'), { context: 'test' });
  const c = new KubeApiClient(loadKubeconfig({ kubeconfig: join(dir, 'kc') }), { requestTimeoutMs: 5000, pageSize: 5, requestThread: transport(), ...clientOpts });
  clients.push(c);
  return c;
}

/** Every test runs twice: requests in this thread, and in the request thread the CLI uses (its
 * compiled worker: `npm test` builds first). */
const WORKER = new URL('../../dist/src/kube/request-worker.js', import.meta.url);
let transport: () => RequestThread | false = () => false;

async function names(c: KubeApiClient, req: Partial<Parameters<KubeApiClient['list']>[0]> = {}, onPage?: (n: number) => void): Promise<string[]> {
  const out: string[] = [];
  let n = 0;
  for await (const page of c.list({ info: resourceInfo('Pod'), ...req })) {
    out.push(...page.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`));
    onPage?.(++n);
  }
  return out;
}

describe('the request thread reads list pages ahead', () => {
  it('hands a page read ahead only to the same request: new credentials get a request of their own', async () => {
    server = await startFakeApiServer({ objects: { Pod: pods as unknown as KubeObject[] }, tls: true, token: 'tok' });
    const thread = RequestThread.at(WORKER)!;
    try {
      const pool = { key: 'test', tls: { ca: server.caPem } };
      const limits = { timeoutMs: 5000, maxBytes: 1 << 20 };
      const page = (cont?: string) => new URL(`${server!.url}/api/v1/pods?limit=5${cont ? `&continue=${cont}` : ''}`);
      const list = { kind: 'list', itemLengths: false } as const;
      const first = await thread.get(page(), { Authorization: 'Bearer tok' }, pool, limits, list);
      expect(first.continueHint).toBeTruthy();
      // A rotated token: the page read ahead with the old one is not what this request gets.
      const second = await thread.get(page(first.continueHint), { Authorization: 'Bearer rotated' }, pool, limits, list);
      expect(second.status).toBe(401);
      // The first page, the read-ahead of the second (old token) and the second with the new token, in
      // whichever order they reached the server (they may travel on different connections).
      expect(server.requests.filter((r) => r.path === '/api/v1/pods').map((r) => `${r.query.continue === undefined ? 'first' : 'second'} ${r.authorized}`).sort())
        .toEqual(['first true', 'second false', 'second true']);
      // The same request as the read-ahead's takes its answer: the server is not asked again.
      const third = await thread.get(page(first.continueHint), { Authorization: 'Bearer tok' }, pool, limits, list);
      expect(third.status).toBe(200);
      expect(server.requests.filter((r) => r.query.continue === first.continueHint)).toHaveLength(2);
    } finally {
      thread.close();
    }
  });
});

describe.each(['main thread', 'request thread'])('KubeApiClient, requests in the %s', (where) => {
  beforeAll(() => {
    transport = where === 'main thread' ? () => false : () => {
      const t = RequestThread.at(WORKER);
      if (!t) throw new Error(`no compiled request worker at ${WORKER.pathname}: run npm run build`);
      return t;
    };
  });

  it('opens with the server version and the server clock', async () => {
    const c = await client({ now: new Date('2026-01-02T03:04:05Z') });
    const { cluster, now } = await c.open();
    expect(cluster).toEqual({ context: 'test', server: server!.url, version: 'v1.32.4' });
    expect(now.toISOString()).toBe('2026-01-02T03:04:05.000Z');
  });

  it('measures each large object as received only when asked (object-scale), and scrapes /metrics as text', async () => {
    // Sizes are recorded from SIZES_RECORDED_FROM: one pod above it (multi-byte text counts as bytes).
    const big = { ...pods[0]!, metadata: { ...pods[0]!.metadata, name: 'big', annotations: { note: 'é'.repeat(SIZES_RECORDED_FROM / 2) } } };
    const c = await client({ objects: { Pod: [...pods, big] as unknown as KubeObject[] }, metrics: ['# TYPE up gauge\nup 1\n'] });
    const { kind: _k, apiVersion: _a, ...sentBig } = big;
    let seen = 0;
    for await (const page of c.list({ info: resourceInfo('Pod'), measureBytes: true })) {
      for (const p of page) {
        seen++;
        expect(objectBytes(p)).toBe(p.metadata!.name === 'big' ? Buffer.byteLength(JSON.stringify(sentBig)) : undefined);
      }
    }
    expect(seen).toBe(24);
    for await (const page of c.list({ info: resourceInfo('Pod') })) for (const p of page) expect(objectBytes(p)).toBeUndefined();
    const first = await c.scrapeMetrics(0);
    const second = await c.scrapeMetrics(300, first);
    expect(second.text).toBe('# TYPE up gauge\nup 1\n');
    expect(second.at - first.at).toBeGreaterThanOrEqual(300);
    expect(server!.requests.filter((q) => q.path === '/metrics').map((q) => q.accept)).toEqual([expect.stringContaining('text/plain'), expect.stringContaining('text/plain')]);
  });

  it('/metrics refused is a ResourceUnavailable naming the path', async () => {
    const c = await client({ metrics: ['up 1\n'], forbid: ['/metrics'] });
    await expect(c.scrapeMetrics(0)).rejects.toMatchObject({ resource: '/metrics', reason: 'forbidden' });
  });

  it('pages through a list with limit and continue, streaming page by page', async () => {
    const c = await client({});
    const pages: number[] = [];
    const all = await names(c, {}, (n) => pages.push(n));
    expect(all).toHaveLength(23);
    expect(new Set(all).size).toBe(23);
    expect(pages).toHaveLength(5);
    const lists = server!.requests.filter((r) => r.path === '/api/v1/pods');
    expect(lists.map((r) => r.query.limit)).toEqual(['5', '5', '5', '5', '5']);
    expect(lists.slice(1).every((r) => r.query.continue)).toBe(true);
  });

  it('passes field and label selectors and the namespace to the server', async () => {
    const c = await client({});
    expect(await names(c, { fieldSelector: 'status.phase=Failed' })).toHaveLength(5);
    expect(await names(c, { namespace: 'a' })).toHaveLength(11);
    expect(server!.requests.some((r) => r.path === '/api/v1/namespaces/a/pods')).toBe(true);
  });

  it('restarts a list whose continue token expired, without repeating what it already streamed', async () => {
    const c = await client({});
    const all = await names(c, {}, (n) => { if (n === 2) server!.expireContinueTokens(); });
    expect(all).toHaveLength(23);
    expect(new Set(all).size).toBe(23);
    expect(server!.requests.some((r) => r.path === '/api/v1/pods' && !r.query.continue && r !== server!.requests.find((x) => x.path === '/api/v1/pods'))).toBe(true);
  });

  it('retries 429 and 5xx, then succeeds', async () => {
    const c = await client({ faults: [{ status: 429, times: 1 }, { status: 503, times: 2 }] });
    expect(await names(c)).toHaveLength(23);
  });

  it('gives up after bounded retries with the status as the reason', async () => {
    const c = await client({ faults: [{ status: 500, times: 50 }] }, { retries: 2 });
    await expect(names(c)).rejects.toThrow(new ResourceUnavailable('pods', 'HTTP 500').message.split(':')[0]!);
  });

  it('a 403 is a forbidden gap for that resource', async () => {
    const c = await client({ forbid: ['pods'] });
    await expect(names(c)).rejects.toMatchObject({ resource: 'pods', reason: 'forbidden' });
  });

  it('a request that takes longer than --request-timeout is a timed-out gap', async () => {
    const c = await client({ delayMs: 1500 }, { requestTimeoutMs: 300, retries: 0 });
    await expect(names(c)).rejects.toMatchObject({ resource: 'pods', reason: 'timed out after 0.3s' });
  });

  it('a wrong token is a clear "cannot run" error', async () => {
    server = await startFakeApiServer({ tls: true, token: 'right' });
    const dir = mkdtempSync(join(tmpdir(), 'checkup-client-'));
    dirs.push(dir);
    server.writeKubeconfig(join(dir, 'kc'), { context: 'test', token: 'wrong' });
    const c = new KubeApiClient(loadKubeconfig({ kubeconfig: join(dir, 'kc') }), { requestTimeoutMs: 5000 });
    await expect(c.open()).rejects.toThrow(ConfigError);
    await expect(c.open()).rejects.toThrow(/rejected the credentials \(401 Unauthorized\)/);
  });

  it('reads kubelet endpoints through the node proxy, and a forbidden proxy is a gap', async () => {
    const c = await client({ nodeProxy: { n1: { configz: { kubeletconfig: { imageGCHighThresholdPercent: 85, staticPodURLHeader: { Authorization: ['Bearer x'] } } } } } });
    expect(await c.getNodeProxy('n1', 'configz')).toEqual({ kubeletconfig: { imageGCHighThresholdPercent: 85, staticPodURLHeader: {} } });
    await server!.close();
    const denied = await client({ forbid: ['nodes/proxy'], nodeProxy: { n1: { configz: {} } } });
    await expect(denied.getNodeProxy('n1', 'configz')).rejects.toMatchObject({ resource: 'nodes/proxy', reason: 'forbidden' });
  });

  it('reads only the node part of a kubelet Summary; other answers whole', async () => {
    const summary = { node: { nodeName: 'n1', fs: { capacityBytes: 100, availableBytes: 40 } }, pods: [{ podRef: { name: 'p' } }] };
    const c = await client({ nodeProxy: { n1: { 'stats/summary': summary, configz: { kubeletconfig: { a: 1 } } } } });
    expect(await c.getNodeProxy('n1', 'stats/summary')).toEqual({ node: summary.node });
    expect(await c.getNodeProxy('n1', 'configz')).toEqual({ kubeletconfig: { a: 1 } });
  });

  it('keeps TLS connections alive across requests instead of a handshake per request', async () => {
    const c = await client({ nodeProxy: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`n${i}`, { configz: { kubeletconfig: {} } }])) });
    await c.open();
    expect(await names(c)).toHaveLength(23); // 5 pages
    // Sequential requests share one connection; concurrent ones open a few more, never one each.
    await Promise.all(Array.from({ length: 40 }, (_, i) => c.getNodeProxy(`n${i}`, 'configz')));
    expect(server!.requests.length).toBeGreaterThanOrEqual(47);
    expect(server!.connections).toBeLessThanOrEqual(MAX_SOCKETS + 1);
    expect(server!.connections).toBeGreaterThanOrEqual(1);
  });

  it('asks for the next page while the caller is still on this one', async () => {
    const c = await client({});
    // While on each page but the last, the next request has been made; the request thread also reads
    // the page after that ahead (src/kube/request-worker.ts). No page is asked for twice.
    const expected = where === 'main thread' ? [1, 1, 1, 1, 0] : [2, 2, 2, 1, 0];
    const seen: number[] = [];
    const ahead = () => server!.requests.filter((r) => r.path === '/api/v1/pods').length - seen.length - 1;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for await (const page of c.list({ info: resourceInfo('Pod') })) {
      // Let the requests ahead reach the server (up to 2 s on a loaded machine), then a little more
      // for any that should not be there.
      for (let t = 0; t < 100 && ahead() < expected[seen.length]!; t++) await sleep(20);
      await sleep(30);
      seen.push(ahead());
      expect(page.length).toBeGreaterThan(0);
    }
    expect(seen).toEqual(expected);
    expect(server!.requests.filter((r) => r.path === '/api/v1/pods')).toHaveLength(5);
  });
});
