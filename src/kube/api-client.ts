// The live ApiSource: GET-only requests with the kubeconfig's credentials, paginated lists streamed
// page by page, a per-request timeout, bounded retries, and every failure mapped to a gap or to one
// clear "cannot run" error. Raw https instead of client-node's typed APIs: the checks and snapshots
// want the server's JSON as sent (client-node rewrites timestamps into Date objects), and we need the
// Date header for "now", which the typed APIs do not expose.
import type http from 'node:http';
import type https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../errors.js';
import { ResourceUnavailable, type ApiSource, type ClusterInfo, type KubeletPath, type ListRequest, type MetricsScrape } from '../engine/source.js';
import { describeCredentialError } from './exec-plugin.js';
import type { LoadedKubeconfig } from './kubeconfig.js';
import { digestAnswer, type Digest } from './answer-digest.js';
import { httpGet, RequestFailed } from './http-get.js';
import { KeptAgents, type PoolKey } from './kept-agents.js';
import { recordObjectBytes } from './object-size.js';
import { RequestThread } from './request-thread.js';
import { listPath, resourceName, type KubeObject } from './resources.js';
import { objectProblem } from './validate.js';

export interface ApiClientOptions {
  /** Per request, for the whole answer (not only silence: a server that drips bytes is cut off too);
   * 0 = none (kubectl's --request-timeout semantics). */
  requestTimeoutMs: number;
  /** Largest response body accepted (default MAX_BODY_BYTES). */
  maxBodyBytes?: number;
  /** Items per page (the API server caps it; ≤ 500 keeps pages small). */
  pageSize?: number;
  /** Retries on 429/5xx and dropped connections. */
  retries?: number;
  /** Where requests are made: a request thread (default: the compiled worker, when there is one), or
   * false for this thread. */
  requestThread?: RequestThread | false;
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text ('' for a kubelet answer that parsed: see `kubelet`). */
  body: string;
  itemLengths?: number[];
  continueHint?: string;
  kubelet?: { value: unknown } | { notJson: true };
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** A page of 500 objects is a few MB; a body past this is not one, and would not fit in a string. */
export const MAX_BODY_BYTES = 128 * 1024 * 1024;
/** A server that keeps sending pages with nothing in them (and a new continue token) is not listing. */
const MAX_EMPTY_PAGES = 20;
/** 5 million objects of one kind: past that a list is a server that never says it is done. */
const MAX_PAGES = 10_000;

export class KubeApiClient implements ApiSource {
  private readonly pageSize: number;
  private readonly retries: number;
  private readonly agents = new KeptAgents();
  private readonly thread: RequestThread | undefined;

  constructor(private readonly config: LoadedKubeconfig, private readonly opts: ApiClientOptions) {
    this.pageSize = Math.min(opts.pageSize ?? 500, 500);
    this.retries = opts.retries ?? 3;
    this.thread = opts.requestThread === false ? undefined : opts.requestThread ?? RequestThread.at();
  }

