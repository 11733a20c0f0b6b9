// Upstream: Linux net/ipv4/tcp_input.c tcp_conn_request()/tcp_syn_flood_action(), Documentation/networking/snmp_counter.rst; check-facts §1.
import { defineCheck, optional, type CheckContext, type FindingInput, type NodeProbeResults, type Severity } from '../../src/check.js';
import { counterChange, type CounterChange } from '../../src/node/parsers/counters.js';
import { inWindow, synFloodLine, type SynFloodLine } from '../../src/node/parsers/kernel-log.js';
import { KERNEL_LOG_WINDOW_SECONDS, type KernelLog } from '../../src/node/probes/kernelLog.js';
import type { Listener, Listeners } from '../../src/node/probes/listeners.js';
import type { Netstat } from '../../src/node/probes/netstat.js';
import type { Sysctls } from '../../src/node/probes/sysctls.js';

/** Every overflow is a client retry (≥ 1 s SYN RTO) or a failed connect (check-facts §1.3). */
const CRITICAL_PER_SECOND = 1;
const CRITICAL_SHARE_OF_NEW_CONNECTIONS = 0.01;
const QUEUE_NEARLY_FULL = 0.8;
const SMALL_BACKLOG = 128;

const SCOPE = 'These are the host network namespace\'s counters (kubelet, kube-proxy, hostNetwork pods, node daemons); ' +
  'pods have their own per-namespace counters and their own somaxconn (kernel default 4096 on Linux ≥ 5.4, 128 before) — the host value is not theirs.';

export default defineCheck({
  id: 'syn-backlog',
  title: 'TCP listen queues on the nodes do not overflow',
  severity: 'critical',
  description: 'Samples the TCP listen-queue counters (ListenOverflows, ListenDrops, TCPReqQFullDrop, TCPReqQFullDoCookies) on each node twice, ' +
    '--sample-interval apart, and reports connections being dropped or answered with SYN cookies now; also listeners whose accept queue is ' +
    'nearly full, tcp_syncookies=0, and "Possible SYN flooding" kernel messages from the last hour.',
  rules: {
    listenOverflowNow: { description: 'Accept or SYN queues overflowed, or SYNs were answered with cookies, between the two samples.' },
    listenOverflowSinceBoot: { description: 'Listen-queue overflows counted since boot, none while sampling.' },
    otherListenDrops: { description: 'SYNs to listening sockets dropped for reasons other than a full queue.' },
    syncookiesOff: { description: 'net.ipv4.tcp_syncookies is 0: a full SYN queue drops connections.' },
    acceptQueueNearlyFull: { description: 'A listener\'s accept queue stayed at least 80 % full at every sample.' },
    synFloodLogged: { description: 'The kernel logged "Possible SYN flooding" within the last hour.' },
  },
  needs: { api: ['Node'], probes: ['netstat', ...optional('sysctls', 'listeners', 'kernelLog')] },
  create(ctx) {
    return {
      NodeProbes(results) {
        const p = results.probes;
        evaluateNode(ctx, results.node, {
          netstat: p.netstat?.ok ? p.netstat.value : undefined,
          sysctls: p.sysctls?.ok ? p.sysctls.value : undefined,
          listeners: p.listeners?.ok ? p.listeners.value : undefined,
          kernelLog: p.kernelLog?.ok ? p.kernelLog.value : undefined,
        });
      },
    };
  },
});

interface NodeData {
  netstat?: Netstat;
  sysctls?: Sysctls;
  listeners?: Listeners;
  kernelLog?: KernelLog;
}

type Counters = Partial<Record<'ListenOverflows' | 'ListenDrops' | 'TCPReqQFullDrop' | 'TCPReqQFullDoCookies' | 'SyncookiesSent' | 'PassiveOpens', CounterChange>>;

