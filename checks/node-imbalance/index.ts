// Upstream: kubernetes-sigs/descheduler LowNodeUtilization (README, kubernetes/base/configmap.yaml);
// k8s.io/metrics NodeMetrics; kube-scheduler resource accounting (KEP-753 sidecars); check-facts §14.
import type { V1Pod } from '@kubernetes/client-node';
import { defineCheck, type CheckContext, type FindingInput } from '../../src/check.js';
import { OwnerIndex, isMirrorPod, describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import { quantityMilliValue, quantityValue, formatBytes } from '../../src/kube/quantity.js';
import type { NodeMetrics } from '../../src/kube/resources.js';
import { NO_POOL, holdsResources, nodeState, podRequests, share, type NodeState, type Resource } from './nodes.js';

interface WorkloadState {
  ref: WorkloadRef;
  replicas: number;
  byNode: Map<string, number>;
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
  rules: {
    requestsSpread: { description: 'Within one node pool, some nodes are requested far more than others.' },
    usageSpread: { description: 'Within one node pool, some nodes use far more than others (metrics.k8s.io).' },
    replicasOnOneNode: { description: 'All replicas of a workload run on one node, with no spread constraint or anti-affinity.' },
    replicasInOneZone: { description: 'All replicas of a workload run in one zone, with no spread constraint or anti-affinity.' },
  },
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
        if (!w) workloads.set(key, (w = { ref, replicas: 0, byNode: new Map(), spreads: false, pinned: false }));
        w.replicas++;
        w.byNode.set(n.name, (w.byNode.get(n.name) ?? 0) + 1);
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
        judgePools(ctx, [...nodes.values()], metricsSeen > 0, opts);
        judgeWorkloads(ctx, nodes, workloads, opts.minReplicas);
      },
    };
  },
});

interface Thresholds { high: number; low: number }

function judgePools(ctx: CheckContext, all: NodeState[], haveMetrics: boolean, t: Thresholds): void {
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
      ctx.report(spreadFinding(pool, basis, spread, compared, left, haveMetrics, t));
    }
  }
}

interface Spread { hot: { node: string; resource: Resource; percent: number }[]; cold: { node: string; resource: Resource; percent: number; onlyDaemonSets: boolean }[] }

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

const pct = (x: { node: string; percent: number; resource: Resource }) => `${x.node} ${x.percent} % ${x.resource}`;

function spreadFinding(pool: string, basis: 'requests' | 'usage', s: Spread, nodes: NodeState[], left: { node: string; why: string }[],
  haveMetrics: boolean, t: Thresholds): FindingInput {
  const onlyDs = s.cold.filter((c) => c.onlyDaemonSets).map((c) => c.node);
  const what = basis === 'requests' ? 'requested' : 'in use (metrics.k8s.io)';
  const title = pool === NO_POOL ? 'the nodes without a pool label' : `pool ${pool}`;
  const message = `${title[0]!.toUpperCase()}${title.slice(1)}: ${s.hot.map(pct).join(', ')} ${what} while ${s.cold.map(pct).join(', ')} — ` +
    `one pool, loaded very differently (above ${t.high} % vs below ${t.low} % of allocatable).` +
    (onlyDs.length ? ` ${onlyDs.join(', ')} run${onlyDs.length === 1 ? 's' : ''} only DaemonSet pods: new pods will land there, but running pods never move by themselves.` : '') +
    (basis === 'requests' && !haveMetrics ? ' Judged on requests only: metrics.k8s.io is not served (no metrics-server), so actual usage is unknown.' : '') +
    (left.length ? ` Not compared: ${left.map((l) => `${l.node} (${l.why})`).join(', ')}.` : '');
  const evidenceNodes = nodes.map((n) => ({
    node: n.name,
    requests: { cpuPercent: share(n, 'requests', 'cpu'), memoryPercent: share(n, 'requests', 'memory'), cpuMilli: n.requests.cpuMilli, memory: formatBytes(n.requests.memoryBytes) },
    ...(n.usage ? { usage: { cpuPercent: share(n, 'usage', 'cpu'), memoryPercent: share(n, 'usage', 'memory') } } : {}),
    allocatable: { cpuMilli: n.allocatable.cpuMilli, memory: n.allocatable.memoryBytes !== undefined ? formatBytes(n.allocatable.memoryBytes) : undefined },
    pods: n.pods, daemonSetOnly: n.workloadPods === 0,
  }));
  const steps = [
    'Rebalance running pods with the descheduler\'s LowNodeUtilization plugin (kubernetes-sigs/descheduler): it evicts from nodes above ' +
      `targetThresholds so the scheduler places them on nodes below thresholds, e.g. thresholds {cpu: ${t.low}, memory: ${t.low}, pods: ${t.low}} and ` +
      `targetThresholds {cpu: ${t.high}, memory: ${t.high}, pods: ${t.high}}. It judges requests, and needs PodDisruptionBudgets on what it may evict.`,
    'Stop it from coming back: give Deployments topologySpreadConstraints on kubernetes.io/hostname (maxSkew 1, whenUnsatisfiable ScheduleAnyway), ' +
      'and check the scheduler profile — NodeResourcesFit with scoringStrategy MostAllocated (bin packing) piles pods onto the fullest nodes on purpose.',
  ];
  if (basis === 'usage') {
    steps.splice(1, 0, 'Usage is skewed: the scheduler only sees requests. Set requests from observed usage (`kubectl top pod --sort-by=memory`, ' +
      'VerticalPodAutoscaler in recommendation mode) so that pods using much more than they request stop piling onto one node.');
  }
  return {
    rule: basis === 'requests' ? 'requestsSpread' : 'usageSpread',
    severity: 'warning',
    target: { kind: 'NodePool', name: pool },
    message,
    evidence: { basis, metricsApi: haveMetrics, highPercent: t.high, lowPercent: t.low, hot: s.hot, cold: s.cold, notCompared: left.length ? left : undefined, nodes: evidenceNodes },
    expected: `every node of the pool between ${t.low} % and ${t.high} % ${basis === 'requests' ? 'requested' : 'used'}, or all on the same side`,
    actual: `${s.hot.map(pct).join(', ')}; ${s.cold.map(pct).join(', ')}`,
    remediation: { summary: `Rebalance ${title} (descheduler LowNodeUtilization) and spread workloads with topologySpreadConstraints`, steps },
  };
}

