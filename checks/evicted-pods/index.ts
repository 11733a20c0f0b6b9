// Upstream: https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/
import type { V1Job, V1Node, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { defineCheck, reporter, type Severity } from '../../src/check.js';
import { rules } from './messages.js';
import { nodeDiskEvidence } from '../../src/node/node-disk.js';
import { OwnerIndex, describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import { evictionTime, isDiskResource, parseEvictionMessage, type EvictionCause } from '../../src/kube/eviction.js';
import { evidenceTime } from '../../src/kube/events.js';
import type { OffenderSeen } from './remediation.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Evictions on one node within an hour that make it critical (check-facts §5.3): setting burstPerHour. */
const BURST = 5;
/** Evictions of one workload within 24 h that make it critical: the same pods keep landing where they get evicted. */
const REPEATED = 3;
/** Stale (≥ 24 h) evicted pods kept in the API beyond which they are worth cleaning up. */
const CLUTTER = 100;
const PODS_SHOWN = 10;
const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

interface PodSeen { namespace: string; name: string; workload: string; evictedAt: string | null; timeSource: string; ms: number; message: string }
interface Group {
  node: string; resource: string;
  total: number; lastHour: number; lastDay: number; newest: number;
  pods: PodSeen[];
  owners: Map<string, { ref: WorkloadRef; count: number }>;
  causes: Partial<Record<EvictionCause, number>>;
  threshold?: { quantity: string; available: string; at: number };
  offenders: Map<string, OffenderSeen & { at: number }>;
}

export default defineCheck({
  id: 'evicted-pods',
  title: 'No pods are being evicted by node pressure',
  severity: 'critical',
  description:
    'Lists Failed pods with status.reason Evicted (server-side filter status.phase=Failed; other Failed reasons such as ' +
    'OutOfcpu, NodeAffinity, Terminated or Job failures are not evictions) and groups them by node and starved resource, ' +
    'read from the kubelet\'s eviction message. Evictions in the last 24 h are a warning; five on one node within an hour, ' +
    'or the same workload evicted three times in a day, are critical; more than 100 stale evicted pods are reported as clutter.',
  rules,
  needs: {
    api: [
      { kind: 'Node', optional: true },
      { kind: 'ReplicaSet', optional: true },
      { kind: 'Job', optional: true },
      { kind: 'Pod', fieldSelector: 'status.phase=Failed' },
    ],
    // For disk evictions, the node's filesystems against its eviction thresholds: evidence, so from the
    // kubelet through the API server only, never worth an SSH session.
    nodeFacts: [{ fact: 'nodeDisk', apiOnly: true }, { fact: 'kubeletConfig', apiOnly: true }],
  },
  settings: {
    burstPerHour: { type: 'number', default: BURST, min: 1, max: 10_000, description: 'Evictions on one node within an hour that make the finding critical.' },
    repeatedPerDay: { type: 'number', default: REPEATED, min: 1, max: 10_000, description: 'Evictions of one workload within 24 h that make the finding critical.' },
    staleEvictedPods: { type: 'number', default: CLUTTER, min: 0, description: 'Evicted pods older than 24 h still stored above which they are reported as clutter.' },
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const now = ctx.now.getTime();
    const burst = Number(ctx.options.burstPerHour ?? BURST);
    const repeated = Number(ctx.options.repeatedPerDay ?? REPEATED);
    const clutter = Number(ctx.options.staleEvictedPods ?? CLUTTER);
    const owners = new OwnerIndex();
    const conditions = new Map<string, { type: string; status: string; since: string | null }[]>();
    const diskEvidence = new Map<string, Record<string, unknown>>();
    const groups = new Map<string, Group>();
    const lastHourByNode = new Map<string, number>();
    const lastDayByWorkload = new Map<string, { ref: WorkloadRef; count: number }>();
    const staleByNode = new Map<string, number>();
    let oldestStale = Infinity;
    let diskNodes: Set<string> | undefined;

    return {
      Node(node: V1Node) {
        const name = node.metadata?.name;
        if (!name) return;
        conditions.set(name, (node.status?.conditions ?? []).filter((c) => PRESSURE.includes(c.type))
          .map((c) => ({ type: c.type, status: c.status, since: c.lastTransitionTime ? String(c.lastTransitionTime) : null })));
      },
      ReplicaSet(rs: V1ReplicaSet) { owners.add('ReplicaSet', rs); },
      Job(job: V1Job) { owners.add('Job', job); },

      Pod(pod: V1Pod) {
        // Another check may have asked for all pods: the engine then lists them unfiltered.
        if (pod.status?.phase !== 'Failed' || pod.status.reason !== 'Evicted') return;
        diskNodes = undefined;
        const node = pod.spec?.nodeName;
        if (!node) return;
        const info = parseEvictionMessage(pod.status.message);
        const time = evictionTime(pod);
        const age = time ? now - time.ms : Infinity;
        const ref = owners.workloadOf(pod);
        const workload = describeWorkload(ref);

        const key = `${node}\u0000${info.resource}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { node, resource: info.resource, total: 0, lastHour: 0, lastDay: 0, newest: -Infinity, pods: [], owners: new Map(), causes: {}, offenders: new Map() }));
        g.total++;
        g.causes[info.cause] = (g.causes[info.cause] ?? 0) + 1;
        const at = time?.ms ?? -Infinity;
        g.newest = Math.max(g.newest, at);
        const owner = g.owners.get(workload) ?? { ref, count: 0 };
        owner.count++;
        g.owners.set(workload, owner);
        if (age < HOUR) { g.lastHour++; lastHourByNode.set(node, (lastHourByNode.get(node) ?? 0) + 1); }
        if (age < DAY) {
          g.lastDay++;
          const w = lastDayByWorkload.get(workload) ?? { ref, count: 0 };
          w.count++;
          lastDayByWorkload.set(workload, w);
        } else {
          staleByNode.set(node, (staleByNode.get(node) ?? 0) + 1);
          oldestStale = Math.min(oldestStale, at);
        }
        if (info.threshold && (!g.threshold || at >= g.threshold.at)) g.threshold = { quantity: info.threshold, available: info.available!, at };
        for (const o of info.offenders) {
          const k = `${workload}\u0000${o.scope}\u0000${o.name}`;
          const prev = g.offenders.get(k);
          if (!prev || at >= prev.at) g.offenders.set(k, { ...o, workload: ref, cause: info.cause, at });
        }
        // Keep the newest few pods for the evidence, not all of them.
        g.pods.push({
          namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', workload,
          evictedAt: time ? evidenceTime(time.ms) : null, timeSource: time?.source ?? 'unknown', ms: at,
          message: (pod.status.message ?? '').trim().slice(0, 300),
        });
        if (g.pods.length > PODS_SHOWN) { g.pods.sort((a, b) => b.ms - a.ms); g.pods.length = PODS_SHOWN; }
      },

      // Asked after all pods, once per node: only nodes with recent disk evictions are worth their
      // kubelet's answers. The set is made at the first question (a scan of every group per node was
      // quadratic: ~0.1 s at 5,000 nodes, issue 14).
      wantsNodeFacts(node) {
        diskNodes ??= new Set([...groups.values()].filter((g) => g.lastDay > 0 && isDiskResource(g.resource)).map((g) => g.node));
        return diskNodes.has(node);
      },

      NodeFacts({ node, nodeDisk, kubeletConfig }) {
        if (nodeDisk && kubeletConfig) diskEvidence.set(node, nodeDiskEvidence(nodeDisk, kubeletConfig));
      },

      finish() {
        const sorted = [...groups.values()].sort((a, b) => (a.node === b.node ? a.resource.localeCompare(b.resource) : a.node.localeCompare(b.node)));
        for (const g of sorted) if (g.lastDay > 0) reportGroup(g);
        const stale = [...staleByNode.values()].reduce((a, b) => a + b, 0);
        if (stale > clutter) reportClutter(stale);
      },
    };

    function reportGroup(g: Group) {
      const reasons: string[] = [];
      const nodeHour = lastHourByNode.get(g.node) ?? 0;
      if (g.lastHour > 0 && nodeHour >= burst) reasons.push(`${nodeHour} evictions on this node within one hour`);
      for (const [name] of g.owners) {
        const n = lastDayByWorkload.get(name)?.count ?? 0;
        if (n >= repeated && g.owners.get(name)!.ref.kind !== 'Pod') reasons.push(`${name} evicted ${n} times in 24 h`);
      }
      const severity: Severity = reasons.length ? 'critical' : 'warning';
      const nodeConditions = conditions.get(g.node);
      const pressureNow = nodeConditions?.filter((c) => c.status === 'True').map((c) => c.type) ?? [];
      const workloads = [...g.owners.values()].sort((a, b) => b.count - a.count);
      const pods = [...g.pods].sort((a, b) => b.ms - a.ms);
      const offenders = [...g.offenders.values()].sort((a, b) => b.at - a.at).map(({ at: _at, ...o }) => o);

      say('podsEvicted', {
        severity,
        target: { kind: 'Node', name: g.node },
        evidence: {
          node: g.node,
          resource: g.resource,
          evicted: g.total,
          last24h: g.lastDay,
          lastHour: g.lastHour,
          newest: Number.isFinite(g.newest) ? evidenceTime(g.newest) : null,
          ...(reasons.length ? { critical: reasons } : {}),
          causes: g.causes,
          ...(g.threshold ? { threshold: g.threshold.quantity, availableAtEviction: g.threshold.available } : {}),
          workloads: workloads.map((w) => ({ workload: describeWorkload(w.ref), evicted: w.count, ...(w.ref.inferred ? { inferred: true } : {}) })),
          offenders: offenders.map((o) => Object.fromEntries(Object.entries({ workload: describeWorkload(o.workload), scope: o.scope, name: o.name || undefined, usage: o.usage, request: o.request, limit: o.limit })
            .filter(([, v]) => v !== undefined))),
          pods: pods.map(({ ms: _ms, ...p }) => p),
          ...(g.total > pods.length ? { podsShown: pods.length } : {}),
          ...(nodeConditions ? { nodeConditions } : {}),
          ...(isDiskResource(g.resource) ? {
            nodeDisk: diskEvidence.get(g.node) ?? 'not collected (nodes/proxy stats/summary unavailable)',
            seeAlso: `kubectl checkup --checks kubelet-gc,hostpath-log-growth --nodes ${g.node}`,
          } : {}),
        },
      }, {
        node: g.node, resource: g.resource, total: g.total, lastDay: g.lastDay, lastHour: g.lastHour, newestAgeMs: now - g.newest,
        reasons, pressureNow, workloads: workloads.map((w) => w.ref), offenders, namespace: ctx.settings.namespace,
      });
    }

    function reportClutter(stale: number) {
      say('staleEvictedPods', {
        severity: 'info',
        target: ctx.settings.namespace ? { kind: 'Namespace', name: ctx.settings.namespace } : { kind: 'Cluster', name: 'cluster' },
        evidence: { stale, byNode: Object.fromEntries([...staleByNode].sort()), oldest: Number.isFinite(oldestStale) ? evidenceTime(oldestStale) : null },
      }, { stale, limit: clutter, namespace: ctx.settings.namespace });
    }
  },
});
