// An in-process fake kube-apiserver for tests: discovery, lists with real pagination and selectors,
// Table output for kubectl, Status errors, TLS with a bearer token — faithful enough that the real
// kubectl works against it (toolchain §3). Read-only: every method but GET is refused and logged —
// except the pod writes of --node-access pod when `pods` is given (fake-apiserver-pods.ts).
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';
import { API_KINDS, type ApiKind } from '../../src/kube/resources.js';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, SERVED, type Served } from './fake-apiserver-discovery.js';
import { BadRequest, fieldMatcher, labelMatcher } from './fake-apiserver-select.js';
import * as S from './fake-apiserver-status.js';
import { partialMetadata, toTable, type IncludeObject } from './fake-apiserver-table.js';
import { makeTestCertificates, type TestCertificates } from './tls.js';
import { fakePods, type FakePodOptions, type FakePods } from './fake-apiserver-pods.js';

export interface FakeApiServerOptions {
  objects?: ObjectsByKind;
  /** Load objects from a snapshot directory instead: DIR/api/<Kind>.jsonl (src/snapshot/FORMAT.md). */
  snapshotDir?: string;
  tls?: boolean;
  /** Require "Authorization: Bearer <token>" (https only: kubectl never sends a token over http). */
  token?: string;
  /** gitVersion; the /usr/bin/kubectl dispatcher runs the kubectl minor matching it. */
  version?: string;
  /** The Date response header, and the clock Table AGE cells are computed against. */
  now?: Date;
  /** Resources answering 403: 'nodes', 'deployments.apps', 'nodes/proxy', … */
  forbid?: string[];
  /** Resources not served at all (404, and gone from discovery). */
  disable?: string[];
  /** The first `times` matching list requests get this status (429 carries Retry-After: 0). */
  faults?: { status: number; times: number; resource?: string }[];
  delayMs?: number;
  /** node name → kubelet path ('configz', 'stats/summary') → JSON, served at /api/v1/nodes/<n>/proxy/<path>. */
  nodeProxy?: Record<string, Record<string, unknown>>;
  /** Nodes whose proxy subresource is refused (RBAC with resourceNames allows it per node). */
  nodeProxyForbidden?: string[];
  /** Pods that can be created, watched, logged and deleted (--node-access pod); see fake-apiserver-pods.ts. */
  pods?: FakePodOptions;
  /** The Prometheus text served at /metrics, one per scrape (the last repeats). forbid: ['/metrics'] refuses it. */
  metrics?: string[];
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  accept?: string;
  /** Passed authentication: the right bearer token, or no token required. The token itself is never kept. */
  authorized: boolean;
}

export interface KubeconfigOptions {
  context?: string;
  namespace?: string;
  /** Overrides the server's token; '' writes a user without one. */
  token?: string;
  extraContexts?: { name: string; server: string; namespace?: string }[];
}

export interface FakeApiServer {
  url: string;
  caFile?: string;
  caPem?: string;
  requests: LoggedRequest[];
  /** Connections accepted so far (TLS handshakes with tls: true). */
  readonly connections: number;
  /** The pod store, when `pods` was given. */
  pods?: FakePods;
  writeKubeconfig(file: string, opts?: KubeconfigOptions): void;
  /** Bump the resourceVersion: outstanding continue tokens now get 410 Expired. */
  expireContinueTokens(): void;
  close(): Promise<void>;
}

type Obj = any; // raw JSON objects

function loadSnapshot(dir: string): ObjectsByKind {
  const out: ObjectsByKind = {};
  for (const kind of API_KINDS) {
    const file = join(dir, 'api', `${kind}.jsonl`);
    if (!existsSync(file)) continue;
    out[kind] = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  }
  return out;
}

/** The kubelet answers a snapshot recorded (nodes/<node>.api.json): pages that succeeded are served,
 * and a node whose proxy was refused is refused again (RBAC can name single nodes), so a live run
 * against this server sees what the snapshot's own run saw. */
const REFUSED = Symbol('refused');
/** JSON of `as(o)`, made the first time o is served (nothing is changed after loading). One cache per
 * way of serialising, so an object served in two forms is never answered in the other one. */
