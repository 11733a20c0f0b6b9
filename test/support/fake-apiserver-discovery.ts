// What the fake API server serves, and the legacy discovery documents describing it (/api, /apis,
// /api/v1, /apis/<group>/<version>). Plain application/json only: kubectl then falls back from
// aggregated to legacy discovery, which is what older clusters and many proxies give it too.
import { RESOURCES, type ApiKind } from '../../src/kube/resources.js';

export interface Served {
  /** The objects this resource is backed by (events.k8s.io/v1 events are the core Events, converted). */
  source: ApiKind;
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** 'pods', 'deployments.apps', 'events.events.k8s.io': how forbid/disable/faults name it. */
  name: string;
}

const withName = (s: Omit<Served, 'name'>): Served => ({ ...s, name: s.group ? `${s.plural}.${s.group}` : s.plural });

export const SERVED: readonly Served[] = [
  ...RESOURCES.map((r) => withName({ source: r.kind, kind: r.kind, group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced })),
  withName({ source: 'Event', kind: 'Event', group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true }),
];

/** Group order as a real kube-apiserver lists them (by priority, not alphabetically). */
const GROUP_ORDER = ['apiregistration.k8s.io', 'apps', 'events.k8s.io', 'autoscaling', 'batch', 'coordination.k8s.io', 'discovery.k8s.io', 'metrics.k8s.io'];

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

interface Extra { singular: string; shortNames?: string[]; categories?: string[]; verbs?: string[]; sub?: [string, string, string[]][] }

// Real per-resource discovery facts; the sub entries are [subresource, kind, verbs].
const EXTRA: Record<string, Extra> = {
  nodes: { singular: 'node', shortNames: ['no'], sub: [['proxy', 'NodeProxyOptions', ['create', 'delete', 'get', 'patch', 'update']], ['status', 'Node', STATUS_VERBS]] },
  namespaces: { singular: 'namespace', shortNames: ['ns'], verbs: ALL_VERBS.filter((v) => v !== 'deletecollection'), sub: [['finalize', 'Namespace', ['update']], ['status', 'Namespace', STATUS_VERBS]] },
  persistentvolumes: { singular: 'persistentvolume', shortNames: ['pv'], sub: [['status', 'PersistentVolume', STATUS_VERBS]] },
  services: { singular: 'service', shortNames: ['svc'], categories: ['all'], sub: [['proxy', 'ServiceProxyOptions', ['create', 'delete', 'get', 'patch', 'update']], ['status', 'Service', STATUS_VERBS]] },
  'endpointslices.discovery.k8s.io': { singular: 'endpointslice' },
  configmaps: { singular: 'configmap', shortNames: ['cm'] },
  'deployments.apps': { singular: 'deployment', shortNames: ['deploy'], categories: ['all'], sub: [['scale', 'Scale', STATUS_VERBS], ['status', 'Deployment', STATUS_VERBS]] },
  'statefulsets.apps': { singular: 'statefulset', shortNames: ['sts'], categories: ['all'], sub: [['scale', 'Scale', STATUS_VERBS], ['status', 'StatefulSet', STATUS_VERBS]] },
  'daemonsets.apps': { singular: 'daemonset', shortNames: ['ds'], categories: ['all'], sub: [['status', 'DaemonSet', STATUS_VERBS]] },
  'replicasets.apps': { singular: 'replicaset', shortNames: ['rs'], categories: ['all'], sub: [['scale', 'Scale', STATUS_VERBS], ['status', 'ReplicaSet', STATUS_VERBS]] },
  'jobs.batch': { singular: 'job', categories: ['all'], sub: [['status', 'Job', STATUS_VERBS]] },
  'horizontalpodautoscalers.autoscaling': { singular: 'horizontalpodautoscaler', shortNames: ['hpa'], categories: ['all'], sub: [['status', 'HorizontalPodAutoscaler', STATUS_VERBS]] },
  'cronjobs.batch': { singular: 'cronjob', shortNames: ['cj'], categories: ['all'], sub: [['status', 'CronJob', STATUS_VERBS]] },
  pods: { singular: 'pod', shortNames: ['po'], categories: ['all'], sub: [['log', 'Pod', ['get']], ['proxy', 'PodProxyOptions', ['create', 'delete', 'get', 'patch', 'update']], ['status', 'Pod', STATUS_VERBS]] },
  events: { singular: 'event', shortNames: ['ev'] },
  'events.events.k8s.io': { singular: 'event', shortNames: ['ev'] },
  'leases.coordination.k8s.io': { singular: 'lease' },
  // metrics-server serves get/list only (k8s.io/metrics, APIService v1beta1.metrics.k8s.io).
  'nodes.metrics.k8s.io': { singular: '', verbs: ['get', 'list'] },
  'apiservices.apiregistration.k8s.io': { singular: 'apiservice', categories: ['api-extensions'], sub: [['status', 'APIService', STATUS_VERBS]] },
  endpoints: { singular: 'endpoints', shortNames: ['ep'] },
};

export type IsOff = (name: string) => boolean;

const groupVersion = (group: string, version: string): string => (group ? `${group}/${version}` : version);

export function apiVersions(hostPort: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }] };
}

/** The group/versions still served once disabled resources are taken away (a group with none left is gone). */
function servedGroups(disabled: IsOff): string[] {
  const live = new Set(SERVED.filter((s) => s.group && !disabled(s.name)).map((s) => s.group));
  return GROUP_ORDER.filter((g) => live.has(g));
}

function apiGroup(group: string): object {
  // Each group serves the one version the tool lists it at (autoscaling: v2).
  const version = SERVED.find((s) => s.group === group)?.version ?? 'v1';
  const v = { groupVersion: `${group}/${version}`, version };
  return { name: group, versions: [v], preferredVersion: v };
}

export function apiGroupList(disabled: IsOff): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: servedGroups(disabled).map(apiGroup) };
}

export function apiGroupDoc(group: string, disabled: IsOff): object | null {
  return servedGroups(disabled).includes(group) ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) } : null;
}

export function apiResourceList(group: string, version: string, disabled: IsOff): object | null {
  const here = SERVED.filter((s) => s.group === group && s.version === version && !disabled(s.name));
  if (here.length === 0) return null;
  const resources: object[] = [];
  for (const s of here) {
    const x = EXTRA[s.name]!;
    resources.push({
      name: s.plural, singularName: x.singular, namespaced: s.namespaced, kind: s.kind, verbs: x.verbs ?? ALL_VERBS,
      ...(x.shortNames ? { shortNames: x.shortNames } : {}), ...(x.categories ? { categories: x.categories } : {}),
    });
    for (const [sub, kind, verbs] of x.sub ?? []) {
      if (disabled(`${s.plural}/${sub}`)) continue;
      // Scale lives in autoscaling/v1 whichever group the parent is in.
      const gv = kind === 'Scale' ? { group: 'autoscaling', version: 'v1' } : {};
      resources.push({ name: `${s.plural}/${sub}`, singularName: '', namespaced: s.namespaced, ...gv, kind, verbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}
