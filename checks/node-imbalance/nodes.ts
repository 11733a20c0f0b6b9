// What node-imbalance keeps per node: allocatable, the sums of the requests of the pods on it, its
// usage from metrics.k8s.io, the pool it is compared within, and why it is left out of the
// comparison. Pods are summed as they stream past and never kept (memory stays flat).
import type { V1Node, V1Pod, V1Container } from '@kubernetes/client-node';
import { quantityMilliValue, quantityValue } from '../../src/kube/quantity.js';
import { toMillis } from '../../src/kube/resources.js';

/** Labels naming a node pool, most specific first: managed pools, Karpenter, then the instance type. */
export const POOL_LABELS = [
  'cloud.google.com/gke-nodepool', 'eks.amazonaws.com/nodegroup', 'karpenter.sh/nodepool', 'kubernetes.azure.com/agentpool',
  'agentpool', 'node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type',
] as const;
/** The group of nodes that carry none of the pool labels (kubeadm clusters): compared as one pool. */
export const NO_POOL = 'nodes without a pool label';
export const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'] as const;
const CONTROL_PLANE = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/** A node that joined this recently is still being filled by the scheduler: not judged. */
export const JUST_JOINED_MS = 15 * 60_000;

export interface NodeState {
  name: string;
  pool: string;
  zone?: string;
  /** Why the node is not compared (cordoned, not Ready, just joined); undefined = compared. */
  excluded?: string;
  cordoned: boolean;
  allocatable: { cpuMilli?: number; memoryBytes?: number };
  requests: { cpuMilli: number; memoryBytes: number };
  usage?: { cpuMilli?: number; memoryBytes?: number };
  pods: number;
  /** Pods not owned by a DaemonSet: 0 means the node runs only per-node agents. */
  workloadPods: number;
}

export function nodeState(node: V1Node, now: Date): NodeState | undefined {
  const name = node.metadata?.name;
  if (!name) return undefined;
  const labels = node.metadata?.labels ?? {};
  const poolLabel = POOL_LABELS.find((l) => labels[l]);
  const isControlPlane = CONTROL_PLANE.some((l) => l in labels);
  // Nodes with their own NoSchedule/NoExecute taints take only pods that tolerate them: they are a pool
  // of their own even when they share an instance type with the rest.
  const taints = (node.spec?.taints ?? []).filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !t.key.startsWith('node.kubernetes.io/'))
    .map((t) => t.key).sort();
  const base = isControlPlane ? 'control-plane' : poolLabel ? `${poolLabel}=${labels[poolLabel]}` : NO_POOL;
  const pool = taints.length && !isControlPlane ? `${base}, tainted ${taints.join(',')}` : base;
  const zoneLabel = ZONE_LABELS.find((l) => labels[l]);
  const cordoned = node.spec?.unschedulable === true;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const created = toMillis(node.metadata?.creationTimestamp);
  const excluded = cordoned ? 'cordoned (being drained or upgraded)'
    : !ready ? 'not Ready'
    : created !== undefined && now.getTime() - created < JUST_JOINED_MS ? `joined ${Math.round((now.getTime() - created) / 60_000)} min ago`
    : undefined;
  const alloc = node.status?.allocatable ?? {};
  return {
    name, pool, zone: zoneLabel ? labels[zoneLabel] : undefined, excluded, cordoned,
    allocatable: { cpuMilli: quantityMilliValue(alloc.cpu), memoryBytes: quantityValue(alloc.memory) },
    requests: { cpuMilli: 0, memoryBytes: 0 }, pods: 0, workloadPods: 0,
  };
}

/** Whether a pod holds resources on its node now (scheduled, not finished). */
export function holdsResources(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** The pod's effective request, as the scheduler counts it (KEP-753 sidecars included): the larger of
 * the app containers plus restartable init containers, and each regular init container plus the
 * sidecars started before it; plus the pod overhead. */
export function podRequests(pod: V1Pod): { cpuMilli: number; memoryBytes: number } {
  const req = (c: V1Container) => ({
    cpuMilli: quantityMilliValue(c.resources?.requests?.cpu) ?? 0,
    memoryBytes: quantityValue(c.resources?.requests?.memory) ?? 0,
  });
  const sum = { cpuMilli: 0, memoryBytes: 0 };
  for (const c of pod.spec?.containers ?? []) { const r = req(c); sum.cpuMilli += r.cpuMilli; sum.memoryBytes += r.memoryBytes; }
  const sidecars = { cpuMilli: 0, memoryBytes: 0 };
  const initPeak = { cpuMilli: 0, memoryBytes: 0 };
  for (const c of pod.spec?.initContainers ?? []) {
    const r = req(c);
    if (c.restartPolicy === 'Always') {
      sidecars.cpuMilli += r.cpuMilli; sidecars.memoryBytes += r.memoryBytes;
    } else {
      initPeak.cpuMilli = Math.max(initPeak.cpuMilli, sidecars.cpuMilli + r.cpuMilli);
      initPeak.memoryBytes = Math.max(initPeak.memoryBytes, sidecars.memoryBytes + r.memoryBytes);
    }
  }
  const overhead = pod.spec?.overhead ?? {};
  return {
    cpuMilli: Math.max(sum.cpuMilli + sidecars.cpuMilli, initPeak.cpuMilli) + (quantityMilliValue(overhead.cpu) ?? 0),
    memoryBytes: Math.max(sum.memoryBytes + sidecars.memoryBytes, initPeak.memoryBytes) + (quantityValue(overhead.memory) ?? 0),
  };
}

export type Resource = 'cpu' | 'memory';

/** A share of allocatable in percent (one decimal), or undefined without allocatable. */
export function share(n: NodeState, basis: 'requests' | 'usage', r: Resource): number | undefined {
  const alloc = r === 'cpu' ? n.allocatable.cpuMilli : n.allocatable.memoryBytes;
  const v = basis === 'requests' ? (r === 'cpu' ? n.requests.cpuMilli : n.requests.memoryBytes)
    : (r === 'cpu' ? n.usage?.cpuMilli : n.usage?.memoryBytes);
  if (!alloc || v === undefined) return undefined;
  return Math.round((v / alloc) * 1000) / 10;
}
