// The rules of node-imbalance and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';
import { describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import { NO_POOL, type Resource } from './nodes.js';

/** Hot (above the high mark) and cold (below the low mark) nodes of one pool, on the same resource. */
export interface Spread { hot: { node: string; resource: Resource; percent: number }[]; cold: { node: string; resource: Resource; percent: number; onlyDaemonSets: boolean }[] }

interface PoolSpread {
  pool: string;
  basis: 'requests' | 'usage';
  spread: Spread;
  /** Nodes of the pool left out of the comparison, and why. */
  left: { node: string; why: string }[];
  haveMetrics: boolean;
  high: number;
  low: number;
}

interface Concentrated {
  workload: WorkloadRef;
  replicas: number;
  /** Cordoned nodes: a drain under way may have caused the concentration. */
  cordoned: string[];
}

const pct = (x: { node: string; percent: number; resource: Resource }) => `${x.node} ${x.percent} % ${x.resource}`;

function spreadWording({ pool, basis, spread: s, left, haveMetrics, high, low }: PoolSpread): Wording {
  const onlyDs = s.cold.filter((c) => c.onlyDaemonSets).map((c) => c.node);
  const what = basis === 'requests' ? 'requested' : 'in use (metrics.k8s.io)';
  const title = pool === NO_POOL ? 'the nodes without a pool label' : `pool ${pool}`;
  const message = `${title[0]!.toUpperCase()}${title.slice(1)}: ${s.hot.map(pct).join(', ')} ${what} while ${s.cold.map(pct).join(', ')} — ` +
    `one pool, loaded very differently (above ${high} % vs below ${low} % of allocatable).` +
    (onlyDs.length ? ` ${onlyDs.join(', ')} run${onlyDs.length === 1 ? 's' : ''} only DaemonSet pods: new pods will land there, but running pods never move by themselves.` : '') +
    (basis === 'requests' && !haveMetrics ? ' Judged on requests only: metrics.k8s.io is not served (no metrics-server), so actual usage is unknown.' : '') +
    (left.length ? ` Not compared: ${left.map((l) => `${l.node} (${l.why})`).join(', ')}.` : '');
  const steps = [
    'Rebalance running pods with the descheduler\'s LowNodeUtilization plugin (kubernetes-sigs/descheduler): it evicts from nodes above ' +
      `targetThresholds so the scheduler places them on nodes below thresholds, e.g. thresholds {cpu: ${low}, memory: ${low}, pods: ${low}} and ` +
      `targetThresholds {cpu: ${high}, memory: ${high}, pods: ${high}}. It judges requests, and needs PodDisruptionBudgets on what it may evict.`,
    'Stop it from coming back: give Deployments topologySpreadConstraints on kubernetes.io/hostname (maxSkew 1, whenUnsatisfiable ScheduleAnyway), ' +
      'and check the scheduler profile — NodeResourcesFit with scoringStrategy MostAllocated (bin packing) piles pods onto the fullest nodes on purpose.',
  ];
  if (basis === 'usage') {
    steps.splice(1, 0, 'Usage is skewed: the scheduler only sees requests. Set requests from observed usage (`kubectl top pod --sort-by=memory`, ' +
      'VerticalPodAutoscaler in recommendation mode) so that pods using much more than they request stop piling onto one node.');
  }
  return {
    message,
    expected: `every node of the pool between ${low} % and ${high} % ${basis === 'requests' ? 'requested' : 'used'}, or all on the same side`,
    actual: `${s.hot.map(pct).join(', ')}; ${s.cold.map(pct).join(', ')}`,
    remediation: { summary: `Rebalance ${title} (descheduler LowNodeUtilization) and spread workloads with topologySpreadConstraints`, steps },
  };
}

/** The sentence added when nodes are cordoned: a drain may have piled the replicas up. */
function duringDrain(cordoned: string[]): string {
  return cordoned.length ? ` ${cordoned.join(', ')} ${cordoned.length === 1 ? 'is' : 'are'} cordoned: if a drain is under way, this may be its aftermath — re-check after the upgrade.` : '';
}

function spreadStep(workload: WorkloadRef, zoneToo: string): string {
  return `Add to the pod template of ${describeWorkload(workload)}: topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, ` +
    `whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: <the pod labels>}, matchLabelKeys: [pod-template-hash]}] ` +
    `${zoneToo}, or preferred podAntiAffinity on kubernetes.io/hostname; then \`kubectl rollout restart\`.`;
}

export const rules = {
  requestsSpread: {
    description: 'Within one node pool, some nodes are requested far more than others.',
    message: spreadWording,
  },
  usageSpread: {
    description: 'Within one node pool, some nodes use far more than others (metrics.k8s.io).',
    message: spreadWording,
  },
  replicasOnOneNode: {
    description: 'All replicas of a workload run on one node, with no spread constraint or anti-affinity.',
    message: ({ workload, replicas, node, cordoned }: Concentrated & { node: string }): Wording => ({
      message: `All ${replicas} running replicas of ${describeWorkload(workload)} are on ${node}, and the workload asks for no spreading ` +
        `(no topologySpreadConstraints, no pod anti-affinity): losing or draining that one node takes the whole workload down at once.${duringDrain(cordoned)}`,
      expected: 'replicas on at least two nodes', actual: `${replicas} of ${replicas} on ${node}`,
      remediation: { summary: `Spread ${describeWorkload(workload)} across nodes`, steps: [
        spreadStep(workload, '(a zone constraint with topologyKey topology.kubernetes.io/zone too)'),
        `Add a PodDisruptionBudget (minAvailable: 1 or maxUnavailable: 1) so a drain of ${node} cannot evict every replica at once.`,
      ] },
    }),
  },
  replicasInOneZone: {
    description: 'All replicas of a workload run in one zone, with no spread constraint or anti-affinity.',
    message: ({ workload, replicas, zone, nodes, clusterZones, cordoned }: Concentrated & { zone: string; nodes: string[]; clusterZones: number }): Wording => ({
      message: `All ${replicas} running replicas of ${describeWorkload(workload)} are in zone ${zone} (on ${nodes.join(', ')}) while the cluster's nodes ` +
        `span ${clusterZones} zones, and the workload asks for no spreading: a zone outage takes it down.${duringDrain(cordoned)}`,
      expected: 'replicas in at least two zones', actual: `${replicas} of ${replicas} in ${zone}`,
      remediation: { summary: `Spread ${describeWorkload(workload)} across zones`, steps: [
        spreadStep(workload, 'and the same with topologyKey topology.kubernetes.io/zone'),
      ] },
    }),
  },
};
