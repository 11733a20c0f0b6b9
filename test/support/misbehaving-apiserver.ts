// A loopback API server that misbehaves the ways real networks, proxies and broken or hostile servers
// do, for the hardening tests: it answers /version properly (unless told not to) and every list of
// one resource (default `pods`) in the chosen mode; other lists are valid and empty. Plain http, so no
// credentials are involved. Every request is logged with its method, to assert GETs only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { writeFileSync } from 'node:fs';

export type Misbehaviour =
  | 'drip' // a valid list, one byte every 100 ms: never idle, never done
  | 'hang-after-headers' // 200 and headers, then silence
  | 'repeat-continue' // every page has an item and the same continue token
  | 'endless-empty' // empty pages, each with a new continue token
  | 'oversized-declared' // Content-Length of 1 GiB
  | 'oversized-stream' // chunked whitespace without end (valid JSON padding)
  | 'wrong-types' // a list whose items are not objects of the right shape
  | 'not-json'
  | 'version-hang' // /version answers headers, then nothing
  | 'version-wrong-types'; // /version with gitVersion a number and a Status message an object

export interface MisbehavingServer {
  url: string;
  methods: string[];
  paths: string[];
  writeKubeconfig(file: string, server?: string): void;
  close(): Promise<void>;
}

export async function startMisbehavingServer(mode: Misbehaviour, opts: { resource?: string; wrongShape?: unknown } = {}): Promise<MisbehavingServer> {
  const resource = opts.resource ?? 'pods';
  const methods: string[] = [];
  const paths: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let page = 0;

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', Date: new Date('2026-11-25T10:00:00Z').toUTCString() });
    res.end(JSON.stringify(body));
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    methods.push(req.method ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    paths.push(url.pathname + url.search);
    if (url.pathname === '/version') {
      if (mode === 'version-hang') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.flushHeaders(); return; }
      if (mode === 'version-wrong-types') return json(res, 200, { gitVersion: 1.32, major: {}, minor: null });
      return json(res, 200, { gitVersion: 'v1.32.4', major: '1', minor: '32' });
    }
    const last = url.pathname.split('/').at(-1);
    if (last !== resource) return json(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
    const item = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${page}`, namespace: 'default' }, spec: { containers: [] }, status: { phase: 'Failed', reason: 'Evicted' } };
    switch (mode) {
      case 'drip': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const body = JSON.stringify({ kind: 'PodList', items: [item], metadata: {} }) + ' '.repeat(1_000_000);
        let i = 0;
        const tick = () => {
          if (res.destroyed || i >= body.length) return;
          res.write(body[i++]);
          const t = setTimeout(tick, 100);
          timers.add(t);
        };
        tick();
        return;
      }
      case 'hang-after-headers':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        return;
      case 'repeat-continue':
        page++;
        return json(res, 200, { kind: 'PodList', metadata: { continue: 'same-token' }, items: [item] });
      case 'endless-empty':
        page++;
        return json(res, 200, { kind: 'PodList', metadata: { continue: `token-${page}` }, items: [] });
      case 'oversized-declared':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(1024 ** 3) });
        res.write('{"items":[');
        return;
      case 'oversized-stream': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) { /* until the socket is full */ }
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      case 'wrong-types':
        return json(res, 200, opts.wrongShape ?? { kind: 'PodList', items: [null, 'x', 5] });
      case 'not-json':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"items": [ \u001b[2J');
        return;
      case 'version-wrong-types':
        return json(res, 500, { kind: 'Status', message: { evil: true } });
      default:
        return json(res, 200, { kind: 'PodList', items: [] });
    }
  };

  const server = http.createServer(handle);
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url, methods, paths,
    writeKubeconfig(file: string, server = url) {
      writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', 'current-context: bad',
        'clusters:', '- name: bad', '  cluster:', `    server: ${JSON.stringify(server)}`,
        'users:', '- name: u', '  user: {}',
        'contexts:', '- name: bad', '  context:', '    cluster: bad', '    user: u',
      ].join('\n') + '\n', { mode: 0o600 });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
