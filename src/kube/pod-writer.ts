// The only code that writes to a cluster: probe pods for --node-access pod (DESIGN §2.12). It can
// create and delete pods in one namespace, read their logs, and list/watch them to learn when they
// finish — nothing else. Everything the rest of the tool sends stays GET (src/kube/api-client.ts).
//
// Raw http(s) like the reader, for the same reasons (the server's JSON as sent; one request = one
// line in the server's request log, which the tests count per node).
import http from 'node:http';
import https from 'node:https';
import type { LoadedKubeconfig } from './kubeconfig.js';

/** A Kubernetes Status answer (or a network failure, code 0) to a pod request. */
export class PodApiError extends Error {
  constructor(readonly code: number, readonly reason: string, readonly statusMessage: string) {
    super(statusMessage || reason || `HTTP ${code}`);
  }
}

export type PodObject = {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: PodStatus;
};

export interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: {
    name: string;
    state?: {
      waiting?: { reason?: string; message?: string };
      running?: { startedAt?: string };
      terminated?: { exitCode?: number; reason?: string; message?: string };
    };
  }[];
}

export interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: PodObject }

/** The one writer. Every method is scoped to the namespace it was made for. */
export interface PodWriter {
  readonly namespace: string;
  create(pod: object): Promise<PodObject>;
  /** Resolves when the API server accepted the delete or the pod is already gone (404). */
  delete(name: string): Promise<void>;
  get(name: string): Promise<PodObject>;
  list(labelSelector: string): Promise<{ items: PodObject[]; resourceVersion: string }>;
  /** Streams pod events from resourceVersion until the server ends the watch or `signal` aborts. */
  watch(labelSelector: string, resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void>;
  log(name: string, container: string): Promise<string>;
}

export interface PodWriterOptions {
  requestTimeoutMs: number;
  /** Counts requests by kind (the fleet bench reports API calls per node). */
  onRequest?: (method: string, what: string) => void;
}

/** Logs bigger than this are cut off (the probe script prints a few hundred KiB at most). */
const MAX_LOG_BYTES = 32 * 1024 * 1024;

export function kubePodWriter(config: LoadedKubeconfig, namespace: string, opts: PodWriterOptions): PodWriter {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  // requestUrl keeps a server URL's user:password@ for the request; `server` is the redacted one for display.
  const server = new URL(config.requestUrl ?? config.server);
  const prefix = server.pathname.replace(/\/$/, '');

  async function request(method: string, path: string, o: { body?: object; what: string; timeoutMs?: number } ): Promise<{ status: number; body: string }> {
    opts.onRequest?.(method, o.what);
    const res = await open(method, path, o.body, o.timeoutMs ?? opts.requestTimeoutMs);
    const chunks: Buffer[] = [];
    let size = 0;
    return await new Promise((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_LOG_BYTES) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(new PodApiError(0, 'NetworkError', e.message)));
    });
  }

  async function open(method: string, path: string, body: object | undefined, timeoutMs: number, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(server.origin + prefix + path);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const options: https.RequestOptions = {
      method,
      headers: {
        Accept: 'application/json', 'User-Agent': 'kubectl-checkup',
        ...(data !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}),
      },
      signal,
    };
    const isHttp = url.protocol === 'http:';
    // As in the reader: credentials are never sent over plain http.
    if (!isHttp) await config.kc.applyToHTTPSOptions(options);
    return await new Promise((resolve, reject) => {
      const req = (isHttp ? http : https).request(url, options, resolve);
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs / 1000}s`)));
      req.on('error', (e: Error & { code?: string }) => reject(new PodApiError(0, e.code === 'ABORT_ERR' ? 'Aborted' : 'NetworkError', e.message)));
      req.end(data);
    });
  }

  const fail = (res: { status: number; body: string }): PodApiError => {
    let s: { reason?: string; message?: string } = {};
    try { s = JSON.parse(res.body) as typeof s; } catch { s = { message: res.body.slice(0, 300) }; }
    return new PodApiError(res.status, s.reason ?? '', s.message ?? '');
  };
  const json = <T>(res: { status: number; body: string }): T => {
    try { return JSON.parse(res.body) as T; } catch { throw new PodApiError(res.status, 'BadResponse', 'the API server sent an answer that is not JSON'); }
  };

  return {
    namespace,
    async create(pod) {
      const res = await request('POST', base, { body: pod, what: 'create' });
      if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw fail(res);
      return json<PodObject>(res);
    },
    async delete(name) {
      // Propagation does not matter for a pod; the pod's own short grace period applies.
      const res = await request('DELETE', `${base}/${encodeURIComponent(name)}`, { what: 'delete' });
      if (res.status === 404) return;
      if (res.status < 200 || res.status > 202) throw fail(res);
    },
    async get(name) {
      const res = await request('GET', `${base}/${encodeURIComponent(name)}`, { what: 'get' });
      if (res.status !== 200) throw fail(res);
      return json<PodObject>(res);
    },
    async list(labelSelector) {
      const res = await request('GET', `${base}?${new URLSearchParams({ labelSelector })}`, { what: 'list' });
      if (res.status !== 200) throw fail(res);
      const l = json<{ items?: PodObject[]; metadata?: { resourceVersion?: string } }>(res);
      return { items: l.items ?? [], resourceVersion: l.metadata?.resourceVersion ?? '' };
    },
    async watch(labelSelector, resourceVersion, onEvent, signal) {
      opts.onRequest?.('GET', 'watch');
      // The server ends a watch after timeoutSeconds; the caller reconnects from the last version.
      const q = new URLSearchParams({ watch: '1', labelSelector, resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '300' });
      const res = await open('GET', `${base}?${q}`, undefined, 0, signal);
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        throw fail({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      }
      let buffered = '';
      try {
        for await (const chunk of res) {
          buffered += (chunk as Buffer).toString('utf8');
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            onEvent(JSON.parse(line) as WatchEvent);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        throw new PodApiError(0, 'NetworkError', err instanceof Error ? err.message : String(err));
      }
    },
    async log(name, container) {
      const q = new URLSearchParams({ container, limitBytes: String(MAX_LOG_BYTES) });
      const res = await request('GET', `${base}/${encodeURIComponent(name)}/log?${q}`, { what: 'log' });
      if (res.status !== 200) throw fail(res);
      return res.body;
    },
  };
}
