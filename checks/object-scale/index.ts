// Upstream: kubernetes/community sig-scalability/configs-and-limits/thresholds.md; etcd --max-request-bytes;
// EndpointsController over-capacity annotation (1.22+); check-facts §12, §14 (object scale).
import type { V1ConfigMap, V1Endpoints, V1Lease, V1Namespace, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { defineCheck, type ApiserverMetrics, type CheckContext, type FindingInput, type Severity } from '../../src/check.js';
import { objectBytes } from '../../src/kube/object-size.js';
import type { Exposition } from '../../src/metrics/prometheus-text.js';

const MiB = 1024 * 1024;
/** etcd's default --max-request-bytes (1.5 MiB) is the ceiling for one object. */
const ETCD_REQUEST_LIMIT = 1.5 * MiB;
const SIZE_WARNING = 1 * MiB;
const SIZE_CRITICAL = 1.3 * MiB;

/** SIG-scalability thresholds: what upstream tests a cluster to (not hard limits). */
const CLUSTER_LIMITS: Record<string, number> = { nodes: 5000, pods: 150000, namespaces: 10000, services: 10000 };
const NAMESPACE_LIMITS: Record<string, number> = { pods: 3000, services: 5000 };
/** Events are short-lived (--event-ttl 1h); this many means something is writing them in a loop. */
const EVENT_FLOOD = 100_000;

/** Object counts the API server keeps per resource; renamed across releases (newest first). */
const COUNT_METRICS = ['apiserver_resource_objects', 'apiserver_storage_objects', 'etcd_object_counts'];

type Kind = 'ConfigMap' | 'Endpoints' | 'Node' | 'Pod' | 'Service';
interface Big { kind: Kind; namespace?: string; name: string; bytes: number }

export default defineCheck({
  id: 'object-scale',
  title: 'Objects stay below etcd\'s size limit and counts within the tested scale',
  severity: 'critical',
  description:
    'Measures every listed ConfigMap, Node, Endpoints, Service and Pod by the bytes the API server sent (warning > 1 MiB, ' +
    'critical > 1.3 MiB of etcd\'s 1.5 MiB request limit); counts objects per namespace and per cluster against the ' +
    'SIG-scalability thresholds (cluster counts from the API server\'s object-count metrics when readable); reports ' +
    'Endpoints truncated at 1000 addresses (over-capacity), nodes without a Lease, and Events flooding etcd.',
  rules: {
    objectNearSizeLimit: { description: 'An object is near etcd\'s request size limit.' },
    beyondScalabilityThreshold: { description: 'Object counts are past the SIG-scalability thresholds.' },
    endpointsOverCapacity: { description: 'An Endpoints object was truncated at 1000 addresses.' },
    nodeWithoutLease: { description: 'A Node has no Lease in kube-node-lease.' },
    eventFlood: { description: 'More than 100000 Events are stored.' },
  },
  needs: {
    api: [{ kind: 'Node', sizes: true }, 'Namespace', { kind: 'Service', sizes: true }, { kind: 'Pod', sizes: true },
      { kind: 'Endpoints', optional: true, sizes: true }, { kind: 'ConfigMap', optional: true, sizes: true }, { kind: 'Lease', optional: true }],
    apiserverMetrics: { families: COUNT_METRICS, optional: true },
  },
  create(ctx) {
    const big: Big[] = [];
    const perNamespace = { pods: new Map<string, number>(), services: new Map<string, number>() };
    const listed: Record<string, number> = { nodes: 0, pods: 0, namespaces: 0, services: 0 };
    const nodes: string[] = [];
    const leases = new Set<string>();
    const truncated: { namespace: string; name: string; value: string; addresses: number }[] = [];
    let counts: Map<string, number> | undefined;

    const measure = (kind: Kind, o: { metadata?: { name?: string; namespace?: string } }) => {
      const bytes = objectBytes(o);
      if (bytes !== undefined && bytes > SIZE_WARNING) big.push({ kind, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '', bytes });
    };
    const bump = (m: Map<string, number>, ns: string | undefined) => m.set(ns ?? '', (m.get(ns ?? '') ?? 0) + 1);

    return {
      Node(n: V1Node) { listed.nodes!++; if (n.metadata?.name) nodes.push(n.metadata.name); measure('Node', n); },
      Namespace(_n: V1Namespace) { listed.namespaces!++; },
      Service(s: V1Service) { listed.services!++; bump(perNamespace.services, s.metadata?.namespace); measure('Service', s); },
      Endpoints(e: V1Endpoints) {
        measure('Endpoints', e);
        const value = e.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity'];
        if (value) {
          const addresses = (e.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
          truncated.push({ namespace: e.metadata?.namespace ?? '', name: e.metadata?.name ?? '', value, addresses });
        }
      },
      ConfigMap(c: V1ConfigMap) { measure('ConfigMap', c); },
      Pod(p: V1Pod) { listed.pods!++; bump(perNamespace.pods, p.metadata?.namespace); measure('Pod', p); },
      Lease(l: V1Lease) { if (l.metadata?.name) leases.add(l.metadata.name); },
      ApiserverMetrics(m: ApiserverMetrics) {
        if (!m.ok) return; // optional: the engine records the gap; lists still give the counts
        counts = objectCounts(m.scrapes[m.scrapes.length - 1]!);
      },
      finish() {
        for (const b of big) ctx.report(sizeFinding(b));
        for (const [resource, perNs] of Object.entries(perNamespace)) {
          const limit = NAMESPACE_LIMITS[resource]!;
          for (const [ns, n] of perNs) if (n > limit) ctx.report(countFinding(resource, n, limit, ns));
        }
        clusterCounts(ctx, listed, counts);
        for (const t of truncated) ctx.report(truncatedFinding(t));
        // No Lease at all means Leases were not readable (every kubelet since 1.14 keeps one).
        if (leases.size) {
          const missing = nodes.filter((n) => !leases.has(n));
          if (missing.length) ctx.report(noLeaseFinding(missing));
        }
        const events = counts?.get('events');
        if (events !== undefined && events > EVENT_FLOOD) ctx.report(eventFinding(events));
      },
    };
  },
});

/** resource → object count from the newest count metric served; −1 (count failed) is left out. */
function objectCounts(exp: Exposition): Map<string, number> | undefined {
  for (const name of COUNT_METRICS) {
    const samples = exp.samples.get(name);
    if (!samples?.length) continue;
    const out = new Map<string, number>();
    for (const s of samples) {
      if (!(s.value >= 0)) continue;
      // "events" and "events.events.k8s.io" are one store; resources carry their group after a dot.
      const resource = s.labels.group ? `${s.labels.resource}.${s.labels.group}` : s.labels.resource ?? '';
      const key = resource === 'events.events.k8s.io' ? 'events' : resource;
      out.set(key, Math.max(out.get(key) ?? 0, s.value));
    }
    return out;
  }
  return undefined;
}

function clusterCounts(ctx: CheckContext, listed: Record<string, number>, metrics: Map<string, number> | undefined): void {
  for (const [resource, limit] of Object.entries(CLUSTER_LIMITS)) {
    // With -n only the nodes and namespaces lists are cluster-wide; the metrics always are.
    const fromList = !ctx.settings.namespace || resource === 'nodes' || resource === 'namespaces' ? listed[resource] : undefined;
    const n = metrics?.get(resource) ?? fromList;
    if (n !== undefined && n > limit) ctx.report(countFinding(resource, n, limit));
  }
}

function sizeFinding(b: Big): FindingInput {
  const severity: Severity = b.bytes > SIZE_CRITICAL ? 'critical' : 'warning';
  const mib = (b.bytes / MiB).toFixed(2);
  const where = b.namespace ? `-n ${b.namespace} ` : '';
  const advice: Record<Kind, string> = {
    ConfigMap: 'move the blob out of the ConfigMap (an image, a volume, object storage), or split it into several ConfigMaps',
    Node: 'a Node this big usually carries a huge status.images list or many extended resources/annotations; check the kubelet --node-status-max-images and the agents annotating nodes',
    Endpoints: 'consumers should read EndpointSlices (Endpoints stop at 1000 addresses); split the Service',
    Pod: 'large annotations or env blocks in the pod template: move data to ConfigMaps/volumes',
    Service: 'large annotations on the Service: move them elsewhere',
  };
  return {
    rule: 'objectNearSizeLimit',
    severity,
    target: { kind: b.kind, name: b.name, ...(b.namespace ? { namespace: b.namespace } : {}) },
    message: `${b.kind} ${b.namespace ? `${b.namespace}/` : ''}${b.name} is ${mib} MiB as served — ${Math.round((b.bytes / ETCD_REQUEST_LIMIT) * 100)} % of etcd's 1.5 MiB request limit. ` +
      'An update that takes it past the limit is refused ("etcdserver: request is too large"), and every change ships it whole to every watcher.',
    evidence: { bytes: b.bytes, limitBytes: ETCD_REQUEST_LIMIT, measured: 'JSON as the API server sent it (etcd stores built-in kinds as protobuf, somewhat smaller)' },
    expected: `< ${SIZE_WARNING / MiB} MiB`,
    actual: `${mib} MiB`,
    remediation: {
      summary: advice[b.kind],
      steps: [`kubectl get ${b.kind.toLowerCase()} ${where}${b.name} -o json | wc -c`],
    },
  };
}

function countFinding(resource: string, n: number, limit: number, namespace?: string): FindingInput {
  const scope = namespace !== undefined ? `namespace ${namespace}` : 'the cluster';
  const advice: Record<string, string> = {
    pods: namespace !== undefined ? 'split the workloads over several namespaces' : 'split the workloads over several clusters',
    services: namespace !== undefined ? 'split the Services over several namespaces' : 'split the cluster; make sure kube-proxy and consumers use EndpointSlices',
    nodes: 'split the cluster; make sure every node renews a Lease (not full status updates) and that lists are paginated',
    namespaces: 'remove unused namespaces or split the cluster',
  };
  return {
    rule: 'beyondScalabilityThreshold',
    severity: 'warning',
    target: namespace !== undefined ? { kind: 'Namespace', name: namespace } : { kind: 'Cluster', name: 'cluster' },
    message: `${scope} has ${n} ${resource}, beyond the ${limit} SIG-scalability tests (${namespace !== undefined ? 'per namespace' : 'per cluster'}): ` +
      'lists, watches and controllers scale with it and upstream does not test past this point.',
    evidence: { resource, count: n, threshold: limit, ...(namespace !== undefined ? { namespace } : {}) },
    expected: `≤ ${limit} ${resource}${namespace !== undefined ? ' per namespace' : ''}`,
    actual: String(n),
    remediation: { summary: advice[resource] ?? 'reduce the count', steps: ['https://github.com/kubernetes/community/blob/master/sig-scalability/configs-and-limits/thresholds.md'] },
  };
}

function truncatedFinding(t: { namespace: string; name: string; value: string; addresses: number }): FindingInput {
  return {
    rule: 'endpointsOverCapacity',
    severity: 'warning',
    target: { kind: 'Service', namespace: t.namespace, name: t.name },
    message: `Endpoints ${t.namespace}/${t.name} is marked over-capacity (${t.value}): the Endpoints object keeps only 1000 of the Service's addresses, ` +
      'so anything still reading Endpoints (old ingress controllers, service meshes, custom tooling) sends traffic to a subset of the pods.',
    evidence: { annotation: `endpoints.kubernetes.io/over-capacity=${t.value}`, addressesInEndpoints: t.addresses },
    expected: 'consumers read EndpointSlices',
    actual: 'Endpoints truncated',
    remediation: {
      summary: 'Move every consumer of this Service to EndpointSlices (kube-proxy does since 1.19), or split the Service.',
      steps: [`kubectl -n ${t.namespace} get endpointslices -l kubernetes.io/service-name=${t.name}`],
    },
  };
}

function noLeaseFinding(missing: string[]): FindingInput {
  return {
    rule: 'nodeWithoutLease',
    severity: 'warning',
    target: missing.length === 1 ? { kind: 'Node', name: missing[0]! } : { kind: 'Cluster', name: 'cluster' },
    message: `${missing.length} node(s) have no Lease in kube-node-lease (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}): ` +
      'their kubelets heartbeat by updating the whole Node status, which at scale loads etcd and the API server far more than a Lease renewal.',
    evidence: { nodes: missing.slice(0, 50), count: missing.length },
    expected: 'a Lease per node in kube-node-lease',
    actual: `${missing.length} without`,
    remediation: {
      summary: 'Upgrade the kubelets (Leases since 1.14, GA 1.17) and check that they may write leases in kube-node-lease (RBAC system:node).',
      steps: ['kubectl -n kube-node-lease get leases', 'kubectl get nodes -o wide   # kubelet versions'],
    },
  };
}

function eventFinding(n: number): FindingInput {
  return {
    rule: 'eventFlood',
    severity: 'warning',
    target: { kind: 'Cluster', name: 'cluster' },
    message: `etcd holds ${n} Events (more than ${EVENT_FLOOD}): something writes events in a loop; they fill etcd and slow every list of events.`,
    evidence: { events: n, threshold: EVENT_FLOOD, source: 'API server object-count metric' },
    expected: `≤ ${EVENT_FLOOD} events`,
    actual: String(n),
    remediation: {
      summary: 'Find the writer and fix it; keep --event-ttl short; at large scale put events in their own etcd (--etcd-servers-overrides=/events#…).',
      steps: ['kubectl get events -A --sort-by=.count -o custom-columns=NS:.metadata.namespace,COUNT:.count,REASON:.reason,OBJECT:.involvedObject.name | tail -20'],
    },
  };
}
