// Upstream: kubernetes/website concepts/architecture/nodes.md (heartbeats, Leases); kubernetes PRs #95981,
// #96778, #108107, #126287, issues #87615, #121793; Linux tcp_timer.c (tcp_retries2); check-facts §13, §14.
import type { CoreV1Event, V1Lease, V1Node } from '@kubernetes/client-node';
import { defineCheck, optional, type CheckContext, type FindingInput } from '../../src/check.js';
import { eventCount, eventLastSeen, evidenceTime } from '../../src/kube/events.js';
import { toMillis } from '../../src/kube/resources.js';
import type { KubeletConn } from '../../src/node/probes/kubeletConn.js';
import { causesOf, http2PingSupport, isStuck, retransmitGiveUpSeconds } from './causes.js';

const DEFAULT_LEASE_SECONDS = 40;
const HOUR = 3_600_000;
/** Nodes that went NotReady within this long of each other went down together. */
const TOGETHER_MS = 3 * 60_000;
/** A renewTime further ahead of the API server's clock than this means the node's clock is ahead. */
const FUTURE_TOLERANCE_MS = 5_000;

interface NodeInfo {
  name: string;
  cordoned: boolean;
  ready?: { status: string; reason?: string; message?: string; since?: number };
  kubeletVersion?: string;
  lease?: { renewMs?: number; durationSeconds: number; holder?: string };
  notReadyEvents: number;
  lastNotReadyEvent?: number;
  conn?: KubeletConn;
}

export default defineCheck({
  id: 'node-heartbeat',
  title: 'Every kubelet renews its Lease and stays Ready',
  severity: 'critical',
  description:
    'Judges each node\'s Lease in kube-node-lease by the age of spec.renewTime against the API server\'s clock (not this ' +
    'machine\'s), its Ready condition and NodeNotReady events of the last hour (flapping), and tells many nodes NotReady ' +
    'together (a shared cause: the path to the API server) from one node alone. Over SSH it reads the kubelet\'s TCP ' +
    'connections (Send-Q, retransmit timer), net.ipv4.tcp_retries2, the HTTP/2 health-check switches in the kubelet\'s ' +
    'environment (DISABLE_HTTP2, HTTP2_READ_IDLE_TIMEOUT_SECONDS, HTTP2_PING_TIMEOUT_SECONDS only) and "http2: client ' +
    'connection lost" kubelet journal lines, and names which of them is the cause.',
  settings: {
    flappingEvents: { type: 'number', default: 3, min: 1, description: 'NodeNotReady occurrences within the last hour that count as flapping.' },
    togetherNodes: { type: 'number', default: 3, min: 2, description: 'This many nodes NotReady at once (and at least half the nodes, or within 3 minutes of each other) is one shared cause.' },
  },
  rules: {
    leaseStale: { description: 'A node\'s Lease has not been renewed for longer than the node-monitor grace period.' },
    leaseLate: { description: 'A node\'s Lease renewal is late, but not yet stale.' },
    notReady: { description: 'A node is NotReady.' },
    manyNodesNotReady: { description: 'Many nodes went NotReady together: a shared cause (the API server or its load balancer).' },
    readyFlapping: { description: 'A node flapped between Ready and NotReady within the window.' },
    noLease: { description: 'A node has no Lease in kube-node-lease.' },
    kubeletWithoutHttp2Ping: { description: 'The kubelet\'s HTTP/2 health pings are off or too slow to notice a dead API connection.' },
    deadApiConnection: { description: 'The kubelet\'s connection to the API server has unsent data and a running retransmit timer.' },
    connectionLostLogged: { description: 'The kubelet\'s journal shows lost or closed API connections.' },
  },
  needs: {
    api: ['Node', { kind: 'Lease', optional: true }, { kind: 'Event', optional: true, allNamespaces: true, fieldSelector: 'involvedObject.kind=Node' }],
    probes: optional('kubeletConn'),
  },
  create(ctx) {
    const nodes = new Map<string, NodeInfo>();
    let leasesSeen = 0;
    return {
      Node(n: V1Node) {
        const name = n.metadata?.name;
        if (!name) return;
        const c = n.status?.conditions?.find((x) => x.type === 'Ready');
        nodes.set(name, {
          name, cordoned: n.spec?.unschedulable === true, kubeletVersion: n.status?.nodeInfo?.kubeletVersion, notReadyEvents: 0,
          ready: c ? { status: c.status, reason: c.reason, message: c.message, since: toMillis(c.lastTransitionTime) } : undefined,
        });
      },
      Event(e: CoreV1Event) {
        if (e.involvedObject?.kind !== 'Node' || e.reason !== 'NodeNotReady') return;
        const n = nodes.get(e.involvedObject.name ?? '');
        const last = eventLastSeen(e);
        if (!n || last === undefined || ctx.now.getTime() - last > HOUR) return;
        n.notReadyEvents += eventCount(e);
        n.lastNotReadyEvent = Math.max(n.lastNotReadyEvent ?? 0, last);
      },
      Lease(l: V1Lease) {
        if (l.metadata?.namespace !== 'kube-node-lease') return;
        leasesSeen++;
        const n = nodes.get(l.metadata.name ?? '');
        if (n) n.lease = { renewMs: toMillis(l.spec?.renewTime), durationSeconds: l.spec?.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS, holder: l.spec?.holderIdentity };
      },
      NodeProbes(results) {
        const n = nodes.get(results.node);
        const p = results.probes.kubeletConn;
        if (n && p?.ok) n.conn = p.value;
      },
      finish() { evaluate(ctx, [...nodes.values()], leasesSeen > 0); },
    };
  },
});