function judgeWorkloads(ctx: CheckContext, nodes: Map<string, NodeState>, workloads: Map<string, WorkloadState>, minReplicas: number): void {
  const schedulable = [...nodes.values()].filter((n) => !n.excluded && n.pool !== 'control-plane');
  const zones = new Set(schedulable.map((n) => n.zone).filter(Boolean));
  const cordoned = [...nodes.values()].filter((n) => n.cordoned).map((n) => n.name);
  const during = cordoned.length ? ` ${cordoned.join(', ')} ${cordoned.length === 1 ? 'is' : 'are'} cordoned: if a drain is under way, this may be its aftermath — re-check after the upgrade.` : '';
  for (const w of [...workloads.values()].sort((a, b) => describeWorkload(a.ref).localeCompare(describeWorkload(b.ref)))) {
    if (w.replicas < minReplicas || w.spreads || w.pinned) continue;
    const onNodes = [...w.byNode.keys()];
    const spreadStep = `Add to the pod template of ${describeWorkload(w.ref)}: topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, ` +
      'whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: <the pod labels>}, matchLabelKeys: [pod-template-hash]}] ' +
      '(a zone constraint with topologyKey topology.kubernetes.io/zone too), or preferred podAntiAffinity on kubernetes.io/hostname; then `kubectl rollout restart`.';
    const target = { kind: w.ref.kind, namespace: w.ref.namespace, name: w.ref.name };
    if (onNodes.length === 1 && schedulable.length >= 2) {
      ctx.report({
        rule: 'replicasOnOneNode',
        severity: 'warning',
        target,
        message: `All ${w.replicas} running replicas of ${describeWorkload(w.ref)} are on ${onNodes[0]}, and the workload asks for no spreading ` +
          `(no topologySpreadConstraints, no pod anti-affinity): losing or draining that one node takes the whole workload down at once.${during}`,
        evidence: { replicas: w.replicas, nodes: Object.fromEntries(w.byNode), schedulableNodes: schedulable.length, cordonedNodes: cordoned.length ? cordoned : undefined },
        expected: 'replicas on at least two nodes', actual: `${w.replicas} of ${w.replicas} on ${onNodes[0]}`,
        remediation: { summary: `Spread ${describeWorkload(w.ref)} across nodes`, steps: [spreadStep,
          `Add a PodDisruptionBudget (minAvailable: 1 or maxUnavailable: 1) so a drain of ${onNodes[0]} cannot evict every replica at once.`] },
      });
      continue;
    }
    if (zones.size < 2) continue;
    const workloadZones = new Set(onNodes.map((n) => nodes.get(n)?.zone));
    if (workloadZones.size === 1 && !workloadZones.has(undefined)) {
      const zone = [...workloadZones][0]!;
      ctx.report({
        rule: 'replicasInOneZone',
        severity: 'warning',
        target,
        message: `All ${w.replicas} running replicas of ${describeWorkload(w.ref)} are in zone ${zone} (on ${onNodes.join(', ')}) while the cluster's nodes ` +
          `span ${zones.size} zones, and the workload asks for no spreading: a zone outage takes it down.${during}`,
        evidence: { replicas: w.replicas, zone, clusterZones: [...zones].sort(), nodes: Object.fromEntries(w.byNode) },
        expected: 'replicas in at least two zones', actual: `${w.replicas} of ${w.replicas} in ${zone}`,
        remediation: { summary: `Spread ${describeWorkload(w.ref)} across zones`, steps: [spreadStep.replace('(a zone constraint with topologyKey topology.kubernetes.io/zone too)', 'and the same with topologyKey topology.kubernetes.io/zone')] },
      });
    }
  }
}
