// The rules of syn-backlog and their words; index.ts decides, this file speaks.
import type { Remediation, Wording } from '../../src/check.js';
import { describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import type { Listener } from '../../src/node/probes/listeners.js';
import type { PodListener } from '../../src/node/probes/podNetns.js';

export const QUEUE_NEARLY_FULL = 0.8;

export const SCOPE = 'These are the host network namespace\'s counters (kubelet, kube-proxy, hostNetwork pods, node daemons); ' +
  'pods have their own per-namespace counters and their own somaxconn (kernel default 4096 on Linux ≥ 5.4, 128 before) — the host value is not theirs.';

interface Rate { delta: number; perSecond?: number }

/** What overflowed between two samples, in one namespace (the host's or a pod's). */
export interface Overflow {
  /** TCPReqQFullDrop: SYNs dropped, SYN queue full, cookies off. */
  dropped?: Rate;
  /** ListenOverflows, with the new connections they are compared with. */
  overflows?: Rate & { opens?: number; share?: number };
  /** SYNs answered with cookies, and which counter said so. */
  cookies?: Rate & { counter: 'TCPReqQFullDoCookies' | 'SyncookiesSent' };
}

/** What the remediation needs to name: the node's sysctls and the suspect ports. */
export interface RemedyData {
  node: string;
  somaxconn?: number;
  synBacklog?: number;
  ports: number[];
}

export interface NodeOverflow { node: string; interval: number; overflow: Overflow; remedy: RemedyData }
export interface NodeTotals { node: string; interval: number; totals: [string, number][]; resets: string[]; remedy: RemedyData }

/** One pod of a workload whose own namespace overflowed. */
export interface PodOverflow {
  pod: string;
  node: string;
  interval: number;
  overflow?: Overflow;
  /** Since the namespace was created (the pod sandbox started): counters that are not 0. */
  sinceStart: [string, number][];
  /** Listeners with a non-empty accept queue at every sample, with container ports where known. */
  busy: (PodListener & { container?: string; portName?: string })[];
  /** Liveness/readiness probe failures the kubelet reported for this pod (Unhealthy events). */
  unhealthy: { liveness: number; readiness: number; last?: string };
}

export interface WorkloadOverflow { workload: WorkloadRef; pods: PodOverflow[] }

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => String(round(n, 1));
const rate = (r: Rate) => `${round(r.perSecond ?? 0, 2)}/s`;
const listenerName = (l: { address: string; port: number }) => (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`);

export function overflowParts(o: Overflow): string[] {
  const parts: string[] = [];
  if (o.dropped) parts.push(`${o.dropped.delta} SYNs dropped because a SYN queue was full and SYN cookies are off (TCPReqQFullDrop, ${rate(o.dropped)})`);
  if (o.overflows) {
    const { share, opens } = o.overflows;
    const against = share === undefined ? '' : share >= 1 ? `, more than the ${opens} connections accepted` : `, ${round(share * 100, 1)} % of ${opens} new connections`;
    parts.push(`an accept queue overflowed ${o.overflows.delta} times (ListenOverflows, ${rate(o.overflows)}${against}), each a SYN dropped and retried by the client after ≥ 1 s`);
  }
  if (o.cookies) {
    parts.push(`${o.cookies.delta} SYNs answered with cookies because a SYN queue was full (${o.cookies.counter}, ${rate(o.cookies)}); cookies drop TCP options such as window scaling`);
  }
  return parts;
}

function remedy(d: RemedyData): Remediation {
  const hostSomaxconn = Math.max(d.somaxconn ?? 0, 4096);
  const hostSynBacklog = Math.max(d.synBacklog ?? 0, 8192);
  const { node, ports } = d;
  return {
    summary: `Find the listener that cannot keep up on ${node} and give it a bigger backlog or more capacity`,
    steps: [
      `On ${node}: \`ss -ltn\` — a LISTEN row whose Recv-Q reaches Send-Q is the one${ports.length ? ` (suspect port${ports.length > 1 ? 's' : ''} ${ports.join(', ')})` : ''}; ` +
        'for pod listeners read the pod\'s own counters with `nsenter -t <pid> -n ss -ltn` and `cat /proc/<pid>/net/netstat`.',
      APP_FIRST,
      podSysctls(node),
      `Host listeners (hostNetwork pods, kubelet, ingress on the host network): /etc/sysctl.d/99-k8s-net.conf with net.core.somaxconn = ${hostSomaxconn} and ` +
        `net.ipv4.tcp_max_syn_backlog = ${hostSynBacklog}${d.somaxconn !== undefined ? ` (now ${d.somaxconn} and ${d.synBacklog ?? '?'})` : ''}, keep net.ipv4.tcp_syncookies = 1, then \`sysctl --system\`. This does not change pods.`,
      SCALE_OUT,
    ],
  };
}