interface Judged extends NodeInfo {
  /** Seconds since the last renewal by the API server's clock (0 when renewTime is ahead of it). */
  leaseAge?: number;
  clockAheadSeconds?: number;
  down: boolean;
  stuck: boolean;
}

function judge(ctx: CheckContext, n: NodeInfo): Judged {
  let leaseAge: number | undefined;
  let clockAheadSeconds: number | undefined;
  if (n.lease?.renewMs !== undefined) {
    const d = ctx.now.getTime() - n.lease.renewMs;
    if (d < -FUTURE_TOLERANCE_MS) clockAheadSeconds = Math.round(-d / 1000);
    leaseAge = Math.max(0, Math.round(d / 100) / 10);
  }
  const stale = leaseAge !== undefined && leaseAge > n.lease!.durationSeconds;
  const down = stale || (n.ready !== undefined && n.ready.status !== 'True');
  const stuck = (n.conn?.connections ?? []).some(isStuck);
  return { ...n, leaseAge, clockAheadSeconds, down, stuck };
}

function evaluate(ctx: CheckContext, all: NodeInfo[], leasesListed: boolean): void {
  const judged = all.map((n) => judge(ctx, n));
  const flapAt = Number(ctx.options.flappingEvents);
  const togetherAt = Number(ctx.options.togetherNodes);

  // Cordoned nodes going NotReady are most likely being upgraded: they do not make a fleet outage.
  const down = judged.filter((n) => n.down && !n.cordoned);
  const together = down.length >= togetherAt && (down.length * 2 >= judged.filter((n) => !n.cordoned).length || wentDownTogether(down));
  if (together) reportTogether(ctx, down, judged.length);
  const inGroup = new Set(together ? down.map((n) => n.name) : []);

  for (const n of judged) {
    const conn = connEvidence(n);
    if (!inGroup.has(n.name)) reportNode(ctx, n, leasesListed, conn);
    if (n.stuck) reportStuck(ctx, n, conn, inGroup.has(n.name));
    const flapping = n.notReadyEvents >= flapAt && !n.down;
    if (!n.stuck && !flapping && !n.down && (n.conn?.journal?.length ?? 0) > 0) {
      ctx.report({
        rule: 'connectionLostLogged', severity: 'info', target: { kind: 'Node', name: n.name },
        message: `${n.name}: the kubelet logged ${n.conn!.journal!.length} lost or closed API server connection${n.conn!.journal!.length === 1 ? '' : 's'} within the last hour; it recovered (Lease fresh, Ready).`,
        evidence: { ...conn, journal: n.conn!.journal },
        remediation: { summary: 'Watch for repeats', steps: causesOf({ kubeletVersion: n.kubeletVersion, conn: n.conn, stuck: false }) },
      });
    }
    if (flapping) {
      const causes = causesOf({ kubeletVersion: n.kubeletVersion, conn: n.conn, stuck: false });
      const lost = n.conn?.journal?.length ?? 0;
      ctx.report({
        rule: 'readyFlapping', severity: 'warning', target: { kind: 'Node', name: n.name },
        message: `${n.name} went NotReady ${n.notReadyEvents} times within the last hour (NodeNotReady events) and is Ready again: heartbeats arrive late now and then — ` +
          'a kubelet connection that dies and is re-established, API server overload, or a grace period shorter than the HTTP/2 health check (40 s before 1.32 vs 30 + 15 s).' +
          (lost ? ` The kubelet logged ${lost} lost or closed API server connection${lost === 1 ? '' : 's'} in the same hour.` : '') +
          (causes.length ? ` On this node: ${causes[0]}` : ''),
        evidence: { notReadyEvents: n.notReadyEvents, lastNotReady: n.lastNotReadyEvent ? evidenceTime(n.lastNotReadyEvent) : undefined, leaseAgeSeconds: n.leaseAge, ...conn },
        expected: `fewer than ${flapAt} NodeNotReady per hour`, actual: `${n.notReadyEvents} in the last hour`,
        remediation: { summary: `Find why ${n.name}'s heartbeats are late`, steps: [
          `\`kubectl get events -A --field-selector involvedObject.name=${n.name},reason=NodeNotReady\`; on the node: \`journalctl -u kubelet --since=-1h | grep -E 'http2|lease|node status'\`.`,
          ...causes,
          'On clusters before 1.32, kube-controller-manager --node-monitor-grace-period=50s gives the HTTP/2 health check (up to 45 s) time to reconnect (kubernetes#126287).',
        ] },
      });
    }
    const support = http2PingSupport(n.kubeletVersion);
    if ((support === 'no' || support === 'backport') && !n.stuck) {
      ctx.report({
        rule: 'kubeletWithoutHttp2Ping', severity: 'warning', target: { kind: 'Node', name: n.name },
        message: `${n.name}: kubelet ${n.kubeletVersion} ${support === 'no' ? 'has no' : 'may lack the'} HTTP/2 health check (client-go 1.20, kubernetes#95981): ` +
          'when its connection to the API server dies silently (an LB drops it), it keeps writing into it until the kernel gives up — about 15 minutes with tcp_retries2=15 — and the node goes NotReady meanwhile.',
        evidence: { kubeletVersion: n.kubeletVersion, ...conn },
        expected: 'kubelet ≥ 1.20', actual: n.kubeletVersion,
        remediation: { summary: `Upgrade the kubelet on ${n.name}`, steps: causesOf({ kubeletVersion: n.kubeletVersion, conn: n.conn, stuck: true }) },
      });
    }
  }
}

