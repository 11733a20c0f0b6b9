// The rules of object-scale and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';

const MiB = 1024 * 1024;

export type Kind = 'ConfigMap' | 'Endpoints' | 'Node' | 'Pod' | 'Service';

const SIZE_ADVICE: Record<Kind, string> = {
  ConfigMap: 'move the blob out of the ConfigMap (an image, a volume, object storage), or split it into several ConfigMaps',
  Node: 'a Node this big usually carries a huge status.images list or many extended resources/annotations; check the kubelet --node-status-max-images and the agents annotating nodes',
  Endpoints: 'consumers should read EndpointSlices (Endpoints stop at 1000 addresses); split the Service',
  Pod: 'large annotations or env blocks in the pod template: move data to ConfigMaps/volumes',
  Service: 'large annotations on the Service: move them elsewhere',
};

export const rules = {
  objectNearSizeLimit: {
    description: 'An object is near etcd\'s request size limit.',
    message: (b: { kind: Kind; namespace?: string; name: string; bytes: number; limitBytes: number; warningBytes: number }): Wording => {
      const mib = (b.bytes / MiB).toFixed(2);
      const where = b.namespace ? `-n ${b.namespace} ` : '';
      return {
        message: `${b.kind} ${b.namespace ? `${b.namespace}/` : ''}${b.name} is ${mib} MiB as served — ${Math.round((b.bytes / b.limitBytes) * 100)} % of etcd's 1.5 MiB request limit. ` +
          'An update that takes it past the limit is refused ("etcdserver: request is too large"), and every change ships it whole to every watcher.',
        expected: `< ${b.warningBytes / MiB} MiB`,
        actual: `${mib} MiB`,
        remediation: {
          summary: SIZE_ADVICE[b.kind],
          steps: [`kubectl get ${b.kind.toLowerCase()} ${where}${b.name} -o json | wc -c`],
        },
      };
    },
  },
  beyondScalabilityThreshold: {
    description: 'Object counts are past the SIG-scalability thresholds.',
    message: (d: { resource: string; count: number; limit: number; tested: number; namespace?: string }): Wording => {
      const { resource, namespace } = d;
      const scope = namespace !== undefined ? `namespace ${namespace}` : 'the cluster';
      const advice: Record<string, string> = {
        pods: namespace !== undefined ? 'split the workloads over several namespaces' : 'split the workloads over several clusters',
        services: namespace !== undefined ? 'split the Services over several namespaces' : 'split the cluster; make sure kube-proxy and consumers use EndpointSlices',
        nodes: 'split the cluster; make sure every node renews a Lease (not full status updates) and that lists are paginated',
        namespaces: 'remove unused namespaces or split the cluster',
      };
      const per = namespace !== undefined ? 'per namespace' : 'per cluster';
      return {
        // A limit other than the SIG-scalability one was set for this check: name both, and claim
        // nothing about what upstream tests.
        message: d.limit === d.tested
          ? `${scope} has ${d.count} ${resource}, beyond the ${d.limit} SIG-scalability tests (${per}): ` +
            'lists, watches and controllers scale with it and upstream does not test past this point.'
          : `${scope} has ${d.count} ${resource}, beyond the ${d.limit} set for this check (${per}; SIG-scalability tests ${d.tested}): ` +
            'lists, watches and controllers scale with it.',
        expected: `≤ ${d.limit} ${resource}${namespace !== undefined ? ' per namespace' : ''}`,
        actual: String(d.count),
        remediation: { summary: advice[resource] ?? 'reduce the count', steps: ['https://github.com/kubernetes/community/blob/master/sig-scalability/configs-and-limits/thresholds.md'] },
      };
    },
  },
  endpointsOverCapacity: {
    description: 'An Endpoints object was truncated at 1000 addresses.',
    message: (t: { namespace: string; name: string; value: string }): Wording => ({
      message: `Endpoints ${t.namespace}/${t.name} is marked over-capacity (${t.value}): the Endpoints object keeps only 1000 of the Service's addresses, ` +
        'so anything still reading Endpoints (old ingress controllers, service meshes, custom tooling) sends traffic to a subset of the pods.',
      expected: 'consumers read EndpointSlices',
      actual: 'Endpoints truncated',
      remediation: {
        summary: 'Move every consumer of this Service to EndpointSlices (kube-proxy does since 1.19), or split the Service.',
        steps: [`kubectl -n ${t.namespace} get endpointslices -l kubernetes.io/service-name=${t.name}`],
      },
    }),
  },
  nodeWithoutLease: {
    description: 'A Node has no Lease in kube-node-lease.',
    message: ({ missing }: { missing: string[] }): Wording => ({
      message: `${missing.length} node(s) have no Lease in kube-node-lease (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}): ` +
        'their kubelets heartbeat by updating the whole Node status, which at scale loads etcd and the API server far more than a Lease renewal.',
      expected: 'a Lease per node in kube-node-lease',
      actual: `${missing.length} without`,
      remediation: {
        summary: 'Upgrade the kubelets (Leases since 1.14, GA 1.17) and check that they may write leases in kube-node-lease (RBAC system:node).',
        steps: ['kubectl -n kube-node-lease get leases', 'kubectl get nodes -o wide   # kubelet versions'],
      },
    }),
  },
  eventFlood: {
    description: 'More than 100000 Events are stored.',
    message: (d: { events: number; limit: number }): Wording => ({
      message: `etcd holds ${d.events} Events (more than ${d.limit}): something writes events in a loop; they fill etcd and slow every list of events.`,
      expected: `≤ ${d.limit} events`,
      actual: String(d.events),
      remediation: {
        summary: 'Find the writer and fix it; keep --event-ttl short; at large scale put events in their own etcd (--etcd-servers-overrides=/events#…).',
        steps: ['kubectl get events -A --sort-by=.count -o custom-columns=NS:.metadata.namespace,COUNT:.count,REASON:.reason,OBJECT:.involvedObject.name | tail -20'],
      },
    }),
  },
};