const APP_FIRST = 'Application first: raise its listen() backlog (nginx `listen … backlog=4096`, Tomcat `acceptCount`, Java ServerSocket backlog; Go uses somaxconn) and fix slow accept loops; the queue is min(backlog, somaxconn).';
const SCALE_OUT = 'Scale out the workload or put a connection-pooling proxy in front of it; if the SYNs are a scan or health-check storm, rate-limit them upstream.';
const podSysctls = (node: string) => 'Pods: set `securityContext.sysctls` in the pod spec — net.core.somaxconn and net.ipv4.tcp_max_syn_backlog are unsafe sysctls, so the kubelet on ' +
  `${node} must allow them (\`--allowed-unsafe-sysctls=net.core.somaxconn,net.ipv4.tcp_max_syn_backlog\`), else the pod is rejected with SysctlForbidden; net.ipv4.tcp_syncookies is safe.`;

function podPart(p: PodOverflow): string {
  const what = p.overflow ? `in the ${fmt(p.interval)} s between two samples: ${overflowParts(p.overflow).join('; ')}`
    : `${p.sinceStart.map(([k, v]) => `${k} ${v}`).join(', ')} since the pod's network namespace was created, none while sampling`;
  const busy = p.busy.length ? `; accept queue not empty at every sample on ${p.busy.map((l) => `${listenerName(l)}${l.container ? ` (${l.container}${l.portName ? ` ${l.portName}` : ''})` : ''} = ${l.acceptQueue}`).join(', ')}` : '';
  const probes = p.unhealthy.liveness || p.unhealthy.readiness
    ? `; the kubelet reported ${[p.unhealthy.liveness ? `${p.unhealthy.liveness} liveness` : '', p.unhealthy.readiness ? `${p.unhealthy.readiness} readiness` : ''].filter(Boolean).join(' and ')} probe failure${p.unhealthy.liveness + p.unhealthy.readiness > 1 ? 's' : ''} for it (Unhealthy events)`
    : '';
  return `pod ${p.pod} on ${p.node}${p.overflow ? ', ' : ': '}${what}${busy}${probes}`;
}

function podRemedy(d: WorkloadOverflow): Remediation {
  const w = d.workload;
  const first = d.pods[0]!;
  const ports = [...new Set(d.pods.flatMap((p) => p.busy.map((l) => l.port)))];
  const probed = d.pods.some((p) => p.unhealthy.liveness || p.unhealthy.readiness);
  return {
    summary: `Give ${describeWorkload(w)} a listen backlog or capacity that keeps up with its connections`,
    steps: [
      `See the queue inside the pod: on ${first.node}, \`nsenter -t <pid of a process of ${first.pod}> -n ss -ltn\` (Recv-Q reaching Send-Q is the listener${ports.length ? `; suspect port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}` : ''}) and \`nsenter -t <pid> -n nstat -az TcpExtListenOverflows\`.`,
      APP_FIRST,
      podSysctls(first.node),
      ...(probed ? ['The probes fail because their connections wait in (or are dropped from) the same full queue as the clients\': raise the backlog or capacity rather than the probe timeouts, ' +
        'or a liveness failure restarts the pod under load and makes it worse.'] : []),
      SCALE_OUT,
    ],
  };
}

