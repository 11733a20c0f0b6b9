// Upstream: Linux net/ipv4/tcp_input.c tcp_conn_request()/tcp_syn_flood_action(), Documentation/networking/snmp_counter.rst; check-facts §1.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { defineCheck, eventCount, eventLastSeen, evidenceTime, optional, reporter, type CheckContext, type Reporter, type Severity } from '../../src/check.js';
import { OwnerIndex, type WorkloadRef } from '../../src/kube/owners.js';
import { counterChange, type CounterChange } from '../../src/node/parsers/counters.js';
import { inWindow, synFloodLine, type SynFloodLine } from '../../src/node/parsers/kernel-log.js';
import { KERNEL_LOG_WINDOW_SECONDS, type KernelLog } from '../../src/node/probes/kernelLog.js';
import type { Listener, Listeners } from '../../src/node/probes/listeners.js';
import type { Netstat } from '../../src/node/probes/netstat.js';
import type { PodNamespaceSample, PodNetns } from '../../src/node/probes/podNetns.js';
import type { Sysctls } from '../../src/node/probes/sysctls.js';
import { QUEUE_NEARLY_FULL, rules, type Overflow, type PodOverflow, type RemedyData } from './messages.js';

/** Every overflow is a client retry (≥ 1 s SYN RTO) or a failed connect (check-facts §1.3). */
/** When overflows happening now are critical rather than a warning (config file settings). */
interface Limits { perSecond: number; share: number }
const SMALL_BACKLOG = 128;

type CounterName = 'ListenOverflows' | 'ListenDrops' | 'TCPReqQFullDrop' | 'TCPReqQFullDoCookies' | 'SyncookiesSent' | 'PassiveOpens';
type Counters = Partial<Record<CounterName, CounterChange>>;

/** A pod as far as this check cares: where it runs, who owns it, what its ports are called. */
interface PodInfo {
  pod: string;
  node: string;
  workload: WorkloadRef;
  ports: Map<number, { container: string; portName?: string }>;
  unhealthy: { liveness: number; readiness: number; last?: number };
}

