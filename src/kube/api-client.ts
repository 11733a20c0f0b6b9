// The live ApiSource: GET-only requests with the kubeconfig's credentials, paginated lists streamed
// page by page, a per-request timeout, bounded retries, and every failure mapped to a gap or to one
// clear "cannot run" error. Raw https instead of client-node's typed APIs: the checks and snapshots
// want the server's JSON as sent (client-node rewrites timestamps into Date objects), and we need the
// Date header for "now", which the typed APIs do not expose.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../errors.js';
import { ResourceUnavailable, type ApiSource, type ClusterInfo, type ListRequest } from '../engine/source.js';
import type { KubeletPath } from '../engine/source.js';
import type { LoadedKubeconfig } from './kubeconfig.js';
import { KeptAgents } from './kept-agents.js';
import { listPath, resourceName, type KubeObject } from './resources.js';
import { summaryHead } from './summary-head.js';

export interface ApiClientOptions {
  /** Per request; 0 = none (kubectl's --request-timeout semantics). */
  requestTimeoutMs: number;
  /** Items per page (the API server caps it; ≤ 500 keeps pages small). */
  pageSize?: number;
  /** Retries on 429/5xx and dropped connections. */
  retries?: number;
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

class RequestFailed extends Error {
  constructor(readonly reason: string, readonly retryable = false, readonly credentials = false) {
    super(reason);
  }
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

export class KubeApiClient implements ApiSource {
  private readonly pageSize: number;
  private readonly retries: number;
  private readonly agents = new KeptAgents();

  constructor(private readonly config: LoadedKubeconfig, private readonly opts: ApiClientOptions) {
    this.pageSize = Math.min(opts.pageSize ?? 500, 500);
    this.retries = opts.retries ?? 3;
  }

  /** Where the run points, for the report and for error messages. */
  private get where(): string {
    return `context "${this.config.context}" (${this.config.server})`;
  }

  async open(): Promise<{ cluster: ClusterInfo; now: Date; identity?: string }> {
    let res: Response;
    try {
      res = await this.getWithRetries('/version');
    } catch (err) {
      if (err instanceof RequestFailed && err.credentials) throw new ConfigError(err.reason);
      throw new ConfigError(`cannot reach the API server of ${this.where}: ${err instanceof RequestFailed ? err.reason : String(err)}`);
    }
    if (res.status === 401) throw new ConfigError(`the API server of ${this.where} rejected the credentials (401 Unauthorized)`);
    let version: string | null = null;
    if (res.status === 200) {
      try { version = (JSON.parse(res.body) as { gitVersion?: string }).gitVersion ?? null; } catch { /* keep null */ }
    } else if (res.status !== 403 && res.status !== 404) {
      throw new ConfigError(`the API server of ${this.where} answered /version with HTTP ${res.status}`);
    }
    const date = res.headers.date ? new Date(res.headers.date) : new Date();
    return {
      cluster: { context: this.config.context, server: this.config.server, version },
      now: Number.isNaN(date.getTime()) ? new Date() : date,
      identity: await this.clusterUid(),
    };
  }

  /** The kube-system Namespace's UID: the same cluster whatever URL, proxy or context reaches it
   * (fingerprints, DESIGN §2.5). Undefined when it cannot be read; the server URL stands in then. */
  private async clusterUid(): Promise<string | undefined> {
    try {
      const res = await this.getWithRetries('/api/v1/namespaces/kube-system');
      if (res.status !== 200) return undefined;
      const uid = (JSON.parse(res.body) as { metadata?: { uid?: unknown } }).metadata?.uid;
      return typeof uid === 'string' && uid ? `uid:${uid}` : undefined;
    } catch {
      return undefined;
    }
  }

  async *list(req: ListRequest): AsyncIterable<KubeObject[]> {
    const resource = resourceName(req.info);
    const path = listPath(req.info, req.namespace);
    const fetchPage = (cont: string | undefined): Promise<Response> => {
      const query = new URLSearchParams({ limit: String(this.pageSize) });
      if (cont) query.set('continue', cont);
      if (req.fieldSelector) query.set('fieldSelector', req.fieldSelector);
      if (req.labelSelector) query.set('labelSelector', req.labelSelector);
      const pending = this.getWithRetries(`${path}?${query}`).catch((err: unknown) => {
        throw new ResourceUnavailable(resource, err instanceof RequestFailed ? err.reason : String(err));
      });
      // A prefetched page whose consumer stopped early must not become an unhandled rejection.
      pending.catch(() => {});
      return pending;
    };
    let cont: string | undefined;
    // A 410 Expired continue token means the snapshot we were paging through is gone. Restart the list
    // and skip what was already streamed: the API server returns items in key (namespace/name) order.
    let lastKey: string | undefined;
    let restarts = 0;
    let next = fetchPage(undefined);
    for (;;) {
      const res = await next;
      if (res.status === 410 && cont && restarts < 3) {
        restarts++;
        cont = undefined;
        next = fetchPage(undefined);
        continue;
      }
      if (res.status !== 200) throw new ResourceUnavailable(resource, statusReason(res));
      let list: { items?: KubeObject[]; metadata?: { continue?: string } };
      try {
        list = JSON.parse(res.body);
      } catch {
        throw new ResourceUnavailable(resource, 'the API server sent a list that is not JSON');
      }
      let items = list.items ?? [];
      if (lastKey !== undefined && restarts > 0) {
        const after = lastKey;
        items = items.filter((o) => objectKey(o) > after);
      }
      cont = list.metadata?.continue || undefined;
      // Ask for the next page before the checks see this one: the server and the network work while
      // the checks evaluate (issue 14). At most one page is in flight beside the one being evaluated.
      if (cont) next = fetchPage(cont);
      if (items.length) {
        lastKey = objectKey(items[items.length - 1]!);
        yield items;
      }
      if (!cont) return;
    }
  }