  /** Ends the request thread (it does not keep the process alive between requests either). */
  close(): void {
    this.thread?.close();
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
      try {
        const v = (JSON.parse(res.body) as { gitVersion?: unknown } | null)?.gitVersion;
        version = typeof v === 'string' ? v : null;
      } catch { /* keep null */ }
    } else if (res.status !== 403 && res.status !== 404) {
      throw new ConfigError(`the API server of ${this.where} answered /version with HTTP ${res.status}`);
    }
    const date = res.headers.date ? new Date(res.headers.date) : new Date();
    return {
      cluster: { context: this.config.context, server: this.config.server, version },
      now: Number.isNaN(date.getTime()) ? new Date() : date,
      // After /version, not beside it: the first request is the one that runs an exec credential
      // plugin (and waits for a login); a second one at the same time would start it twice.
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
      if (req.fieldSelector) query.set('fieldSelector', req.fieldSelector);
      if (req.labelSelector) query.set('labelSelector', req.labelSelector);
      // Last, as the request thread's read-ahead adds it (src/kube/request-worker.ts): the same URL.
      if (cont) query.set('continue', cont);
      const digest: Digest = { kind: 'list', itemLengths: req.measureBytes === true };
      const pending = this.getWithRetries(`${path}?${query}`, RETRYABLE_STATUS, 'application/json', digest).catch((err: unknown) => {
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
    // A continue token seen before means the server is going round in circles: stop, never loop.
    const seen = new Set<string>();
    let emptyPages = 0;
    let pages = 0;
    let next = fetchPage(undefined);
    for (;;) {
      const res = await next;
      if (res.status === 410 && cont && restarts < 3) {
        restarts++;
        cont = undefined;
        seen.clear();
        next = fetchPage(undefined);
        continue;
      }
      if (res.status !== 200) throw new ResourceUnavailable(resource, statusReason(res));
      // The next page as soon as its token is known, before this one is parsed (the request thread
      // read the token from its head): the server works while this page is parsed and evaluated.
      const early = res.continueHint || undefined;
      if (early && !seen.has(early)) next = fetchPage(early);
      let list: unknown;
      try {
        list = JSON.parse(res.body);
      } catch {
        throw new ResourceUnavailable(resource, 'the API server sent a list that is not JSON');
      }
      const shape = listProblem(list, req.info.kind);
      if (shape) throw new ResourceUnavailable(resource, `the API server sent a malformed list: ${shape}`);
      const { items: got, metadata } = list as { items?: KubeObject[] | null; metadata?: { continue?: string } | null };
      let items = got ?? [];
      const lengths = res.itemLengths;
      if (lengths && lengths.length === items.length) items.forEach((o, i) => recordObjectBytes(o, lengths[i]!));
      if (lastKey !== undefined && restarts > 0) {
        const after = lastKey;
        items = items.filter((o) => objectKey(o) > after);
      }
      cont = metadata?.continue || undefined;
      if (cont) {
        if (seen.has(cont)) throw new ResourceUnavailable(resource, 'the API server sent the same continue token twice (the list would never end)');
        seen.add(cont);
        if (++pages >= MAX_PAGES) throw new ResourceUnavailable(resource, `the list did not end after ${MAX_PAGES} pages`);
        emptyPages = items.length ? 0 : emptyPages + 1;
        if (emptyPages > MAX_EMPTY_PAGES) throw new ResourceUnavailable(resource, `the API server sent ${MAX_EMPTY_PAGES} empty pages in a row, each with a new continue token`);
        // Ask for the next page before the checks see this one (unless it was asked for from the head
        // above): the server and the network work while the checks evaluate (issue 14). Here one page is
        // in flight beside the one being evaluated; the request thread reads one more ahead.
        if (cont !== early) next = fetchPage(cont);
      }
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
      res = await this.getWithRetries(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/${path}`, new Set([429]), 'application/json', { kind: 'kubelet', path });
    } catch (err) {
      throw new ResourceUnavailable('nodes/proxy', err instanceof RequestFailed ? err.reason : String(err));
    }
    if (res.status !== 200) throw new ResourceUnavailable('nodes/proxy', statusReason(res));
    // Parsed where it arrived (src/kube/answer-digest.ts), the credential-bearing setting blanked.
    if (!res.kubelet || 'notJson' in res.kubelet) throw new ResourceUnavailable('nodes/proxy', `the kubelet's ${path} answer is not JSON`);
    return res.kubelet.value;
  }

  /** The API server's own /metrics (a non-resource URL, RBAC `get` on nonResourceURLs /metrics). The
   * next scrape waits until `minGapMs` after the previous one, so counters have moved between them. */
  async scrapeMetrics(minGapMs: number, previous?: MetricsScrape): Promise<MetricsScrape> {
    if (previous) {
      const wait = previous.at + minGapMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    let res: Response;
    try {
      res = await this.getWithRetries('/metrics', RETRYABLE_STATUS, 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1');
    } catch (err) {
      throw new ResourceUnavailable('/metrics', err instanceof RequestFailed ? err.reason : String(err));
    }
    if (res.status !== 200) throw new ResourceUnavailable('/metrics', statusReason(res));
    return { text: res.body, at: Date.now() };
  }

  /** GET with retries on 429/5xx (honouring Retry-After, capped) and on dropped connections. */
  private async getWithRetries(path: string, retryable: ReadonlySet<number> = RETRYABLE_STATUS, accept = 'application/json', digest: Digest = { kind: 'none' }): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.get(path, accept, digest);
        if (!retryable.has(res.status) || attempt >= this.retries) return res;
        const retryAfter = Number(res.headers['retry-after']);
        await sleep(Number.isFinite(retryAfter) ? Math.min(retryAfter * 1000, 10_000) : backoff(attempt));
      } catch (err) {
        if (!(err instanceof RequestFailed) || !err.retryable || attempt >= this.retries) throw err;
        await sleep(backoff(attempt));
      }
    }
  }

  private async get(path: string, accept: string, digest: Digest): Promise<Response> {
    const server = this.config.requestUrl ?? this.config.server;
    const url = new URL(path, server.replace(/\/?$/, '/'));
    // Keep any path prefix of the server URL (e.g. https://host/k8s/clusters/c-1).
    url.pathname = new URL(server).pathname.replace(/\/$/, '') + path.split('?')[0];
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: accept, 'User-Agent': 'kubectl-checkup' } };
    const isHttp = url.protocol === 'http:';
    let pool: PoolKey | undefined;
    // Like kubectl, credentials are never sent over plain http.
    if (!isHttp) {
      try {
        await this.config.kc.applyToHTTPSOptions(options);
        pool = this.agents.reuse(options, digest.kind === 'kubelet' ? 'kubelet' : 'api');
      } catch (err) {
        throw new RequestFailed(`the credentials of ${this.where} could not be used: ${describeCredentialError(this.config.kc, err)}`, false, true);
      }
    }
    const limits = { timeoutMs: this.opts.requestTimeoutMs, maxBytes: this.opts.maxBodyBytes ?? MAX_BODY_BYTES };
    // A plain https pool can be rebuilt in the request thread from its TLS material; a proxy agent
    // (kubeconfig proxy-url) cannot, and its requests stay here.
    const answer = this.thread && (isHttp || pool)
      ? await this.thread.get(url, options.headers, pool, limits, digest)
      : digestAnswer(await httpGet(url, options, limits), digest);
    return { status: answer.status, headers: answer.headers, body: answer.body ?? '', itemLengths: answer.itemLengths, continueHint: answer.continueHint, kubelet: answer.kubelet };
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
    const m = (JSON.parse(res.body) as { message?: unknown } | null)?.message;
    if (typeof m === 'string') message = m.replace(/\s+/g, ' ');
  } catch { /* not a Status */ }
  switch (res.status) {
    case 403: return 'forbidden';
    case 404: return 'not served by this API server (404)';
    case 401: return 'unauthorized (401)';
    case 429: return 'the API server kept throttling the request (429)';
    default: return `HTTP ${res.status}${message ? `: ${message.slice(0, 200)}` : ''}`;
  }
}

/** What is wrong with a list answer, or null. Bad objects are not skipped silently: a list that
 * cannot be trusted whole is a gap, so no check judges part of it as if it were all. */
function listProblem(list: unknown, kind: string): string | null {
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return 'not an object';
  const { items, metadata } = list as { items?: unknown; metadata?: unknown };
  if (items !== undefined && items !== null && !Array.isArray(items)) return 'items is not a list';
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) return 'metadata is not an object';
    const cont = (metadata as { continue?: unknown }).continue;
    if (cont !== undefined && cont !== null && typeof cont !== 'string') return 'metadata.continue is not a string';
  }
  for (const [i, item] of ((items as unknown[] | null | undefined) ?? []).entries()) {
    const problem = objectProblem(item, kind);
    if (problem) return `item ${i}: ${problem}`;
  }
  return null;
}