export default defineCheck({
  id: 'syn-backlog',
  title: 'TCP listen queues on the nodes do not overflow',
  severity: 'critical',
  description: 'Samples the TCP listen-queue counters (ListenOverflows, ListenDrops, TCPReqQFullDrop, TCPReqQFullDoCookies) on each node twice, ' +
    '--sample-interval apart, in the host network namespace and in every pod\'s own namespace (read from the node through /proc/<pid>/net of one ' +
    'process per namespace, mapped to the pod by its cgroup), and reports connections being dropped or answered with SYN cookies now — pods ' +
    'against their workload, with the liveness/readiness probe failures of the same pods; also listeners whose accept queue is nearly full, ' +
    'tcp_syncookies=0, and "Possible SYN flooding" kernel messages from the last hour.',
  rules,
  settings: {
    // Every overflow is a client retry (≥ 1 s SYN RTO) or a failed connect (check-facts §1.3).
    minOverflowsPerSecond: { type: 'number', default: 1, min: 0, description: 'Accept-queue overflows per second above which overflows happening now are critical (else a warning)' },
    minOverflowSharePercent: { type: 'number', default: 1, min: 0, max: 100, description: 'Share of new connections overflowing above which it is critical' },
  },
  needs: {
    // Pods (and their owners and probe-failure events) only say whose network namespace overflowed.
    api: ['Node', ...(['ReplicaSet', 'Job', 'Pod', 'Event'] as const).map((kind) => ({ kind, optional: true, onlyWithNodes: true }))],
    probes: ['netstat', ...optional('sysctls', 'listeners', 'kernelLog', 'podNetns')],
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const limits: Limits = { perSecond: Number(ctx.options.minOverflowsPerSecond), share: Number(ctx.options.minOverflowSharePercent) / 100 };
    const owners = new OwnerIndex();
    const pods = new Map<string, PodInfo>(); // by UID
    const podByName = new Map<string, PodInfo>();
    /** workload key → the workload and its pods that overflowed. */
    const troubled = new Map<string, { workload: WorkloadRef; pods: PodOverflow[] }>();

    return {
      ReplicaSet(rs) { owners.add('ReplicaSet', rs); },
      Job(job) { owners.add('Job', job); },
      Pod(pod: V1Pod) {
        const uid = pod.metadata?.uid;
        const node = pod.spec?.nodeName;
        // hostNetwork pods share the node's namespace: the host counters are theirs.
        if (!uid || !node || pod.spec?.hostNetwork) return;
        const ports = new Map<number, { container: string; portName?: string }>();
        for (const c of pod.spec?.containers ?? []) {
          for (const p of c.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP') ports.set(p.containerPort, { container: c.name, ...(p.name ? { portName: p.name } : {}) });
        }
        const info: PodInfo = { pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, node, workload: owners.workloadOf(pod), ports, unhealthy: { liveness: 0, readiness: 0 } };
        pods.set(uid, info);
        podByName.set(info.pod, info);
      },
      Event(ev: CoreV1Event) {
        if (ev.reason !== 'Unhealthy' || ev.involvedObject?.kind !== 'Pod') return;
        const info = (ev.involvedObject.uid && pods.get(ev.involvedObject.uid)) || podByName.get(`${ev.involvedObject.namespace ?? ''}/${ev.involvedObject.name ?? ''}`);
        if (!info) return;
        const kind = /^Liveness/i.test(ev.message ?? '') ? 'liveness' : /^Readiness/i.test(ev.message ?? '') ? 'readiness' : undefined;
        if (!kind) return;
        info.unhealthy[kind] += eventCount(ev);
        const last = eventLastSeen(ev);
        if (last !== undefined && (info.unhealthy.last === undefined || last > info.unhealthy.last)) info.unhealthy.last = last;
      },
      NodeProbes(results) {
        const p = results.probes;
        evaluateNode(ctx, say, limits, results.node, {
          netstat: p.netstat?.ok ? p.netstat.value : undefined,
          sysctls: p.sysctls?.ok ? p.sysctls.value : undefined,
          listeners: p.listeners?.ok ? p.listeners.value : undefined,
          kernelLog: p.kernelLog?.ok ? p.kernelLog.value : undefined,
        });
        if (p.podNetns?.ok) {
          for (const found of podOverflows(results.node, p.podNetns.value, p.sysctls?.ok ? p.sysctls.value : undefined, pods)) {
            const key = `${found.info.workload.namespace}/${found.info.workload.kind}/${found.info.workload.name}`;
            const t = troubled.get(key) ?? { workload: found.info.workload, pods: [] };
            troubled.set(key, t);
            t.pods.push(found.overflow);
          }
        }
      },
      finish() {
        for (const t of [...troubled.values()].sort((a, b) => `${a.workload.namespace}/${a.workload.name}`.localeCompare(`${b.workload.namespace}/${b.workload.name}`))) {
          t.pods.sort((a, b) => Number(!!b.overflow) - Number(!!a.overflow) || a.pod.localeCompare(b.pod));
          const target = { kind: t.workload.kind, name: t.workload.name, namespace: t.workload.namespace };
          const now = t.pods.filter((x) => x.overflow);
          const evidence = {
            pods: t.pods.map((x) => ({
              pod: x.pod, node: x.node, intervalSeconds: x.interval,
              ...(x.overflow ? { overflow: roundRates(x.overflow) } : {}),
              sinceStart: Object.fromEntries(x.sinceStart),
              acceptQueueNotEmpty: x.busy,
              unhealthyEvents: x.unhealthy,
            })),
            ...(t.workload.inferred ? { workloadInferred: true } : {}),
          };
          if (now.length) {
            const severity: Severity = now.some((x) => severityOf(x.overflow!, limits) === 'critical') ? 'critical' : 'warning';
            say('podListenOverflowNow', { severity, target, evidence }, t);
          } else if (t.pods.some((x) => x.unhealthy.liveness + x.unhealthy.readiness > 0)) {
            // Overflows since the pod started, none now: worth saying only when its probes failed too.
            say('podListenOverflowSinceStart', { severity: 'info', target, evidence }, t);
          }
        }
      },
    };
  },
});

type Say = Reporter<typeof rules>;

interface NodeData {
  netstat?: Netstat;
  sysctls?: Sysctls;
  listeners?: Listeners;
  kernelLog?: KernelLog;
}

function evaluateNode(ctx: CheckContext, say: Say, limits: Limits, node: string, d: NodeData): void {
  const syncookies = d.sysctls?.values['net.ipv4.tcp_syncookies'];
  const counters = d.netstat ? changes(d.netstat) : undefined;
  const interval = d.netstat && d.netstat.samples.length > 1 ? d.netstat.intervalSeconds : 0;
  const floods = d.kernelLog ? d.kernelLog.lines.filter((l) => d.kernelLog!.windowSeconds || inWindow(l, ctx.now, KERNEL_LOG_WINDOW_SECONDS))
    .map(synFloodLine).filter((x): x is SynFloodLine => !!x) : [];
  const full = nearlyFull(d.listeners);
  const ctxEvidence = {
    sysctls: d.sysctls ? pickSysctls(d.sysctls) : undefined,
    nearlyFullListeners: full.length ? full : undefined,
    smallBacklogListeners: smallBacklog(d.listeners),
    kernelLog: floods.length ? floods.map((f) => f.text) : undefined,
    kernelLogSource: d.kernelLog?.source,
  };
  // The listeners seen full are the suspects; small backlogs only when no listener was caught full
  // (an idle sshd with backlog 128 is not a suspect next to a full :443).
  const suspects = full.length ? full : (ctxEvidence.smallBacklogListeners ?? []);
  const remedy: RemedyData = {
    node, somaxconn: d.sysctls?.values['net.core.somaxconn'], synBacklog: d.sysctls?.values['net.ipv4.tcp_max_syn_backlog'],
    ports: [...new Set([...suspects.map((l) => l.port), ...floods.map((f) => f.port)])],
  };
  const target = { kind: 'Node', name: node };

  const now = counters && interval > 0 ? currentOverflow(counters, syncookies) : undefined;
  if (now && counters) {
    say('listenOverflowNow', { severity: severityOf(now.overflow, limits), target, evidence: { intervalSeconds: interval, counters: counterEvidence(counters), ...now.extra, ...ctxEvidence } },
      { node, interval, overflow: now.overflow, remedy });
  } else if (counters) {
    const totals = (['ListenOverflows', 'TCPReqQFullDrop', 'TCPReqQFullDoCookies'] as const).filter((k) => (counters[k]?.total ?? 0) > 0);
    const resets = Object.entries(counters).filter(([, c]) => c?.reset).map(([k]) => k);
    if (totals.length) {
      say('listenOverflowSinceBoot', { severity: 'info', target, evidence: { intervalSeconds: interval, counters: counterEvidence(counters), ...ctxEvidence } },
        { node, interval, totals: totals.map((k) => [k, counters[k]!.total]), resets, remedy });
    }
    const other = otherDrops(counters);
    if (other > 0) say('otherListenDrops', { severity: 'info', target, evidence: { intervalSeconds: interval, counters: counterEvidence(counters) } }, { node, other, interval });
  }

  if (syncookies === 0) say('syncookiesOff', { severity: 'warning', target, evidence: { sysctls: ctxEvidence.sysctls } }, { node });

  if (full.length && !now) {
    say('acceptQueueNearlyFull', { severity: 'warning', target, evidence: { listeners: full, sysctls: ctxEvidence.sysctls } }, { node, full, remedy });
  }

  if (floods.length && !now) {
    const ports = [...new Set(floods.map((f) => (f.address ? `${f.address}:${f.port}` : String(f.port))))];
    say('synFloodLogged', {
      severity: 'warning', target,
      evidence: { kernelLog: ctxEvidence.kernelLog, kernelLogSource: d.kernelLog?.source, counters: counters ? counterEvidence(counters) : undefined },
    }, { node, ports, action: floods[0]!.action, first: floods[0]!.text, remedy });
  }
}

function changes(n: Netstat): Counters {
  const first = n.samples[0]!;
  const last = n.samples.at(-1)!;
  const c = (group: string, name: CounterName) => counterChange(first[group]?.[name], last[group]?.[name], n.samples.length, n.intervalSeconds);
  return {
    ListenOverflows: c('TcpExt', 'ListenOverflows'), ListenDrops: c('TcpExt', 'ListenDrops'),
    TCPReqQFullDrop: c('TcpExt', 'TCPReqQFullDrop'), TCPReqQFullDoCookies: c('TcpExt', 'TCPReqQFullDoCookies'),
    SyncookiesSent: c('TcpExt', 'SyncookiesSent'), PassiveOpens: c('Tcp', 'PassiveOpens'),
  };
}

/** What overflowed between the samples, or undefined when nothing did. */
function currentOverflow(c: Counters, syncookies: number | undefined): { overflow: Overflow; extra: Record<string, unknown> } | undefined {
  const overflow: Overflow = {};
  const extra: Record<string, unknown> = {};
  const rate = (x: CounterChange) => ({ delta: x.delta!, ...(x.perSecond !== undefined ? { perSecond: x.perSecond } : {}) });
  if ((c.TCPReqQFullDrop?.delta ?? 0) > 0) overflow.dropped = rate(c.TCPReqQFullDrop!);
  if ((c.ListenOverflows?.delta ?? 0) > 0) {
    const opens = c.PassiveOpens?.delta;
    const share = opens ? c.ListenOverflows!.delta! / opens : undefined;
    if (share !== undefined) extra.overflowShareOfNewConnections = round(share, 4);
    overflow.overflows = { ...rate(c.ListenOverflows!), ...(opens ? { opens, share } : {}) };
  }
  // With tcp_syncookies=2 every SYN is answered with a cookie and counted, full queue or not.
  if (syncookies !== 2) {
    const cookies = c.TCPReqQFullDoCookies ?? c.SyncookiesSent;
    if ((cookies?.delta ?? 0) > 0) overflow.cookies = { ...rate(cookies!), counter: c.TCPReqQFullDoCookies ? 'TCPReqQFullDoCookies' : 'SyncookiesSent' };
  } else {
    extra.cookieCountersIgnored = 'net.ipv4.tcp_syncookies=2 sends cookies for every SYN';
  }
  return overflow.dropped || overflow.overflows || overflow.cookies ? { overflow, extra } : undefined;
}

/** The overflow as evidence: rates to 3 decimals (the words round them themselves). */
function roundRates(o: Overflow): Overflow {
  const r = <T extends { perSecond?: number }>(x: T | undefined): T | undefined => (x && x.perSecond !== undefined ? { ...x, perSecond: round(x.perSecond, 3) } : x);
  return JSON.parse(JSON.stringify({ dropped: r(o.dropped), overflows: r(o.overflows), cookies: r(o.cookies) })) as Overflow;
}

function severityOf(o: Overflow, limits: Limits): Severity {
  if (o.dropped) return 'critical';
  if (o.overflows && ((o.overflows.perSecond ?? 0) > limits.perSecond || (o.overflows.share ?? 0) > limits.share)) return 'critical';
  return 'warning';
}

/** The pods on `node` whose own namespace overflowed between the samples or since it was created.
 * A namespace whose pod UID is not a pod of this node (another node's pod, a pod outside -n, a pod
 * deleted since the list) is left out: nothing about it can be pinned on a workload. */
function podOverflows(node: string, data: PodNetns, sysctls: Sysctls | undefined, pods: Map<string, PodInfo>): { info: PodInfo; overflow: PodOverflow }[] {
  const first = data.samples[0]!;
  const last = data.samples.at(-1)!;
  const before = new Map(first.namespaces.map((n) => [n.inode, n]));
  const out: { info: PodInfo; overflow: PodOverflow }[] = [];
  for (const ns of last.namespaces) {
    const info = pods.get(ns.podUid);
    if (!info || info.node !== node) continue;
    const prev = data.samples.length > 1 ? before.get(ns.inode) : undefined;
    const interval = prev?.at !== undefined && ns.at !== undefined && ns.at > prev.at ? round(ns.at - prev.at, 2) : data.intervalSeconds;
    const counters = namespaceChanges(prev, ns, interval);
    // The pod's own tcp_syncookies is not readable from outside its namespace; its default is 1.
    const now = prev ? currentOverflow(counters, undefined) : undefined;
    const sinceStart = (['ListenOverflows', 'TCPReqQFullDrop', 'TCPReqQFullDoCookies'] as const)
      .filter((k) => (ns.counters[k] ?? 0) > 0).map((k): [string, number] => [k, ns.counters[k]!]);
    if (!now && !sinceStart.length) continue;
    // A queue that is not empty at every look: the listener that is not keeping up.
    const key = (l: { address: string; port: number }) => `${l.address}|${l.port}`;
    const seenBefore = new Set((prev?.listeners ?? ns.listeners).filter((l) => l.acceptQueue > 0).map(key));
    const busy = ns.listeners.filter((l) => l.acceptQueue > 0 && seenBefore.has(key(l))).map((l) => ({ ...l, ...info.ports.get(l.port) }));
    out.push({
      info,
      overflow: {
        pod: info.pod, node, interval, ...(now ? { overflow: now.overflow } : {}), sinceStart, busy,
        unhealthy: { liveness: info.unhealthy.liveness, readiness: info.unhealthy.readiness, ...(info.unhealthy.last !== undefined ? { last: evidenceTime(info.unhealthy.last) } : {}) },
      },
    });
  }
  return out;
}

function namespaceChanges(prev: PodNamespaceSample | undefined, cur: PodNamespaceSample, interval: number): Counters {
  const out: Counters = {};
  for (const k of ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDrop', 'TCPReqQFullDoCookies', 'SyncookiesSent', 'PassiveOpens'] as const) {
    const c = counterChange(prev?.counters[k], cur.counters[k], prev ? 2 : 1, interval);
    if (c) out[k] = c;
  }
  return out;
}

function otherDrops(c: Counters): number {
  const drops = c.ListenDrops?.delta;
  if (drops === undefined) return 0;
  return drops - (c.ListenOverflows?.delta ?? 0) - (c.TCPReqQFullDrop?.delta ?? 0);
}

function nearlyFull(l: Listeners | undefined): Listener[] {
  if (!l?.samples.length) return [];
  const key = (x: Listener) => `${x.address}|${x.port}`;
  const isFull = (x: Listener) => x.sendQ > 0 && x.recvQ >= QUEUE_NEARLY_FULL * x.sendQ;
  const everyTime = l.samples.map((s) => new Set(s.filter(isFull).map(key)));
  return l.samples.at(-1)!.filter((x) => everyTime.every((set) => set.has(key(x))));
}

function smallBacklog(l: Listeners | undefined): Listener[] | undefined {
  const small = l?.samples.at(-1)?.filter((x) => x.sendQ > 0 && x.sendQ <= SMALL_BACKLOG);
  return small?.length ? small : undefined;
}

function pickSysctls(s: Sysctls): Record<string, number | undefined> {
  return {
    'net.core.somaxconn': s.values['net.core.somaxconn'],
    'net.ipv4.tcp_max_syn_backlog': s.values['net.ipv4.tcp_max_syn_backlog'],
    'net.ipv4.tcp_syncookies': s.values['net.ipv4.tcp_syncookies'],
  };
}

function counterEvidence(c: Counters): Record<string, { sinceBoot: number; delta?: number; perSecond?: number; reset?: true }> {
  const out: Record<string, { sinceBoot: number; delta?: number; perSecond?: number; reset?: true }> = {};
  for (const [k, v] of Object.entries(c)) {
    if (!v) continue;
    out[k] = {
      sinceBoot: v.total,
      ...(v.delta !== undefined ? { delta: v.delta } : {}),
      ...(v.perSecond !== undefined ? { perSecond: round(v.perSecond, 3) } : {}),
      ...(v.reset ? { reset: true as const } : {}),
    };
  }
  return out;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