function wentDownTogether(down: Judged[]): boolean {
  const times = down.map((n) => n.ready?.status !== 'True' ? n.ready?.since : undefined).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  for (let i = 0; i + 2 < times.length; i++) if (times[i + 2]! - times[i]! <= TOGETHER_MS) return true;
  return false;
}

function reportTogether(ctx: CheckContext, down: Judged[], total: number): void {
  const names = down.map((n) => n.name);
  const stuck = down.filter((n) => n.stuck).map((n) => n.name);
  const since = down.map((n) => n.ready?.since).filter((t): t is number => t !== undefined);
  ctx.report({
    rule: 'manyNodesNotReady', severity: 'critical', target: { kind: 'Cluster', name: 'cluster' },
    message: `${down.length} of ${total} nodes are NotReady or have stopped renewing their Lease at once (${names.join(', ')}): that is one shared cause, ` +
      'not ' + down.length + ' broken nodes — the path from the kubelets to the API server (load balancer, its idle timeout or a dead backend in rotation, DNS of the API endpoint) or the API server itself.' +
      (stuck.length ? ` On ${stuck.join(', ')} the kubelet's connection to the API server is stuck with unacknowledged data.` : ''),
    evidence: {
      nodes: down.map((n) => ({ node: n.name, ready: n.ready?.status, reason: n.ready?.reason, leaseAgeSeconds: n.leaseAge, since: n.ready?.since ? evidenceTime(n.ready.since) : undefined })),
      firstWentDown: since.length ? evidenceTime(Math.min(...since)) : undefined, stuckConnections: stuck.length ? stuck : undefined,
    },
    expected: 'nodes fail one at a time, if at all', actual: `${down.length} of ${total} down together`,
    remediation: { summary: 'Fix the shared path to the API server, not the nodes', steps: [
      'Check the API server endpoint the kubelets use (server: in /etc/kubernetes/kubelet.conf): load balancer health, backends in rotation, idle timeout (must exceed the kubelet\'s 30 s HTTP/2 ping interval), recent LB changes.',
      '`kubectl get --raw /readyz?verbose` and API server logs for the moment they went down (firstWentDown in the evidence).',
      'Do not reboot the nodes one by one: their workloads are likely fine; pods are evicted from NotReady nodes after 5 minutes (tolerationSeconds 300), so the shared cause must be fixed fast.',
      ...(stuck.length ? causesOf({ kubeletVersion: down.find((n) => n.stuck)?.kubeletVersion, conn: down.find((n) => n.stuck)?.conn, stuck: true }) : []),
    ] },
  });
}

