// Upstream: kubernetes/website concepts/architecture/nodes.md (heartbeats, Leases); kubernetes PRs #95981,
// #96778, #108107, #126287, issues #87615, #121793; Linux tcp_timer.c (tcp_retries2); check-facts §13, §14.
import type { CoreV1Event, V1Lease, V1Node } from '@kubernetes/client-node';
import { defineCheck, optional, reporter, type CheckContext, type Reporter } from '../../src/check.js';
import { eventCount, eventLastSeen, evidenceTime } from '../../src/kube/events.js';
import { toMillis } from '../../src/kube/resources.js';
import { http2PingSupport, isStuck } from './causes.js';
import { rules, type Judged, type NodeInfo } from './messages.js';

const DEFAULT_LEASE_SECONDS = 40;
const HOUR = 3_600_000;
/** Nodes that went NotReady within this long of each other went down together. */
const TOGETHER_MS = 3 * 60_000;
/** A renewTime further ahead of the API server's clock than this means the node's clock is ahead. */
const FUTURE_TOLERANCE_MS = 5_000;

type Say = Reporter<typeof rules>;

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
  rules,
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
  const say = reporter(ctx, rules);
  const judged = all.map((n) => judge(ctx, n));
  const flapAt = Number(ctx.options.flappingEvents);
  const togetherAt = Number(ctx.options.togetherNodes);

  // Cordoned nodes going NotReady are most likely being upgraded: they do not make a fleet outage.
  const down = judged.filter((n) => n.down && !n.cordoned);
  const together = down.length >= togetherAt && (down.length * 2 >= judged.filter((n) => !n.cordoned).length || wentDownTogether(down));
  if (together) reportTogether(say, down, judged.length);
  const inGroup = new Set(together ? down.map((n) => n.name) : []);

  for (const n of judged) {
    const target = { kind: 'Node', name: n.name };
    const conn = connEvidence(n);
    if (!inGroup.has(n.name)) reportNode(ctx, say, n, leasesListed, conn);
    if (n.stuck) {
      const stuck = (n.conn!.connections ?? []).filter(isStuck);
      say('deadApiConnection', { severity: n.down || inGroup.has(n.name) ? 'critical' : 'warning', target, evidence: { ...conn, stuck } }, { node: n, stuck });
    }
    const flapping = n.notReadyEvents >= flapAt && !n.down;
    if (!n.stuck && !flapping && !n.down && (n.conn?.journal?.length ?? 0) > 0) {
      say('connectionLostLogged', { severity: 'info', target, evidence: { ...conn, journal: n.conn!.journal } }, { node: n });
    }
    if (flapping) {
      say('readyFlapping', {
        severity: 'warning', target,
        evidence: { notReadyEvents: n.notReadyEvents, lastNotReady: n.lastNotReadyEvent ? evidenceTime(n.lastNotReadyEvent) : undefined, leaseAgeSeconds: n.leaseAge, ...conn },
      }, { node: n, flappingEvents: flapAt });
    }
    const support = http2PingSupport(n.kubeletVersion);
    if ((support === 'no' || support === 'backport') && !n.stuck) {
      say('kubeletWithoutHttp2Ping', { severity: 'warning', target, evidence: { kubeletVersion: n.kubeletVersion, ...conn } }, { node: n, support });
    }
  }
}

function wentDownTogether(down: Judged[]): boolean {
  const times = down.map((n) => n.ready?.status !== 'True' ? n.ready?.since : undefined).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  for (let i = 0; i + 2 < times.length; i++) if (times[i + 2]! - times[i]! <= TOGETHER_MS) return true;
  return false;
}

function reportTogether(say: Say, down: Judged[], total: number): void {
  const stuck = down.filter((n) => n.stuck).map((n) => n.name);
  const since = down.map((n) => n.ready?.since).filter((t): t is number => t !== undefined);
  say('manyNodesNotReady', {
    severity: 'critical', target: { kind: 'Cluster', name: 'cluster' },
    evidence: {
      nodes: down.map((n) => ({ node: n.name, ready: n.ready?.status, reason: n.ready?.reason, leaseAgeSeconds: n.leaseAge, since: n.ready?.since ? evidenceTime(n.ready.since) : undefined })),
      firstWentDown: since.length ? evidenceTime(Math.min(...since)) : undefined, stuckConnections: stuck.length ? stuck : undefined,
    },
  }, { down, total, stuck });
}

/** At most one finding on the node's heartbeat itself, the most telling first. */
function reportNode(ctx: CheckContext, say: Say, n: Judged, leasesListed: boolean, conn: Record<string, unknown>): void {
  const target = { kind: 'Node', name: n.name };
  if (n.lease && n.leaseAge !== undefined && n.leaseAge > n.lease.durationSeconds) {
    say('leaseStale', {
      severity: n.cordoned ? 'info' : 'critical', target,
      evidence: { leaseAgeSeconds: n.leaseAge, leaseDurationSeconds: n.lease.durationSeconds, renewTime: n.lease.renewMs ? evidenceTime(n.lease.renewMs) : undefined, apiServerNow: evidenceTime(ctx.now.getTime()), ready: n.ready, ...conn },
    }, { node: n, lease: n.lease, leaseAge: n.leaseAge });
  } else if (n.lease && n.leaseAge !== undefined && n.leaseAge > n.lease.durationSeconds / 2 && !n.down) {
    say('leaseLate', {
      severity: 'warning', target,
      evidence: { leaseAgeSeconds: n.leaseAge, leaseDurationSeconds: n.lease.durationSeconds, apiServerNow: evidenceTime(ctx.now.getTime()), ...conn },
    }, { node: n, lease: n.lease, leaseAge: n.leaseAge });
  } else if (n.ready && n.ready.status !== 'True') {
    say('notReady', { severity: n.cordoned ? 'info' : 'critical', target, evidence: { ready: n.ready, leaseAgeSeconds: n.leaseAge, ...conn } }, { node: n, ready: n.ready });
  } else if (leasesListed && !n.lease) {
    say('noLease', { severity: 'warning', target, evidence: { kubeletVersion: n.kubeletVersion, ...conn } }, { node: n });
  }
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