function jsonOnce(as: (o: Obj) => object = (x) => x): (o: object) => string {
  const made = new WeakMap<object, string>();
  return (o) => {
    let text = made.get(o);
    if (text === undefined) made.set(o, (text = JSON.stringify(as(o as Obj))));
    return text;
  };
}
const pageJson = jsonOnce();
const listItemJson = jsonOnce(withoutTypeMeta);

function loadSnapshotNodeProxy(dir: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const nodesDir = join(dir, 'nodes');
  if (!existsSync(nodesDir)) return out;
  for (const file of readdirSync(nodesDir).filter((f) => f.endsWith('.api.json'))) {
    const doc = JSON.parse(readFileSync(join(nodesDir, file), 'utf8')) as Record<string, { ok: boolean; value?: unknown; reason?: string }>;
    const pages = Object.fromEntries(Object.entries(doc)
      .filter(([, o]) => o.ok || o.reason?.endsWith('forbidden'))
      .map(([path, o]) => [path, o.ok ? o.value : REFUSED]));
    if (Object.keys(pages).length) out[decodeURIComponent(file.slice(0, -'.api.json'.length))] = pages;
  }
  return out;
}

/** The /metrics scrapes a snapshot recorded (metrics/apiserver.json), served in order. */
function loadSnapshotMetrics(dir: string): string[] {
  const file = join(dir, 'metrics', 'apiserver.json');
  if (!existsSync(file)) return [];
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { ok: boolean; scrapes?: { text: string }[] };
  return doc.ok ? (doc.scrapes ?? []).map((x) => x.text) : [];
}

/** Index of the first key greater than `start` in sorted `keys`. */
function firstAfter(keys: string[], start: string): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (keys[mid]! > start) hi = mid; else lo = mid + 1; }
  return lo;
}

const keyOf = (o: Obj): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const apiVersionOf = (s: Served): string => (s.group ? `${s.group}/${s.version}` : s.version);

/** core/v1 Event → events.k8s.io/v1 Event, field by field as the server converts it. */
function toEventsV1(e: Obj): Obj {
  const out: Obj = {
    metadata: e.metadata, eventTime: e.eventTime ?? null, series: e.series, reportingController: e.reportingComponent || e.source?.component,
    reportingInstance: e.reportingInstance || e.source?.host, action: e.action, reason: e.reason, regarding: e.involvedObject,
    related: e.related, note: e.message, type: e.type, deprecatedSource: e.source, deprecatedFirstTimestamp: e.firstTimestamp,
    deprecatedLastTimestamp: e.lastTimestamp, deprecatedCount: e.count,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined || out[k] === '') delete out[k];
  return out;
}

function withoutTypeMeta(o: Obj): Obj {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
}

// Continue tokens are opaque to clients; like the real ones they carry the list's resourceVersion and
// the key to resume after, base64url without padding.
const encodeContinue = (rv: number, lastKey: string): string => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url');
function decodeContinue(token: string): { rv: number; start: string } {
  let t: Obj;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('illegal base64 data');
    t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequest(`continue key is not valid: illegal base64 data at input byte 0`);
  }
  if (t?.v !== 'meta.k8s.io/v1' || !Number.isInteger(t.rv) || t.rv <= 0 || typeof t.start !== 'string') {
    throw new BadRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { rv: t.rv, start: t.start.replace(/\u0000$/, '') };
}

type Negotiated = { as: 'json' } | { as: 'Table'; version: string } | { as: 'PartialObjectMetadata'; version: string } | null;

/** Picks the first media type in Accept that the server can produce; null means 406. */
function negotiate(accept: string | undefined): Negotiated {
  if (!accept) return { as: 'json' };
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((x) => x.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((y) => y.trim()) as [string, string]));
    if (type === '*/*' || type === 'application/*') return { as: 'json' };
    if (type !== 'application/json') continue;
    if (!p.as) return { as: 'json' };
    if (p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) {
      if (p.as === 'Table') return { as: 'Table', version: p.v };
      if (p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', version: p.v };
    }
  }
  return null;
}