function reportNode(ctx: CheckContext, n: Judged, leasesListed: boolean, conn: Record<string, unknown>): void {
  const target = { kind: 'Node', name: n.name };
  const ready = n.ready ? `Ready=${n.ready.status}${n.ready.reason ? ` (${n.ready.reason})` : ''}` : 'no Ready condition';
  const skew = n.clockAheadSeconds ? ` Its Lease renewTime is ${n.clockAheadSeconds} s ahead of the API server's clock: the node's clock is ahead (NTP); ages from it are not trusted.` : '';
  const cordon = n.cordoned ? ' The node is cordoned — if it is being upgraded or drained, this is expected.' : '';
  const causes = causesOf({ kubeletVersion: n.kubeletVersion, conn: n.conn, stuck: n.stuck });
  const steps = (first: string): string[] => [first, ...causes];
  if (n.lease && n.leaseAge !== undefined && n.leaseAge > n.lease.durationSeconds) {
    ctx.report({
      rule: 'leaseStale', severity: n.cordoned ? 'info' : 'critical', target,
      message: `${n.name}: the kubelet last renewed its Lease ${n.leaseAge} s ago by the API server's clock (lease duration ${n.lease.durationSeconds} s; it renews every ~${Math.round(n.lease.durationSeconds / 4)} s); ${ready}.` +
        (n.ready?.status === 'True' ? ' The node still shows Ready: the node lifecycle controller has not reacted yet, or kube-controller-manager is down.' : '') + cordon + skew,
      evidence: { leaseAgeSeconds: n.leaseAge, leaseDurationSeconds: n.lease.durationSeconds, renewTime: n.lease.renewMs ? evidenceTime(n.lease.renewMs) : undefined, apiServerNow: evidenceTime(ctx.now.getTime()), ready: n.ready, ...conn },
      expected: `renewed within ${n.lease.durationSeconds} s`, actual: `${n.leaseAge} s ago`,
      remediation: { summary: `Find why the kubelet on ${n.name} stopped reaching the API server`, steps: steps(
        `On ${n.name}: \`systemctl status kubelet\`, \`journalctl -u kubelet --since=-15m | grep -E 'lease|http2|node status'\`, \`ss -tnpoi | grep kubelet\` (a Send-Q that only grows is a dead connection); check memory/PID pressure and the node's reachability.`) },
    });
  } else if (n.lease && n.leaseAge !== undefined && n.leaseAge > n.lease.durationSeconds / 2 && !n.down) {
    ctx.report({
      rule: 'leaseLate', severity: 'warning', target,
      message: `${n.name}: the Lease was last renewed ${n.leaseAge} s ago (duration ${n.lease.durationSeconds} s): the kubelet has missed at least two renewals; the node goes NotReady when the grace period runs out.${skew}`,
      evidence: { leaseAgeSeconds: n.leaseAge, leaseDurationSeconds: n.lease.durationSeconds, apiServerNow: evidenceTime(ctx.now.getTime()), ...conn },
      expected: `renewed within ${n.lease.durationSeconds / 2} s`, actual: `${n.leaseAge} s ago`,
      remediation: { summary: `Check the kubelet on ${n.name} and its connection to the API server`, steps: steps(`On ${n.name}: \`journalctl -u kubelet --since=-15m | grep -E 'lease|http2'\`.`) },
    });
  } else if (n.ready && n.ready.status !== 'True') {
    const leaseFresh = n.leaseAge !== undefined;
    ctx.report({
      rule: 'notReady', severity: n.cordoned ? 'info' : 'critical', target,
      message: `${n.name} is ${ready}${n.ready.since ? ` since ${evidenceTime(n.ready.since)}` : ''}` +
        (leaseFresh ? ` while its Lease is fresh (${n.leaseAge} s): the kubelet is alive and reports a problem of its own — "${n.ready.message ?? ''}".` : '.') + cordon + skew,
      evidence: { ready: n.ready, leaseAgeSeconds: n.leaseAge, ...conn },
      expected: 'Ready=True', actual: ready,
      remediation: { summary: leaseFresh ? `Fix what the kubelet on ${n.name} reports (container runtime, network plugin, PLEG)` : `Find why ${n.name} is not Ready`, steps: steps(
        leaseFresh ? `\`kubectl describe node ${n.name}\` (the Ready message names the failing part: runtime, CNI, PLEG); on the node: \`journalctl -u kubelet -u containerd --since=-15m\`.`
          : `On ${n.name}: \`systemctl status kubelet\`, \`journalctl -u kubelet --since=-15m\`.`) },
    });
  } else if (leasesListed && !n.lease) {
    ctx.report({
      rule: 'noLease', severity: 'warning', target,
      message: `${n.name} has no Lease in kube-node-lease while other nodes do: its kubelet heartbeats only through full node status updates (heavier on the API server and etcd), or it has been deleted and recreated under the same name.`,
      evidence: { kubeletVersion: n.kubeletVersion, ...conn },
      expected: `Lease kube-node-lease/${n.name}`, actual: 'none',
      remediation: { summary: `Let the kubelet on ${n.name} create its Lease`, steps: [`Check the kubelet's RBAC (system:node may create/update leases in kube-node-lease) and its log for lease errors; restart it: \`systemctl restart kubelet\`.`] },
    });
  }
}