function evaluateNode(ctx: CheckContext, node: string, d: NodeData): void {
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
  const remediation = remedy(node, d.sysctls, floods, full.length ? full : (ctxEvidence.smallBacklogListeners ?? []));

  const now = counters && interval > 0 ? currentOverflow(counters, interval, syncookies) : undefined;
  if (now && counters) {
    ctx.report({
      rule: 'listenOverflowNow',
      severity: now.severity,
      target: { kind: 'Node', name: node },
      message: `${node}, in the ${fmt(interval)} s between two samples: ${now.parts.join('; ')}. ${SCOPE}`,
      evidence: { intervalSeconds: interval, counters: counterEvidence(counters), ...now.extra, ...ctxEvidence },
      expected: 'no listen-queue overflows or drops between the two samples',
      actual: now.parts.join('; '),
      remediation,
    });
  } else if (counters) {
    const totals = (['ListenOverflows', 'TCPReqQFullDrop', 'TCPReqQFullDoCookies'] as const).filter((k) => (counters[k]?.total ?? 0) > 0);
    const resets = Object.entries(counters).filter(([, c]) => c?.reset).map(([k]) => k);
    if (totals.length) {
      const why = resets.length ? `the counters were reset between the samples (${resets.join(', ')})`
        : interval > 0 ? `none during the ${fmt(interval)} s sample` : 'one sample only (run with --sample-interval > 0 for the current rate)';
      ctx.report({
        rule: 'listenOverflowSinceBoot',
        severity: 'info',
        target: { kind: 'Node', name: node },
        message: `${node}: since boot ${totals.map((k) => `${k} ${counters[k]!.total}`).join(', ')}; ${why}. ${SCOPE}`,
        evidence: { intervalSeconds: interval, counters: counterEvidence(counters), ...ctxEvidence },
        expected: 'no listen-queue overflows', actual: `historical only: ${totals.map((k) => `${k}=${counters[k]!.total}`).join(', ')}`,
        remediation,
      });
    }
    const other = otherDrops(counters);
    if (other > 0) {
      ctx.report({
        rule: 'otherListenDrops',
        severity: 'info',
        target: { kind: 'Node', name: node },
        message: `${node}: ${other} SYNs to listening sockets were dropped in ${fmt(interval)} s without an accept-queue overflow — ` +
          'memory pressure, routing or other drop reasons rather than a backlog that is too small.',
        evidence: { intervalSeconds: interval, counters: counterEvidence(counters) },
        expected: 'ListenDrops rise only with ListenOverflows', actual: `${other} other drops`,
        remediation: { summary: `Look for memory pressure and routing problems on ${node}`, steps: [
          `On ${node}: \`nstat -asz TcpExtListenDrops TcpExtListenOverflows TcpExtTCPReqQFullDrop\` and \`cat /proc/net/sockstat\` (TCP mem).`,
          'Check `ip route get <client address>` from the node: a SYN whose reply cannot be routed is dropped and counted here.',
        ] },
      });
    }
  }

  if (syncookies === 0) {
    ctx.report({
      rule: 'syncookiesOff',
      severity: 'warning',
      target: { kind: 'Node', name: node },
      message: `${node}: net.ipv4.tcp_syncookies is 0 — when a listener's SYN queue fills, new connections are dropped instead of answered with a cookie.`,
      evidence: { sysctls: ctxEvidence.sysctls },
      expected: 'net.ipv4.tcp_syncookies = 1', actual: 'net.ipv4.tcp_syncookies = 0',
      remediation: { summary: `Turn SYN cookies back on on ${node}`, steps: [
        `On ${node}: \`echo 'net.ipv4.tcp_syncookies = 1' > /etc/sysctl.d/99-k8s-net.conf && sysctl --system\` (merge with any file you already have).`,
        'For pods (their own namespace, default 1): `securityContext.sysctls: [{name: net.ipv4.tcp_syncookies, value: "1"}]` — a safe sysctl, allowed by every kubelet.',
      ] },
    });
  }

  if (full.length && !now) {
    ctx.report({
      rule: 'acceptQueueNearlyFull',
      severity: 'warning',
      target: { kind: 'Node', name: node },
      message: `${node}: accept queue ≥ ${QUEUE_NEARLY_FULL * 100} % full on ${full.map(listenerName).join(', ')} ` +
        `(${full.map((l) => `${l.recvQ}/${l.sendQ}`).join(', ')}) at every sample — the application is not calling accept() fast enough. ${SCOPE}`,
      evidence: { listeners: full, sysctls: ctxEvidence.sysctls },
      expected: `Recv-Q below ${QUEUE_NEARLY_FULL * 100} % of Send-Q`, actual: full.map((l) => `${listenerName(l)} Recv-Q ${l.recvQ} of ${l.sendQ}`).join(', '),
      remediation,
    });
  }

  if (floods.length && !now) {
    const ports = [...new Set(floods.map((f) => (f.address ? `${f.address}:${f.port}` : String(f.port))))];
    ctx.report({
      rule: 'synFloodLogged',
      severity: 'warning',
      target: { kind: 'Node', name: node },
      message: `${node}: the kernel logged "Possible SYN flooding" on port ${ports.join(', ')} within the last hour ` +
        `(${floods[0]!.action.toLowerCase()}); the SYN queue of that listener filled up. The message is printed once per listening socket, so one line can stand for many drops.`,
      evidence: { kernelLog: ctxEvidence.kernelLog, kernelLogSource: d.kernelLog?.source, counters: counters ? counterEvidence(counters) : undefined },
      expected: 'no SYN flood messages', actual: floods[0]!.text,
      remediation,
    });
  }
}

function changes(n: Netstat): Counters {
  const first = n.samples[0]!;
  const last = n.samples.at(-1)!;
  const c = (group: string, name: keyof Counters) => counterChange(first[group]?.[name], last[group]?.[name], n.samples.length, n.intervalSeconds);
  return {
    ListenOverflows: c('TcpExt', 'ListenOverflows'), ListenDrops: c('TcpExt', 'ListenDrops'),
    TCPReqQFullDrop: c('TcpExt', 'TCPReqQFullDrop'), TCPReqQFullDoCookies: c('TcpExt', 'TCPReqQFullDoCookies'),
    SyncookiesSent: c('TcpExt', 'SyncookiesSent'), PassiveOpens: c('Tcp', 'PassiveOpens'),
  };
}