export const rules = {
  listenOverflowNow: {
    description: 'Accept or SYN queues overflowed, or SYNs were answered with cookies, between the two samples.',
    message: (d: NodeOverflow): Wording => {
      const parts = overflowParts(d.overflow);
      return {
        message: `${d.node}, in the ${fmt(d.interval)} s between two samples: ${parts.join('; ')}. ${SCOPE}`,
        expected: 'no listen-queue overflows or drops between the two samples',
        actual: parts.join('; '),
        remediation: remedy(d.remedy),
      };
    },
  },
  listenOverflowSinceBoot: {
    description: 'Listen-queue overflows counted since boot, none while sampling.',
    message: (d: NodeTotals): Wording => {
      const why = d.resets.length ? `the counters were reset between the samples (${d.resets.join(', ')})`
        : d.interval > 0 ? `none during the ${fmt(d.interval)} s sample` : 'one sample only (run with --sample-interval > 0 for the current rate)';
      return {
        message: `${d.node}: since boot ${d.totals.map(([k, v]) => `${k} ${v}`).join(', ')}; ${why}. ${SCOPE}`,
        expected: 'no listen-queue overflows', actual: `historical only: ${d.totals.map(([k, v]) => `${k}=${v}`).join(', ')}`,
        remediation: remedy(d.remedy),
      };
    },
  },
  otherListenDrops: {
    description: 'SYNs to listening sockets dropped for reasons other than a full queue.',
    message: (d: { node: string; other: number; interval: number }): Wording => ({
      message: `${d.node}: ${d.other} SYNs to listening sockets were dropped in ${fmt(d.interval)} s without an accept-queue overflow — ` +
        'memory pressure, routing or other drop reasons rather than a backlog that is too small.',
      expected: 'ListenDrops rise only with ListenOverflows', actual: `${d.other} other drops`,
      remediation: { summary: `Look for memory pressure and routing problems on ${d.node}`, steps: [
        `On ${d.node}: \`nstat -asz TcpExtListenDrops TcpExtListenOverflows TcpExtTCPReqQFullDrop\` and \`cat /proc/net/sockstat\` (TCP mem).`,
        'Check `ip route get <client address>` from the node: a SYN whose reply cannot be routed is dropped and counted here.',
      ] },
    }),
  },
  syncookiesOff: {
    description: 'net.ipv4.tcp_syncookies is 0: a full SYN queue drops connections.',
    message: (d: { node: string }): Wording => ({
      message: `${d.node}: net.ipv4.tcp_syncookies is 0 — when a listener's SYN queue fills, new connections are dropped instead of answered with a cookie.`,
      expected: 'net.ipv4.tcp_syncookies = 1', actual: 'net.ipv4.tcp_syncookies = 0',
      remediation: { summary: `Turn SYN cookies back on on ${d.node}`, steps: [
        `On ${d.node}: \`echo 'net.ipv4.tcp_syncookies = 1' > /etc/sysctl.d/99-k8s-net.conf && sysctl --system\` (merge with any file you already have).`,
        'For pods (their own namespace, default 1): `securityContext.sysctls: [{name: net.ipv4.tcp_syncookies, value: "1"}]` — a safe sysctl, allowed by every kubelet.',
      ] },
    }),
  },
  acceptQueueNearlyFull: {
    description: 'A listener\'s accept queue stayed at least 80 % full at every sample.',
    message: (d: { node: string; full: Listener[]; remedy: RemedyData }): Wording => ({
      message: `${d.node}: accept queue ≥ ${QUEUE_NEARLY_FULL * 100} % full on ${d.full.map(listenerName).join(', ')} ` +
        `(${d.full.map((l) => `${l.recvQ}/${l.sendQ}`).join(', ')}) at every sample — the application is not calling accept() fast enough. ${SCOPE}`,
      expected: `Recv-Q below ${QUEUE_NEARLY_FULL * 100} % of Send-Q`, actual: d.full.map((l) => `${listenerName(l)} Recv-Q ${l.recvQ} of ${l.sendQ}`).join(', '),
      remediation: remedy(d.remedy),
    }),
  },
  synFloodLogged: {
    description: 'The kernel logged "Possible SYN flooding" within the last hour.',
    message: (d: { node: string; ports: string[]; action: string; first: string; remedy: RemedyData }): Wording => ({
      message: `${d.node}: the kernel logged "Possible SYN flooding" on port ${d.ports.join(', ')} within the last hour ` +
        `(${d.action.toLowerCase()}); the SYN queue of that listener filled up. The message is printed once per listening socket, so one line can stand for many drops.`,
      expected: 'no SYN flood messages', actual: d.first,
      remediation: remedy(d.remedy),
    }),
  },
  podListenOverflowNow: {
    description: 'A pod\'s own network namespace counted accept or SYN queue overflows between the two samples (read on its node, mapped to the pod by its cgroup).',
    message: (d: WorkloadOverflow): Wording => {
      const now = d.pods.filter((p) => p.overflow);
      return {
        message: `${describeWorkload(d.workload)}: listen queues overflow inside its pods — ${now.map(podPart).join('; ')}` +
          (d.pods.length > now.length ? ` (and ${d.pods.length - now.length} more pod${d.pods.length - now.length > 1 ? 's' : ''} with overflows since they started)` : '') +
          '. These are the pod network namespace\'s own counters, invisible to `ss` and /proc/net/netstat on the host.',
        expected: 'no listen-queue overflows in the pods\' network namespaces',
        actual: now.map((p) => `${p.pod}: ${overflowParts(p.overflow!).join('; ')}`).join(' | '),
        remediation: podRemedy(d),
      };
    },
  },
  podListenOverflowSinceStart: {
    description: 'A pod\'s network namespace counted listen-queue overflows since the pod started, none while sampling.',
    message: (d: WorkloadOverflow): Wording => ({
      message: `${describeWorkload(d.workload)}: ${d.pods.map(podPart).join('; ')}. The queue overflowed earlier in the pods' life (a load peak, a slow start), not now.`,
      expected: 'no listen-queue overflows in the pods\' network namespaces',
      actual: d.pods.map((p) => `${p.pod}: ${p.sinceStart.map(([k, v]) => `${k}=${v}`).join(', ')}`).join(' | '),
      remediation: podRemedy(d),
    }),
  },
};
