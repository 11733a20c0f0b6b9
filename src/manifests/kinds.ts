// Which manifest objects the engine can use. A kind is matched by API group and kind, not version:
// an apps/v1beta2 Deployment has the same template as apps/v1. Kinds of other groups (CRDs, Ingress,
// RBAC…) are ignored: no check reads them. In the groups the checks read, a kind that does not exist
// there is almost always a typo (`Deploymnet`), which would otherwise pass the gate unchecked.
import { RESOURCES, type ApiKind } from '../kube/resources.js';

/** Every built-in kind of the groups the engine reads (Kubernetes 1.32), to tell a typo from a kind
 * that merely has no check. */
const BUILT_IN: Record<string, readonly string[]> = {
  '': ['Binding', 'ComponentStatus', 'ConfigMap', 'Endpoints', 'Event', 'LimitRange', 'Namespace', 'Node',
    'PersistentVolume', 'PersistentVolumeClaim', 'Pod', 'PodTemplate', 'ReplicationController', 'ResourceQuota',
    'Secret', 'Service', 'ServiceAccount'],
  apps: ['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'],
  batch: ['CronJob', 'Job'],
  'discovery.k8s.io': ['EndpointSlice'],
  'coordination.k8s.io': ['Lease', 'LeaseCandidate'],
};

export type KindVerdict =
  | { use: ApiKind }
  | { ignore: true }
  | { unknown: string };

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function classifyKind(apiVersion: string, kind: string): KindVerdict {
  const group = groupOf(apiVersion);
  const resource = RESOURCES.find((r) => r.kind === kind && r.group === group);
  if (resource) return { use: resource.kind };
  const known = BUILT_IN[group];
  if (!known || known.includes(kind)) return { ignore: true };
  const close = known.find((k) => k.toLowerCase() === kind.toLowerCase()) ?? known.find((k) => editDistance(k.toLowerCase(), kind.toLowerCase()) <= 2);
  return { unknown: `kind ${kind} does not exist in ${apiVersion}${close ? ` (did you mean ${close}?)` : ''}; the object is not checked` };
}

/** Levenshtein distance, for "did you mean" on short kind names. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
