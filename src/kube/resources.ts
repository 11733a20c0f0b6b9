// The API kinds checks can ask for, and where each one lives on the API server.
// Objects flow through the tool as the raw JSON the API server sent (no client-side models), so a live
// run and a saved snapshot are byte-for-byte the same input. The client-node model types are used for
// field names only: timestamps in them are typed Date but are ISO strings here — use toMillis().
import type {
  CoreV1Event, V1APIService, V1ConfigMap, V1Endpoints, V1CronJob, V1DaemonSet, V1Deployment, V1EndpointSlice, V1Job, V1Lease,
  V1Namespace, V1Node, V1ObjectMeta, V1PersistentVolume, V1Pod, V1ReplicaSet, V1Service, V1StatefulSet, V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';

/** metrics.k8s.io/v1beta1 NodeMetrics as metrics-server serves it (k8s.io/metrics types.go): the
 * node's working-set usage over `window`, e.g. {cpu: "1234567n", memory: "2048Ki"}. */
export interface NodeMetrics {
  metadata?: V1ObjectMeta;
  timestamp?: string;
  window?: string;
  usage?: Record<string, string>;
}

export interface KindTypes {
  Node: V1Node;
  Namespace: V1Namespace;
  PersistentVolume: V1PersistentVolume;
  Service: V1Service;
  EndpointSlice: V1EndpointSlice;
  ConfigMap: V1ConfigMap;
  HorizontalPodAutoscaler: V2HorizontalPodAutoscaler;
  Deployment: V1Deployment;
  StatefulSet: V1StatefulSet;
  DaemonSet: V1DaemonSet;
  ReplicaSet: V1ReplicaSet;
  Job: V1Job;
  CronJob: V1CronJob;
  Pod: V1Pod;
  Event: CoreV1Event;
  Lease: V1Lease;
  NodeMetrics: NodeMetrics;
  APIService: V1APIService;
  Endpoints: V1Endpoints;
}
export type ApiKind = keyof KindTypes;
export type KubeObject = KindTypes[ApiKind];

export interface ResourceInfo {
  kind: ApiKind;
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** -l/--selector narrows these kinds (the workloads and their pods), not nodes, events or services. */
  honoursLabelSelector: boolean;
  /** Node leases always live in kube-node-lease, whatever -n says. */
  fixedNamespace?: string;
}

const r = (kind: ApiKind, group: string, version: string, plural: string, namespaced: boolean,
  honoursLabelSelector = false, fixedNamespace?: string): ResourceInfo =>
  ({ kind, group, version, plural, namespaced, honoursLabelSelector, fixedNamespace });

/** In the order they are streamed through the checks: things checks correlate against come first
 * (nodes, services, workloads), then the many (pods), then evidence (events, leases). */
export const RESOURCES: readonly ResourceInfo[] = [
  r('Node', '', 'v1', 'nodes', false),
  r('Namespace', '', 'v1', 'namespaces', false),
  r('APIService', 'apiregistration.k8s.io', 'v1', 'apiservices', false),
  r('PersistentVolume', '', 'v1', 'persistentvolumes', false),
  r('Service', '', 'v1', 'services', true),
  r('EndpointSlice', 'discovery.k8s.io', 'v1', 'endpointslices', true),
  r('Endpoints', '', 'v1', 'endpoints', true),
  r('ConfigMap', '', 'v1', 'configmaps', true),
  // Before the workloads they scale: a workload visitor can look its autoscaler up.
  r('HorizontalPodAutoscaler', 'autoscaling', 'v2', 'horizontalpodautoscalers', true),
  r('Deployment', 'apps', 'v1', 'deployments', true, true),
  r('StatefulSet', 'apps', 'v1', 'statefulsets', true, true),
  r('DaemonSet', 'apps', 'v1', 'daemonsets', true, true),
  r('ReplicaSet', 'apps', 'v1', 'replicasets', true, true),
  r('Job', 'batch', 'v1', 'jobs', true, true),
  r('CronJob', 'batch', 'v1', 'cronjobs', true, true),
  r('Pod', '', 'v1', 'pods', true, true),
  r('Event', '', 'v1', 'events', true),
  r('Lease', 'coordination.k8s.io', 'v1', 'leases', true, false, 'kube-node-lease'),
  // Served only where metrics-server (or another metrics API) is installed: checks ask for it optionally.
  r('NodeMetrics', 'metrics.k8s.io', 'v1beta1', 'nodes', false),
];

export const API_KINDS: readonly ApiKind[] = RESOURCES.map((x) => x.kind);

export function resourceInfo(kind: ApiKind): ResourceInfo {
  const info = RESOURCES.find((x) => x.kind === kind);
  if (!info) throw new Error(`unknown kind ${kind}`);
  return info;
}

/** The resource name used in messages and gaps, e.g. "pods", "deployments.apps". */
export function resourceName(info: ResourceInfo): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

/** The collection URL path for a kind, all namespaces or one. */
export function listPath(info: ResourceInfo, namespace?: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.fixedNamespace ?? namespace;
  return info.namespaced && ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${info.plural}` : `${base}/${info.plural}`;
}

/** Timestamps arrive as ISO strings (raw JSON); the model types call them Date. */
export function toMillis(t: Date | string | undefined | null): number | undefined {
  if (t === undefined || t === null) return undefined;
  // Anything else than a string or a Date (a crafted snapshot) is no time, not a crash.
  const ms = typeof t === 'string' ? Date.parse(t) : t instanceof Date ? t.getTime() : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** A list field as a list: absent, null or anything else than an array is an empty one. Objects from
 * the API, snapshots and manifests are shape-checked in validate.ts, but only in the fields named there. */
export function listOf<T>(v: readonly T[] | undefined | null): readonly T[] {
  return Array.isArray(v) ? v : [];
}