  async getNodeProxy(node: string, path: KubeletPath): Promise<unknown> {
    let res: Response;
    try {
      // A 5xx here is the kubelet not answering the API server's proxy, not the API server being
      // busy: retrying it would only multiply the wait by the number of nodes.
      res = await this.getWithRetries(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/${path}`, new Set([429]));
    } catch (err) {
      throw new ResourceUnavailable('nodes/proxy', err instanceof RequestFailed ? err.reason : String(err));
    }
    if (res.status !== 200) throw new ResourceUnavailable('nodes/proxy', statusReason(res));
    let value: unknown;
    try {
      // Of a Summary only the node's own stats are used: its pods part is left unparsed (issue 14).
      value = (path === 'stats/summary' ? summaryHead(res.body) : undefined) ?? JSON.parse(res.body) as unknown;
    } catch {
      throw new ResourceUnavailable('nodes/proxy', `the kubelet's ${path} answer is not JSON`);
    }
    // The one kubelet setting that can hold credentials never goes further (report, snapshot).
    const config = (value as { kubeletconfig?: Record<string, unknown> } | null)?.kubeletconfig;
    if (path === 'configz' && config && 'staticPodURLHeader' in config) config.staticPodURLHeader = {};
    return value;
  }

  /** GET with retries on 429/5xx (honouring Retry-After, capped) and on dropped connections. */
  private async getWithRetries(path: string, retryable: ReadonlySet<number> = RETRYABLE_STATUS): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.get(path);
        if (!retryable.has(res.status) || attempt >= this.retries) return res;
        const retryAfter = Number(res.headers['retry-after']);
        await sleep(Number.isFinite(retryAfter) ? Math.min(retryAfter * 1000, 10_000) : backoff(attempt));
      } catch (err) {
        if (!(err instanceof RequestFailed) || !err.retryable || attempt >= this.retries) throw err;
        await sleep(backoff(attempt));
      }
    }
  }

  private async get(path: string): Promise<Response> {
    const url = new URL(path, this.config.server.replace(/\/?$/, '/'));
    // Keep any path prefix of the server URL (e.g. https://host/k8s/clusters/c-1).
    url.pathname = new URL(this.config.server).pathname.replace(/\/$/, '') + path.split('?')[0];
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json', 'User-Agent': 'kubectl-checkup' } };
    const isHttp = url.protocol === 'http:';
    // Like kubectl, credentials are never sent over plain http.
    if (!isHttp) {
      try {
        await this.config.kc.applyToHTTPSOptions(options);
        this.agents.reuse(options);
      } catch (err) {
        throw new RequestFailed(`the credentials of ${this.where} could not be used: ${err instanceof Error ? err.message : String(err)}`, false, true);
      }
    }
    const timeoutMs = this.opts.requestTimeoutMs;
    return await new Promise<Response>((resolve, reject) => {
      const req = (isHttp ? http : https).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(describeNetworkError(e)));
      });
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'CHECKUP_TIMEOUT' })));
      }
      req.on('error', (e) => reject(describeNetworkError(e, timeoutMs)));
      req.end();
    });
  }
}

function backoff(attempt: number): number {
  return 250 * 2 ** attempt;
}

function objectKey(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** The reason part of a gap, from a Kubernetes Status response. */
function statusReason(res: Response): string {
  let message = '';
  try {
    message = (JSON.parse(res.body) as { message?: string }).message ?? '';
  } catch { /* not a Status */ }
  switch (res.status) {
    case 403: return 'forbidden';
    case 404: return 'not served by this API server (404)';
    case 401: return 'unauthorized (401)';
    case 429: return 'the API server kept throttling the request (429)';
    default: return `HTTP ${res.status}${message ? `: ${message.slice(0, 200)}` : ''}`;
  }
}

function describeNetworkError(e: Error & { code?: string }, timeoutMs = 0): RequestFailed {
  const code = e.code ?? '';
  const reasons: Record<string, string> = {
    CHECKUP_TIMEOUT: `timed out after ${timeoutMs / 1000}s`,
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted by the kubeconfig (certificate-authority)',
    SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is not signed by the kubeconfig\'s certificate authority',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified with the kubeconfig\'s certificate authority',
    ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the server address',
    CERT_HAS_EXPIRED: 'the server certificate has expired',
  };
  return new RequestFailed(reasons[code] ?? (e.message || code || 'request failed'), RETRYABLE_ERRNO.has(code));
}
