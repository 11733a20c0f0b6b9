// Upstream: kubernetes-sigs/descheduler LowNodeUtilization (README, kubernetes/base/configmap.yaml);
// k8s.io/metrics NodeMetrics; kube-scheduler resource accounting (KEP-753 sidecars); check-facts §14.
import type { V1Pod } from '@kubernetes/client-node';
import { defineCheck, reporter, type Reporter } from '../../src/check.js';
import { OwnerIndex, isMirrorPod, describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import { quantityMilliValue, quantityValue, formatBytes } from '../../src/kube/quantity.js';
import type { NodeMetrics } from '../../src/kube/resources.js';
import { holdsResources, nodeState, podRequests, share, type NodeState } from './nodes.js';
import { rules, type Spread } from './messages.js';

interface WorkloadState {
  ref: WorkloadRef;
  replicas: number;
  /** Replicas per node, while they could still all be on one node or in one zone; undefined once
   * they are on two nodes and not all in one known zone (no finding left to make: memory stays one
   * entry per workload, not one per node a workload runs on, issue 14). */
  byNode: Map<string, number> | undefined;
  /** The zone of every node so far, null once two differ or one has none. */
  zone: string | null;
  /** Any pod carries topologySpreadConstraints or pod anti-affinity (the owner asked for spreading). */
  spreads: boolean;
  /** Pinned to one node by nodeSelector kubernetes.io/hostname: concentration is the intent. */
  pinned: boolean;
}

const SKIP_OWNERS = new Set(['DaemonSet', 'Job', 'CronJob', 'Pod', 'Node']);

export default defineCheck({
  id: 'node-imbalance',
  title: 'Load is spread across the nodes of each pool',
  severity: 'warning',
  description:
    'Sums the CPU and memory requests of the running pods per node as a share of allocatable and, when metrics.k8s.io is ' +
    'served (metrics-server), the usage too. Nodes are compared only within their pool (node pool / instance-type label ' +
    'and dedicated taints); cordoned, NotReady and just-joined nodes are left out. Warns when some node of a pool is above ' +
    'the high mark while another is below the low mark, and when all replicas of a Deployment or StatefulSet sit on one ' +
    'node or one zone without topologySpreadConstraints or pod anti-affinity. Without a metrics API it judges requests only and says so.',
  settings: {
    highPercent: { type: 'number', default: 80, min: 1, max: 100, description: 'A node above this share of allocatable (requests or usage) is hot.' },
    lowPercent: { type: 'number', default: 30, min: 0, max: 99, description: 'A node below this share of allocatable is cold.' },
    minReplicas: { type: 'number', default: 2, min: 2, description: 'Workloads with fewer running replicas are not judged for concentration.' },
  },
  rules,
  needs: {
    // A node's load is every pod on it, whatever -n says; only the workload findings follow -n.
    api: ['Node', { kind: 'ReplicaSet', optional: true, allNamespaces: true }, { kind: 'Pod', allNamespaces: true }, { kind: 'NodeMetrics', optional: true }],
  },
  create(ctx) {
    const nodes = new Map<string, NodeState>();
    const owners = new OwnerIndex();
    const workloads = new Map<string, WorkloadState>();
    let metricsSeen = 0;

    return {
      Node(node) {
        const s = nodeState(node, ctx.now);
        if (s) nodes.set(s.name, s);
      },
      ReplicaSet(rs) { owners.add('ReplicaSet', rs); },
      Pod(pod: V1Pod) {
        if (!holdsResources(pod)) return;
        const n = nodes.get(pod.spec!.nodeName!);
        if (!n) return;
        const r = podRequests(pod);
        n.requests.cpuMilli += r.cpuMilli;
        n.requests.memoryBytes += r.memoryBytes;
        n.pods++;
        if (isMirrorPod(pod)) return;
        const ref = owners.workloadOf(pod);
        if (ref.kind !== 'DaemonSet') n.workloadPods++;
        if (SKIP_OWNERS.has(ref.kind) || pod.metadata?.deletionTimestamp) return;
        if (ctx.settings.namespace && ref.namespace !== ctx.settings.namespace) return;
        const key = `${ref.namespace}/${ref.kind}/${ref.name}`;
        let w = workloads.get(key);
        if (!w) workloads.set(key, (w = { ref, replicas: 0, byNode: new Map(), zone: n.zone ?? null, spreads: false, pinned: false }));
        w.replicas++;
        if (w.zone !== n.zone) w.zone = null;
        if (w.byNode) {
          w.byNode.set(n.name, (w.byNode.get(n.name) ?? 0) + 1);
          if (w.byNode.size > 1 && w.zone === null) w.byNode = undefined;
        }
        const aa = pod.spec?.affinity?.podAntiAffinity;
        if (pod.spec?.topologySpreadConstraints?.length || aa?.requiredDuringSchedulingIgnoredDuringExecution?.length
          || aa?.preferredDuringSchedulingIgnoredDuringExecution?.length) w.spreads = true;
        if (pod.spec?.nodeSelector?.['kubernetes.io/hostname']) w.pinned = true;
      },
      NodeMetrics(m: NodeMetrics) {
        const n = nodes.get(m.metadata?.name ?? '');
        if (!n) return;
        metricsSeen++;
        n.usage = { cpuMilli: quantityMilliValue(m.usage?.cpu), memoryBytes: quantityValue(m.usage?.memory) };
      },
      finish() {
        const opts = { high: Number(ctx.options.highPercent), low: Number(ctx.options.lowPercent), minReplicas: Number(ctx.options.minReplicas) };
        const say = reporter(ctx, rules);
        judgePools(say, [...nodes.values()], metricsSeen > 0, opts);
        judgeWorkloads(say, nodes, workloads, opts.minReplicas);
      },
    };
  },
});

interface Thresholds { high: number; low: number }
type Say = Reporter<typeof rules>;

function judgePools(say: Say, all: NodeState[], haveMetrics: boolean, t: Thresholds): void {
  const pools = new Map<string, NodeState[]>();
  for (const n of all) (pools.get(n.pool) ?? pools.set(n.pool, []).get(n.pool)!).push(n);
  for (const [pool, members] of [...pools].sort(([a], [b]) => a.localeCompare(b))) {
    if (pool === 'control-plane') continue;
    const compared = members.filter((n) => !n.excluded);
    if (compared.length < 2) continue;
    const left = members.filter((n) => n.excluded).map((n) => ({ node: n.name, why: n.excluded! }));
    for (const basis of ['requests', 'usage'] as const) {
      if (basis === 'usage' && !haveMetrics) continue;
      const spread = spreadOf(compared, basis, t);
      if (!spread) continue;
      say(basis === 'requests' ? 'requestsSpread' : 'usageSpread', {
        severity: 'warning',
        target: { kind: 'NodePool', name: pool },
        evidence: { basis, metricsApi: haveMetrics, highPercent: t.high, lowPercent: t.low, hot: spread.hot, cold: spread.cold, notCompared: left.length ? left : undefined, nodes: nodeEvidence(compared) },
      }, { pool, basis, spread, left, haveMetrics, high: t.high, low: t.low });
    }
  }
}

/** Hot and cold nodes on the same resource: memory on one node and CPU on another is not a skew. */
function spreadOf(nodes: NodeState[], basis: 'requests' | 'usage', t: Thresholds): Spread | undefined {
  const out: Spread = { hot: [], cold: [] };
  for (const r of ['memory', 'cpu'] as const) {
    const hot = nodes.map((n) => ({ node: n.name, resource: r, percent: share(n, basis, r) })).filter((x) => x.percent !== undefined && x.percent > t.high);
    const cold = nodes.map((n) => ({ node: n.name, resource: r, percent: share(n, basis, r), onlyDaemonSets: n.workloadPods === 0 }))
      .filter((x) => x.percent !== undefined && x.percent < t.low);
    if (hot.length && cold.length) {
      out.hot.push(...(hot as Spread['hot']).sort((a, b) => b.percent - a.percent));
      out.cold.push(...(cold as Spread['cold']).sort((a, b) => a.percent - b.percent));
    }
  }
  return out.hot.length ? out : undefined;
}

/** Every compared node's share of allocatable, requested and in use. */
function nodeEvidence(nodes: NodeState[]) {
  return nodes.map((n) => ({
    node: n.name,
    requests: { cpuPercent: share(n, 'requests', 'cpu'), memoryPercent: share(n, 'requests', 'memory'), cpuMilli: n.requests.cpuMilli, memory: formatBytes(n.requests.memoryBytes) },
    ...(n.usage ? { usage: { cpuPercent: share(n, 'usage', 'cpu'), memoryPercent: share(n, 'usage', 'memory') } } : {}),
    allocatable: { cpuMilli: n.allocatable.cpuMilli, memory: n.allocatable.memoryBytes !== undefined ? formatBytes(n.allocatable.memoryBytes) : undefined },
    pods: n.pods, daemonSetOnly: n.workloadPods === 0,
  }));
}

function judgeWorkloads(say: Say, nodes: Map<string, NodeState>, workloads: Map<string, WorkloadState>, minReplicas: number): void {
  const schedulable = [...nodes.values()].filter((n) => !n.excluded && n.pool !== 'control-plane');
  const zones = new Set(schedulable.map((n) => n.zone).filter(Boolean));
  const cordoned = [...nodes.values()].filter((n) => n.cordoned).map((n) => n.name);
  for (const w of [...workloads.values()].sort((a, b) => describeWorkload(a.ref).localeCompare(describeWorkload(b.ref)))) {
    if (w.replicas < minReplicas || w.spreads || w.pinned || !w.byNode) continue;
    const onNodes = [...w.byNode.keys()];
    const target = { kind: w.ref.kind, namespace: w.ref.namespace, name: w.ref.name };
    if (onNodes.length === 1 && schedulable.length >= 2) {
      say('replicasOnOneNode', {
        severity: 'warning',
        target,
        evidence: { replicas: w.replicas, nodes: Object.fromEntries(w.byNode), schedulableNodes: schedulable.length, cordonedNodes: cordoned.length ? cordoned : undefined },
      }, { workload: w.ref, replicas: w.replicas, node: onNodes[0]!, cordoned });
      continue;
    }
    if (zones.size < 2) continue;
    const workloadZones = new Set(onNodes.map((n) => nodes.get(n)?.zone));
    if (workloadZones.size === 1 && !workloadZones.has(undefined)) {
      const zone = [...workloadZones][0]!;
      say('replicasInOneZone', {
        severity: 'warning',
        target,
        evidence: { replicas: w.replicas, zone, clusterZones: [...zones].sort(), nodes: Object.fromEntries(w.byNode) },
      }, { workload: w.ref, replicas: w.replicas, zone, nodes: onNodes, clusterZones: zones.size, cordoned });
    }
  }
}