function currentOverflow(c: Counters, interval: number, syncookies: number | undefined):
  { severity: Severity; parts: string[]; extra: Record<string, unknown> } | undefined {
  const parts: string[] = [];
  let severity: Severity | undefined;
  const raise = (s: Severity) => { if (severity !== 'critical') severity = s; };
  const extra: Record<string, unknown> = {};

  const dropped = c.TCPReqQFullDrop?.delta ?? 0;
  if (dropped > 0) {
    raise('critical');
    parts.push(`${dropped} SYNs dropped because a SYN queue was full and SYN cookies are off (TCPReqQFullDrop, ${rate(c.TCPReqQFullDrop!)})`);
  }
  const overflows = c.ListenOverflows?.delta ?? 0;
  if (overflows > 0) {
    const opens = c.PassiveOpens?.delta;
    const share = opens ? overflows / opens : undefined;
    if (share !== undefined) extra.overflowShareOfNewConnections = round(share, 4);
    const critical = (c.ListenOverflows!.perSecond ?? 0) > CRITICAL_PER_SECOND || (share ?? 0) > CRITICAL_SHARE_OF_NEW_CONNECTIONS;
    raise(critical ? 'critical' : 'warning');
    const against = share === undefined ? '' : share >= 1 ? `, more than the ${opens} connections accepted` : `, ${round(share * 100, 1)} % of ${opens} new connections`;
    parts.push(`an accept queue overflowed ${overflows} times (ListenOverflows, ${rate(c.ListenOverflows!)}${against}), each a SYN dropped and retried by the client after ≥ 1 s`);
  }
  // With tcp_syncookies=2 every SYN is answered with a cookie and counted, full queue or not.
  if (syncookies !== 2) {
    const cookies = c.TCPReqQFullDoCookies ?? c.SyncookiesSent;
    if ((cookies?.delta ?? 0) > 0) {
      raise('warning');
      parts.push(`${cookies!.delta} SYNs answered with cookies because a SYN queue was full (${c.TCPReqQFullDoCookies ? 'TCPReqQFullDoCookies' : 'SyncookiesSent'}, ${rate(cookies!)}); cookies drop TCP options such as window scaling`);
    }
  } else {
    extra.cookieCountersIgnored = 'net.ipv4.tcp_syncookies=2 sends cookies for every SYN';
  }
  return severity ? { severity, parts, extra } : undefined;
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

function remedy(node: string, sys: Sysctls | undefined, floods: SynFloodLine[], suspects: Listener[]): FindingInput['remediation'] {
  const somaxconn = sys?.values['net.core.somaxconn'];
  const synBacklog = sys?.values['net.ipv4.tcp_max_syn_backlog'];
  const ports = [...new Set([...suspects.map((l) => l.port), ...floods.map((f) => f.port)])];
  const hostSomaxconn = Math.max(somaxconn ?? 0, 4096);
  const hostSynBacklog = Math.max(synBacklog ?? 0, 8192);
  return {
    summary: `Find the listener that cannot keep up on ${node} and give it a bigger backlog or more capacity`,
    steps: [
      `On ${node}: \`ss -ltn\` — a LISTEN row whose Recv-Q reaches Send-Q is the one${ports.length ? ` (suspect port${ports.length > 1 ? 's' : ''} ${ports.join(', ')})` : ''}; ` +
        'for pod listeners read the pod\'s own counters with `nsenter -t <pid> -n ss -ltn` and `cat /proc/<pid>/net/netstat`.',
      'Application first: raise its listen() backlog (nginx `listen … backlog=4096`, Tomcat `acceptCount`, Java ServerSocket backlog; Go uses somaxconn) and fix slow accept loops; the queue is min(backlog, somaxconn).',
      'Pods: set `securityContext.sysctls` in the pod spec — net.core.somaxconn and net.ipv4.tcp_max_syn_backlog are unsafe sysctls, so the kubelet on ' +
        `${node} must allow them (\`--allowed-unsafe-sysctls=net.core.somaxconn,net.ipv4.tcp_max_syn_backlog\`), else the pod is rejected with SysctlForbidden; net.ipv4.tcp_syncookies is safe.`,
      `Host listeners (hostNetwork pods, kubelet, ingress on the host network): /etc/sysctl.d/99-k8s-net.conf with net.core.somaxconn = ${hostSomaxconn} and ` +
        `net.ipv4.tcp_max_syn_backlog = ${hostSynBacklog}${somaxconn !== undefined ? ` (now ${somaxconn} and ${synBacklog ?? '?'})` : ''}, keep net.ipv4.tcp_syncookies = 1, then \`sysctl --system\`. This does not change pods.`,
      'Scale out the workload or put a connection-pooling proxy in front of it; if the SYNs are a scan or health-check storm, rate-limit them upstream.',
    ],
  };
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

const listenerName = (l: Listener) => (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`);
const rate = (c: CounterChange) => `${round(c.perSecond ?? 0, 2)}/s`;
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => String(round(n, 1));
