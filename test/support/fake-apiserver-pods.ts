// Pods for the fake API server: the writes --node-access pod makes (create, delete), what it reads
// (get, list, watch, pods/log), admission that can refuse (RBAC 403 per verb, Pod Security, a missing
// namespace), and a "kubelet" per node that decides what happens to a pod pinned to it: run it (on a
// real test node, or with recorded output), pull its image and fail, reject it, or never start it.
//
// Status and error wording follow kube-apiserver and the kubelet, so the tool's error mapping is
// tested against what clusters say. One pod store, one resourceVersion sequence, one event log that
// watches replay from the version a client asks for.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { SERVED } from './fake-apiserver-discovery.js';
import { labelMatcher } from './fake-apiserver-select.js';
import * as S from './fake-apiserver-status.js';

type Obj = any;

/** What happens to a pod once it is bound to a node (nodeName), as the node's kubelet would do it. */
export type KubeletAction =
  /** No kubelet picks it up (NotReady node, a Node object without a machine): Pending forever. */
  | { kind: 'pending' }
  /** The kubelet refuses it at admission (OutOfcpu, NodeAffinity, …): Failed before any container. */
  | { kind: 'reject'; reason: string; message: string }
  /** The image cannot be pulled: ErrImagePull, then ImagePullBackOff. */
  | { kind: 'imagePullFailure'; message: string }
  /** The container runs: `start` gets the container's argv and writes output; `exit` ends it. */
  | { kind: 'run'; start: (pod: Obj, io: ContainerIO) => { kill(): void } };

export interface ContainerIO {
  out(chunk: string): void;
  exit(code: number): void;
}

export type Kubelet = (pod: Obj) => KubeletAction;

export type PodVerb = 'create' | 'delete' | 'get' | 'list' | 'watch' | 'log';

export interface FakePodOptions {
  kubelet?: Kubelet;
  /** Verbs on pods (and 'log' = get pods/log) that RBAC refuses with 403. */
  forbid?: PodVerb[];
  /** Verbs refused only the first N times (RBAC still propagating, a flaky webhook). */
  forbidTimes?: Partial<Record<PodVerb, number>>;
  /** Namespace → Pod Security enforce level; pods in host namespaces or with hostPath are refused unless privileged. */
  podSecurity?: Record<string, 'privileged' | 'baseline' | 'restricted'>;
  /** Namespaces that exist (default: any). */
  namespaces?: string[];
  /** Milliseconds from create to the kubelet acting (default 10). */
  startDelayMs?: number;
  /** Ends every watch after this many seconds whatever the client asked (as a proxy or an API server restart would). */
  maxWatchSeconds?: number;
}