function reportStuck(ctx: CheckContext, n: Judged, conn: Record<string, unknown>, inGroup: boolean): void {
  const stuck = (n.conn!.connections ?? []).filter(isStuck);
  const c = stuck[0]!;
  const retries = n.conn!.tcpRetries2;
  const finding: FindingInput = {
    rule: 'deadApiConnection', severity: n.down || inGroup ? 'critical' : 'warning', target: { kind: 'Node', name: n.name },
    message: `${n.name}: the kubelet's connection ${c.local} → ${c.peer} has ${c.sendQ} bytes unacknowledged (Send-Q)` +
      (c.timer?.name === 'on' ? `, the retransmit timer has fired ${c.timer.retries} times` : '') +
      (c.lastAckMs !== undefined ? `, nothing acknowledged for ${Math.round(c.lastAckMs / 100) / 10} s` : '') +
      ` — the peer went silent and the kubelet is writing into a dead connection.` +
      (retries !== undefined ? ` With tcp_retries2=${retries} the kernel fails it only after ≈ ${retransmitGiveUpSeconds(retries)} s.` : '') +
      (n.down ? ' The node is NotReady / not renewing its Lease because of it.' : ''),
    evidence: { ...conn, stuck },
    expected: 'no kubelet connection with unacknowledged data and a firing retransmit timer', actual: `Send-Q ${c.sendQ}, ${c.timer ? `timer ${c.timer.name} ×${c.timer.retries}` : 'no timer'}`,
    remediation: { summary: `Make dead API server connections fail fast on ${n.name}`, steps: [
      ...causesOf({ kubeletVersion: n.kubeletVersion, conn: n.conn, stuck: true }),
      `Now: \`systemctl restart kubelet\` on ${n.name} opens a fresh connection; then find why the path (${c.peer}) dropped it — load balancer idle timeout, a backend removed without closing connections.`,
    ] },
  };
  ctx.report(finding);
}

/** What the node showed about the kubelet's connections, compact, for every finding's evidence. */
function connEvidence(n: Judged): Record<string, unknown> {
  if (!n.conn) return {};
  const env = n.conn.env;
  return {
    kubelet: {
      version: n.kubeletVersion, pid: n.conn.pid, http2Env: env, tcpRetries2: n.conn.tcpRetries2,
      connections: n.conn.connections?.map((c) => ({ peer: c.peer, sendQ: c.sendQ, timer: c.timer, lastAckMs: c.lastAckMs })),
      journal: n.conn.journal?.length ? n.conn.journal.slice(-5) : undefined,
    },
  };
}