function parseVersion(v: string): { major: string; minor: string } {
  const m = /^v?(\d+)\.(\d+)/.exec(v);
  return { major: m?.[1] ?? '1', minor: m?.[2] ?? '32' };
}

interface Reply { code: number; body: object | string; headers?: Record<string, string> }

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  if (opts.token && !opts.tls) throw new Error('fake API server: token needs tls (kubectl never sends a bearer token over http)');
  const objects = opts.snapshotDir ? loadSnapshot(opts.snapshotDir) : (opts.objects ?? {});
  const proxyPages = opts.nodeProxy ?? (opts.snapshotDir ? loadSnapshotNodeProxy(opts.snapshotDir) : undefined);
  // etcd returns keys in order, so real lists come sorted by namespace, then name.
  const sorted = new Map<ApiKind, Obj[]>();
  for (const kind of API_KINDS) sorted.set(kind, [...((objects[kind] ?? []) as Obj[])].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0)));
  // Keys in the same order, for finding where a continue token resumes without re-reading the list
  // (at 150k pods a scan per page made the server, not the clients, the bench's bottleneck).
  const sortedKeys = new Map<ApiKind, string[]>([...sorted].map(([k, objs]) => [k, objs.map(keyOf)]));
  let rv = 1000 + API_KINDS.reduce((n, k) => n + sorted.get(k)!.length, 0);
  const forbidden = new Set(opts.forbid ?? []);
  const disabled = new Set(opts.disable ?? []);
  const isDisabled = (name: string): boolean => disabled.has(name);
  const faults = (opts.faults ?? []).map((f) => ({ ...f, left: f.times }));
  const version = opts.version ?? 'v1.32.4';
  const requests: LoggedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let hostPort = '';

  const certs: TestCertificates | undefined = opts.tls ? makeTestCertificates() : undefined;
  const user = opts.token ? 'system:serviceaccount:kube-system:checkup' : 'system:anonymous';

  const versionInfo = (): object => ({
    ...parseVersion(version), gitVersion: version, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
    buildDate: '2025-04-22T16:03:58Z', goVersion: 'go1.23.8', compiler: 'gc', platform: 'linux/amd64',
  });

  function list(s: Served, namespace: string | undefined, q: URLSearchParams, neg: Exclude<Negotiated, null>): Reply {
    const fault = faults.find((f) => f.left > 0 && (!f.resource || f.resource === s.name));
    if (fault) { fault.left--; return S.fault(fault.status); }
    const eventsV1 = s.group === 'events.k8s.io';
    const byField = fieldMatcher(s.source, q.get('fieldSelector') ?? undefined, eventsV1);
    const byLabel = labelMatcher(q.get('labelSelector') ?? undefined);
    const all = sorted.get(s.source)!;
    let from = 0;
    const cont = q.get('continue');
    if (cont) {
      const t = decodeContinue(cont);
      if (t.rv < rv) return S.expired(encodeContinue(rv, t.start));
      if (t.rv > rv) throw new BadRequest('continue key is not valid: resourceVersion is newer than the server');
      from = firstAfter(sortedKeys.get(s.source)!, t.start);
    }
    const rawLimit = q.get('limit');
    if (rawLimit !== null && !/^-?\d+$/.test(rawLimit)) throw new BadRequest(`limit: Invalid value: "${rawLimit}": must be an integer`);
    // resourceVersion=0 is served from the watch cache, which ignores limit.
    const limit = q.get('resourceVersion') === '0' ? 0 : Number(rawLimit ?? 0);
    const meta: Obj = { resourceVersion: String(rv) };
    const matches = (o: Obj): boolean => (!namespace || o.metadata?.namespace === namespace) && byField(o) && byLabel(o);
    // Read one item past the page: whether there is more decides the continue token.
    let items: Obj[] = [];
    let i = from;
    for (; i < all.length && (limit <= 0 || items.length <= limit); i++) if (matches(all[i])) items.push(all[i]);
    if (limit > 0 && items.length > limit) {
      items = items.slice(0, limit);
      meta.continue = encodeContinue(rv, keyOf(items[limit - 1]));
      // The server cannot count what remains once a selector filters the list, so it leaves it out.
      if (!q.get('fieldSelector') && !q.get('labelSelector')) {
        let rest = 1 + (namespace ? 0 : all.length - i);
        if (namespace) for (; i < all.length; i++) if (all[i].metadata?.namespace === namespace) rest++;
        meta.remainingItemCount = rest;
      }
    }
    const typed = (): Obj[] => items.map((o) => ({ kind: s.kind, apiVersion: apiVersionOf(s), ...(eventsV1 ? toEventsV1(o) : o) }));
    if (neg.as === 'Table') {
      const includeObject = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
      return { code: 200, body: toTable(s.source, typed(), { now: opts.now ?? new Date(), tableVersion: neg.version, includeObject, listMeta: meta }) };
    }
    if (neg.as === 'PartialObjectMetadata') {
      const apiVersion = `meta.k8s.io/${neg.version}`;
      return { code: 200, body: { kind: 'PartialObjectMetadataList', apiVersion, metadata: meta, items: typed().map((o) => partialMetadata(o, apiVersion)) } };
    }
    // Items in a real list response carry no kind/apiVersion; the list does. Each item's JSON is made
    // once, as the API server's watch cache keeps each object's encoding (cachingObject) instead of
    // encoding it again for every list: this server shares the bench machine's two cores with the
    // client it measures, where a real one runs on machines of its own.
    const js = JSON.stringify;
    const itemsJson = eventsV1 ? typed().map((o) => js(withoutTypeMeta(o))) : items.map(listItemJson);
    const body = `{"kind":${js(`${s.kind}List`)},"apiVersion":${js(apiVersionOf(s))},"metadata":${js(meta)},"items":[${itemsJson.join(',')}]}`;
    return { code: 200, body, headers: { 'Content-Type': 'application/json' } };
  }

  function get(s: Served, namespace: string | undefined, name: string, q: URLSearchParams, neg: Exclude<Negotiated, null>): Reply {
    const o = sorted.get(s.source)!.find((x) => x.metadata?.name === name && (!s.namespaced || x.metadata?.namespace === namespace));
    if (!o) return S.objectNotFound(s, name);
    const typed = { kind: s.kind, apiVersion: apiVersionOf(s), ...(s.group === 'events.k8s.io' ? toEventsV1(o) : o) };
    if (neg.as === 'Table') {
      const includeObject = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
      return { code: 200, body: toTable(s.source, [typed], { now: opts.now ?? new Date(), tableVersion: neg.version, includeObject, listMeta: { resourceVersion: String(rv) } }) };
    }
    if (neg.as === 'PartialObjectMetadata') return { code: 200, body: partialMetadata(typed, `meta.k8s.io/${neg.version}`) };
    return { code: 200, body: typed };
  }

  function nodeProxy(node: string, path: string): Reply {
    if (opts.nodeProxyForbidden?.includes(node)) return S.forbidden(user, 'get', SERVED.find((x) => x.name === 'nodes')!, { name: node, subresource: 'proxy' });
    const pages = proxyPages?.[node];
    if (pages) {
      const page = pages[path];
      if (page === REFUSED) return S.forbidden(user, 'get', SERVED.find((x) => x.name === 'nodes')!, { name: node, subresource: 'proxy' });
      if (page === undefined) return { code: 404, body: '404 page not found\n' };
      // Serialised once: a kubelet writes its own answer (on its own CPU) and the API server only
      // copies the bytes; the bench's 10,000 proxied reads should not weigh on this one thread.
      if (typeof page !== 'object' || page === null) return { code: 200, body: page as object };
      return { code: 200, body: pageJson(page), headers: { 'Content-Type': 'application/json' } };
    }
    const n = sorted.get('Node')!.find((x) => x.metadata?.name === node);
    if (!n) return S.objectNotFound(SERVED.find((x) => x.name === 'nodes')!, node);
    // A node without proxy pages behaves like one whose kubelet does not answer.
    const ip = (n.status?.addresses ?? []).find((a: Obj) => a.type === 'InternalIP')?.address ?? node;
    return S.status(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${ip}:10250: connect: connection refused`, {});
  }

  let scrapes = 0;
  const metricsTexts = opts.metrics ?? (opts.snapshotDir ? loadSnapshotMetrics(opts.snapshotDir) : []);
  // /metrics is a non-resource URL: RBAC refuses it with a Status naming the path, not a resource.
  function metricsReply(): Reply {
    if (forbidden.has('/metrics')) {
      return S.status(403, 'Forbidden', `forbidden: User "${user}" cannot get path "/metrics"`, {});
    }
    if (!metricsTexts.length) return S.pathNotFound();
    const text = metricsTexts[Math.min(scrapes++, metricsTexts.length - 1)]!;
    return { code: 200, body: text, headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' } };
  }

  /** The resource part of a path, after /api/v1 or /apis/<group>/<version>. */
  function resource(group: string, version: string, rest: string[], q: URLSearchParams, neg: Exclude<Negotiated, null>): Reply {
    const find = (plural: string, namespaced: boolean): Served | undefined =>
      SERVED.find((s) => s.group === group && s.version === version && s.plural === plural && s.namespaced === namespaced);
    let s: Served | undefined, namespace: string | undefined, tail: string[];
    if (rest[0] === 'namespaces' && rest.length >= 3 && find(rest[2]!, true)) {
      s = find(rest[2]!, true); namespace = rest[1]; tail = rest.slice(3);
    } else {
      s = find(rest[0]!, false) ?? find(rest[0]!, true); tail = rest.slice(1);
      if (s?.namespaced && tail.length > 0) return S.pathNotFound();
    }
    if (!s || disabled.has(s.name)) return S.pathNotFound();
    const [name, sub, ...subPath] = tail;
    if (sub !== undefined) {
      if (s.name !== 'nodes' || sub !== 'proxy' || disabled.has('nodes/proxy')) return S.pathNotFound();
      if (forbidden.has('nodes/proxy')) return S.forbidden(user, 'get', s, { name, subresource: 'proxy' });
      return nodeProxy(name!, subPath.join('/'));
    }
    const verb = name === undefined ? 'list' : 'get';
    if (forbidden.has(s.name)) return S.forbidden(user, verb, s, { namespace, name });
    if (q.get('watch') === 'true' || q.get('watch') === '1') return S.badRequest('watch is not supported by the fake API server');
    return name === undefined ? list(s, namespace, q, neg) : get(s, namespace, name, q, neg);
  }

  function route(segs: string[], q: URLSearchParams, neg: Exclude<Negotiated, null>): Reply {
    const [a, b, c] = segs;
    if (segs.length === 1 && (a === 'healthz' || a === 'livez' || a === 'readyz')) return { code: 200, body: 'ok' };
    if (a === 'version' && segs.length === 1) {
      // Every client run starts here: its /metrics scrapes start again from the first, so each run of
      // a test sees the counters move between its own two scrapes, whatever ran before it.
      scrapes = 0;
      return { code: 200, body: versionInfo() };
    }
    if (a === 'metrics' && segs.length === 1) return metricsReply();
    if (a === 'api') {
      if (segs.length === 1) return { code: 200, body: apiVersions(hostPort) };
      if (b !== 'v1') return S.pathNotFound();
      if (segs.length === 2) return { code: 200, body: apiResourceList('', 'v1', isDisabled)! };
      return resource('', 'v1', segs.slice(2), q, neg);
    }
    if (a === 'apis') {
      if (segs.length === 1) return { code: 200, body: apiGroupList(isDisabled) };
      const doc = segs.length === 2 ? apiGroupDoc(b!, isDisabled) : apiResourceList(b!, c!, isDisabled);
      if (segs.length <= 3) return doc ? { code: 200, body: doc } : S.pathNotFound();
      if (!apiResourceList(b!, c!, isDisabled)) return S.pathNotFound();
      return resource(b!, c!, segs.slice(3), q, neg);
    }
    return S.pathNotFound();
  }

  const pods = opts.pods ? fakePods(opts.pods, () => opts.now ?? new Date()) : undefined;

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const auth = req.headers.authorization;
    const authorized = !opts.token || auth === `Bearer ${opts.token}`;
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), accept: req.headers.accept, authorized });
    // Pod writes and reads (create, delete, watch, log) — the only non-GET requests this server accepts.
    if (authorized && pods?.handle(req, res, url.pathname.split('/').filter(Boolean).map(decodeURIComponent), url.searchParams, user)) return;
    req.resume();
    let reply: Reply;
    const neg = negotiate(req.headers.accept);
    try {
      if (!authorized) reply = S.unauthorized();
      else if (req.method !== 'GET') reply = S.methodNotAllowed();
      else if (!neg) reply = S.status(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io`, {});
      else reply = route(url.pathname.split('/').filter(Boolean).map(decodeURIComponent), url.searchParams, neg);
    } catch (e) {
      // A bug in the fake must fail the test that hit it, not crash the jest worker.
      reply = e instanceof BadRequest ? S.badRequest(e.message) : S.status(500, 'InternalError', `Internal error occurred: ${String(e)}`, {});
    }
    const send = (): void => {
      if (res.destroyed) return;
      const text = typeof reply.body === 'string';
      const table = !text && (reply.body as Obj).kind === 'Table';
      const type = text ? 'text/plain; charset=utf-8'
        : table && neg?.as === 'Table' ? `application/json;as=Table;v=${neg.version};g=meta.k8s.io` : 'application/json';
      res.writeHead(reply.code, {
        'Content-Type': type, 'Cache-Control': 'no-cache, private', 'Audit-Id': randomUUID(),
        Date: (opts.now ?? new Date()).toUTCString(), ...reply.headers,
      });
      res.end(text ? (reply.body as string) : JSON.stringify(reply.body));
    };
    if (!opts.delayMs) return send();
    const t = setTimeout(() => { timers.delete(t); send(); }, opts.delayMs);
    timers.add(t);
  }

  const server = certs ? https.createServer({ cert: certs.certPem, key: certs.keyPem }, handle) : http.createServer(handle);
  try {
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  } catch (e) {
    certs?.remove();
    throw e;
  }
  let connections = 0;
  server.on(certs ? 'secureConnection' : 'connection', () => { connections++; });
  hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${certs ? 'https' : 'http'}://${hostPort}`;

  function writeKubeconfig(file: string, k: KubeconfigOptions = {}): void {
    const context = k.context ?? 'fake';
    const token = k.token ?? opts.token ?? '';
    const q = JSON.stringify;
    const clusterTls = (server: string): string[] => (server.startsWith('https:') && certs
      ? [`    certificate-authority-data: ${Buffer.from(certs.caPem).toString('base64')}`]
      : ['    insecure-skip-tls-verify: true']);
    const cluster = (name: string, server: string): string[] => [`- name: ${q(name)}`, '  cluster:', `    server: ${q(server)}`, ...clusterTls(server)];
    const ctx = (name: string, clusterName: string, namespace?: string): string[] => [
      `- name: ${q(name)}`, '  context:', `    cluster: ${q(clusterName)}`, '    user: "fake-user"', ...(namespace ? [`    namespace: ${q(namespace)}`] : []),
    ];
    const extra = k.extraContexts ?? [];
    const lines = [
      'apiVersion: v1', 'kind: Config', `current-context: ${q(context)}`,
      'clusters:', ...cluster('fake', url), ...extra.flatMap((e) => cluster(`${e.name}-cluster`, e.server)),
      'users:', '- name: "fake-user"', token ? `  user:\n    token: ${q(token)}` : '  user: {}',
      'contexts:', ...ctx(context, 'fake', k.namespace), ...extra.flatMap((e) => ctx(e.name, `${e.name}-cluster`, e.namespace)),
      'preferences: {}',
    ];
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  }

  return {
    url, caFile: certs?.caFile, caPem: certs?.caPem, requests, pods, writeKubeconfig,
    get connections() { return connections; },
    expireContinueTokens: () => { rv++; },
    async close() {
      pods?.close();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certs?.remove();
    },
  };
}