export interface FakePods {
  /** Pods currently stored (not deleted), any namespace. */
  current(): Obj[];
  /** How many pods were ever created. */
  created(): number;
  /** Watches currently open. */
  openWatches(): number;
  /** From now on, refuse this verb (`times` times, default always) / allow it again. */
  refuse(verb: PodVerb, times?: number): void;
  allow(verb: PodVerb): void;
  /** Call from the server's request handler: true when this module answered the request. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, segs: string[], q: URLSearchParams, user: string): boolean;
  close(): void;
}

const PODS = SERVED.find((s) => s.name === 'pods')!;

interface Stored {
  pod: Obj;
  log: string;
  started: boolean;
  container?: { kill(): void };
  timers: NodeJS.Timeout[];
}

interface Watcher { namespace: string; matches: (o: Obj) => boolean; res: http.ServerResponse; timer?: NodeJS.Timeout }

export function fakePods(opts: FakePodOptions, now: () => Date): FakePods {
  const store = new Map<string, Stored>();
  const events: { rv: number; type: string; object: Obj }[] = [];
  const watchers = new Set<Watcher>();
  let rv = 5_000_000;
  let createdCount = 0;
  let closed = false;
  const refusals = new Map<PodVerb, number>([
    ...(opts.forbid ?? []).map((v) => [v, Infinity] as const),
    ...Object.entries(opts.forbidTimes ?? {}) as [PodVerb, number][],
  ]);
  const forbid = {
    /** Whether RBAC refuses this request (and counts the refusal). */
    has(verb: PodVerb): boolean {
      const left = refusals.get(verb) ?? 0;
      if (left <= 0) return false;
      refusals.set(verb, left - 1);
      return true;
    },
  };
  const kubelet: Kubelet = opts.kubelet ?? (() => ({ kind: 'pending' }));
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const time = () => now().toISOString().replace(/\.\d+Z$/, 'Z');

  function emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: Obj): void {
    rv++;
    pod.metadata.resourceVersion = String(rv);
    const object = structuredClone(pod);
    events.push({ rv, type, object });
    for (const w of watchers) if (w.namespace === pod.metadata.namespace && w.matches(pod)) w.res.write(JSON.stringify({ type, object }) + '\n');
  }

  function update(s: Stored, status: Obj): void {
    if (closed || !store.has(key(s.pod.metadata.namespace, s.pod.metadata.name))) return;
    s.pod.status = { ...s.pod.status, ...status };
    emit('MODIFIED', s.pod);
  }

  const containerStatus = (s: Stored, state: Obj) => [{
    name: s.pod.spec.containers[0].name, image: s.pod.spec.containers[0].image, imageID: '', ready: Boolean(state.running),
    restartCount: 0, started: Boolean(state.running), state,
  }];

  function later(s: Stored, ms: number, fn: () => void): void {
    const t = setTimeout(() => { s.timers = s.timers.filter((x) => x !== t); if (!closed) fn(); }, ms);
    s.timers.push(t);
  }

  function startPod(s: Stored): void {
    const action = kubelet(s.pod);
    const c = s.pod.spec.containers[0];
    if (action.kind === 'pending') return;
    if (action.kind === 'reject') {
      update(s, { phase: 'Failed', reason: action.reason, message: action.message });
      return;
    }
    if (action.kind === 'imagePullFailure') {
      update(s, { containerStatuses: containerStatus(s, { waiting: { reason: 'ErrImagePull', message: action.message } }) });
      later(s, 20, () => update(s, { containerStatuses: containerStatus(s, { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } }) }));
      return;
    }
    const startedAt = time();
    s.started = true;
    update(s, { phase: 'Running', startTime: startedAt, containerStatuses: containerStatus(s, { running: { startedAt } }) });
    let ended = false;
    const finish = (exitCode: number, podStatus: Obj = {}) => {
      if (ended) return;
      ended = true;
      s.container = undefined;
      update(s, {
        phase: podStatus.phase ?? (exitCode === 0 ? 'Succeeded' : 'Failed'), ...podStatus,
        containerStatuses: containerStatus(s, { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: time() } }),
      });
    };
    s.container = action.start(s.pod, { out: (chunk) => { s.log += chunk; }, exit: (code) => finish(code) });
    const deadline = s.pod.spec.activeDeadlineSeconds;
    if (Number.isFinite(deadline)) {
      later(s, deadline * 1000, () => {
        if (ended) return;
        s.container?.kill();
        finish(137, { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
      });
    }
  }

  /** Pod Security admission as kube-apiserver words it (only the checks a probe pod can trip). */
  function podSecurityViolation(ns: string, pod: Obj): string | null {
    const level = opts.podSecurity?.[ns];
    if (!level || level === 'privileged') return null;
    const spec = pod.spec ?? {};
    const parts: string[] = [];
    const hostNs = [spec.hostNetwork && 'hostNetwork=true', spec.hostPID && 'hostPID=true', spec.hostIPC && 'hostIPC=true'].filter(Boolean);
    if (hostNs.length) parts.push(`host namespaces (${hostNs.join(', ')})`);
    const hostPaths = (spec.volumes ?? []).filter((v: Obj) => v.hostPath).map((v: Obj) => `"${v.name}"`);
    if (hostPaths.length) parts.push(`hostPath volume${hostPaths.length > 1 ? 's' : ''} (volume${hostPaths.length > 1 ? 's' : ''} ${hostPaths.join(', ')})`);
    const caps = (spec.containers ?? []).flatMap((c: Obj) => c.securityContext?.capabilities?.add ?? []).filter((c: string) => !['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'].includes(c));
    if (caps.length) parts.push(`non-default capabilities (container "${spec.containers[0].name}" must not include ${caps.map((c: string) => `"${c}"`).join(', ')} in securityContext.capabilities.add)`);
    if (!parts.length) return null;
    return `pods "${pod.metadata?.name}" is forbidden: violates PodSecurity "${level}:latest": ${parts.join(', ')}`;
  }

  function send(res: http.ServerResponse, reply: { code: number; body: object | string }): void {
    const text = typeof reply.body === 'string';
    res.writeHead(reply.code, { 'Content-Type': text ? 'text/plain' : 'application/json', Date: now().toUTCString(), 'Audit-Id': randomUUID() });
    res.end(text ? reply.body : JSON.stringify(reply.body));
  }

  function create(req: http.IncomingMessage, res: http.ServerResponse, ns: string, user: string): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (forbid.has('create')) return send(res, S.forbidden(user, 'create', PODS, { namespace: ns }));
      if (opts.namespaces && !opts.namespaces.includes(ns)) return send(res, S.status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
      let pod: Obj;
      try {
        pod = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, S.badRequest('the object provided is unrecognized (must be of type Pod)'));
      }
      const name = pod?.metadata?.name;
      if (pod?.kind !== 'Pod' || typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
        return send(res, S.status(422, 'Invalid', `Pod "${name}" is invalid: metadata.name: Invalid value`, {}));
      }
      if ((pod.metadata.namespace ?? ns) !== ns) return send(res, S.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
      if (store.has(key(ns, name))) return send(res, S.status(409, 'AlreadyExists', `pods "${name}" already exists`, { name, kind: 'pods' }));
      const violation = podSecurityViolation(ns, pod);
      if (violation) return send(res, S.status(403, 'Forbidden', violation, { name, kind: 'pods' }));
      pod.metadata = { ...pod.metadata, namespace: ns, uid: randomUUID(), creationTimestamp: time() };
      pod.status = { phase: 'Pending', qosClass: 'Burstable' };
      const s: Stored = { pod, log: '', started: false, timers: [] };
      store.set(key(ns, name), s);
      createdCount++;
      emit('ADDED', pod);
      later(s, opts.startDelayMs ?? 10, () => startPod(s));
      send(res, { code: 201, body: pod });
    });
  }

  function remove(ns: string, name: string, user: string): { code: number; body: object } {
    if (forbid.has('delete')) return S.forbidden(user, 'delete', PODS, { namespace: ns, name });
    const s = store.get(key(ns, name));
    if (!s) return S.objectNotFound(PODS, name);
    s.container?.kill();
    for (const t of s.timers) clearTimeout(t);
    store.delete(key(ns, name));
    s.pod.metadata.deletionTimestamp = time();
    emit('DELETED', s.pod);
    return { code: 200, body: s.pod };
  }

  function watch(res: http.ServerResponse, ns: string, q: URLSearchParams): void {
    const matches = labelMatcher(q.get('labelSelector') ?? undefined);
    const from = Number(q.get('resourceVersion') || '0');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', Date: now().toUTCString() });
    const w: Watcher = { namespace: ns, matches, res };
    // resourceVersion 0 or unset: the current state as ADDED events, then changes.
    if (from === 0) {
      for (const s of store.values()) if (s.pod.metadata.namespace === ns && matches(s.pod)) res.write(JSON.stringify({ type: 'ADDED', object: s.pod }) + '\n');
    } else {
      for (const e of events) if (e.rv > from && e.object.metadata.namespace === ns && matches(e.object)) res.write(JSON.stringify({ type: e.type, object: e.object }) + '\n');
    }
    watchers.add(w);
    const end = () => { watchers.delete(w); if (w.timer) clearTimeout(w.timer); };
    const asked = Number(q.get('timeoutSeconds') ?? '0');
    const timeout = opts.maxWatchSeconds !== undefined ? Math.min(asked || Infinity, opts.maxWatchSeconds) : asked;
    if (timeout > 0) w.timer = setTimeout(() => { end(); res.end(); }, timeout * 1000);
    res.on('close', end);
  }

  return {
    current: () => [...store.values()].map((s) => s.pod),
    created: () => createdCount,
    openWatches: () => watchers.size,
    refuse: (verb, times = Infinity) => { refusals.set(verb, times); },
    allow: (verb) => { refusals.delete(verb); },
    handle(req, res, segs, q, user) {
      // /api/v1/namespaces/<ns>/pods[/<name>[/log]]
      if (segs[0] !== 'api' || segs[1] !== 'v1' || segs[2] !== 'namespaces' || segs[4] !== 'pods' || segs.length > 7) return false;
      const ns = segs[3]!;
      const name = segs[5];
      const sub = segs[6];
      const method = req.method ?? 'GET';
      if (name === undefined) {
        if (method === 'POST') { create(req, res, ns, user); return true; }
        if (method !== 'GET') return false;
        const isWatch = q.get('watch') === 'true' || q.get('watch') === '1';
        if (isWatch) {
          req.resume();
          if (forbid.has('watch')) send(res, S.forbidden(user, 'watch', PODS, { namespace: ns }));
          else watch(res, ns, q);
          return true;
        }
        // Lists of probe pods (by their label) come from this store; other pod lists from the fixtures.
        if (!/checkup\.k8s\.io\/run-id|app\.kubernetes\.io\/managed-by/.test(q.get('labelSelector') ?? '')) return false;
        req.resume();
        if (forbid.has('list')) { send(res, S.forbidden(user, 'list', PODS, { namespace: ns })); return true; }
        const matches = labelMatcher(q.get('labelSelector') ?? undefined);
        const items = [...store.values()].map((s) => s.pod).filter((p) => p.metadata.namespace === ns && matches(p));
        send(res, { code: 200, body: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items } });
        return true;
      }
      const s = store.get(key(ns, name));
      if (method === 'DELETE' && sub === undefined) { req.resume(); send(res, remove(ns, name, user)); return true; }
      if (method !== 'GET') return false;
      if (sub === 'log') {
        req.resume();
        if (forbid.has('log')) send(res, S.forbidden(user, 'get', PODS, { namespace: ns, name, subresource: 'log' }));
        else if (!s) send(res, S.objectNotFound(PODS, name));
        else if (!s.started) {
          const reason = s.pod.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating';
          send(res, S.badRequest(`container "${s.pod.spec.containers[0].name}" in pod "${name}" is waiting to start: ${reason}`));
        } else send(res, { code: 200, body: s.log });
        return true;
      }
      if (sub !== undefined || !s) return false;
      req.resume();
      if (forbid.has('get')) send(res, S.forbidden(user, 'get', PODS, { namespace: ns, name }));
      else send(res, { code: 200, body: { kind: 'Pod', apiVersion: 'v1', ...s.pod } });
      return true;
    },
    close() {
      closed = true;
      for (const s of store.values()) {
        s.container?.kill();
        for (const t of s.timers) clearTimeout(t);
      }
      for (const w of watchers) { if (w.timer) clearTimeout(w.timer); w.res.end(); }
      watchers.clear();
    },
  };
}

/** The command a probe pod's container runs, as argv (command + args). */
export function containerArgv(pod: Obj): string[] {
  const c = pod.spec.containers[0];
  return [...(c.command ?? []), ...(c.args ?? [])];
}
