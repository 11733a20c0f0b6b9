// Upstream: kubernetes/community sig-scalability/configs-and-limits/thresholds.md; etcd --max-request-bytes;
// EndpointsController over-capacity annotation (1.22+); check-facts §12, §14 (object scale).
import type { V1ConfigMap, V1Endpoints, V1Lease, V1Namespace, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { defineCheck, reporter, type ApiserverMetrics, type CheckContext, type Reporter, type Severity } from '../../src/check.js';
import { objectBytes } from '../../src/kube/object-size.js';
import type { Exposition } from '../../src/metrics/prometheus-text.js';
import { rules, type Kind } from './messages.js';

type Say = Reporter<typeof rules>;

const MiB = 1024 * 1024;
/** etcd's default --max-request-bytes (1.5 MiB) is the ceiling for one object. */
const ETCD_REQUEST_LIMIT = 1.5 * MiB;
const SIZE_WARNING_MIB = 1;
const SIZE_CRITICAL_MIB = 1.3;
/** A snapshot keeps objects of 512 KiB or more whole (src/snapshot/write.ts): below that a replay
 * would measure slimmed objects, so the size settings stop there (sources record sizes from 256 KiB,
 * SIZES_RECORDED_FROM in src/kube/object-size.ts). */
const SIZE_SETTING_MIN_MIB = 0.5;

/** SIG-scalability thresholds: what upstream tests a cluster to (not hard limits). The defaults of
 * the count settings, named here by resource. */
const CLUSTER_LIMITS: Record<string, number> = { nodes: 5000, pods: 150000, namespaces: 10000, services: 10000 };
const NAMESPACE_LIMITS: Record<string, number> = { pods: 3000, services: 5000 };
const CLUSTER_SETTINGS: Record<string, string> = { nodes: 'maxNodes', pods: 'maxPods', namespaces: 'maxNamespaces', services: 'maxServices' };
const NAMESPACE_SETTINGS: Record<string, string> = { pods: 'maxPodsPerNamespace', services: 'maxServicesPerNamespace' };
/** Events are short-lived (--event-ttl 1h); this many means something is writing them in a loop. */
const EVENT_FLOOD = 100_000;

/** Object counts the API server keeps per resource; renamed across releases (newest first). */
const COUNT_METRICS = ['apiserver_resource_objects', 'apiserver_storage_objects', 'etcd_object_counts'];

interface Big { kind: Kind; namespace?: string; name: string; bytes: number }
interface Limits { warningBytes: number; criticalBytes: number; cluster: Record<string, number>; namespace: Record<string, number>; events: number }

const count = (description: string, dflt: number) => ({ type: 'number' as const, default: dflt, min: 1, description });

export default defineCheck({
  id: 'object-scale',
  title: 'Objects stay below etcd\'s size limit and counts within the tested scale',
  severity: 'critical',
  description:
    'Measures every listed ConfigMap, Node, Endpoints, Service and Pod by the bytes the API server sent (warning > 1 MiB, ' +
    'critical > 1.3 MiB of etcd\'s 1.5 MiB request limit); counts objects per namespace and per cluster against the ' +
    'SIG-scalability thresholds (cluster counts from the API server\'s object-count metrics when readable); reports ' +
    'Endpoints truncated at 1000 addresses (over-capacity), nodes without a Lease, and Events flooding etcd.',
  rules,
  settings: {
    sizeWarningMiB: { type: 'number', default: SIZE_WARNING_MIB, min: SIZE_SETTING_MIN_MIB, max: ETCD_REQUEST_LIMIT / MiB, description: 'Object size (MiB, as served) above which it is a warning' },
    sizeCriticalMiB: { type: 'number', default: SIZE_CRITICAL_MIB, min: SIZE_SETTING_MIN_MIB, max: ETCD_REQUEST_LIMIT / MiB, description: 'Object size (MiB, as served) above which it is critical' },
    maxPodsPerNamespace: count('Pods in one namespace above which it is reported', NAMESPACE_LIMITS.pods!),
    maxServicesPerNamespace: count('Services in one namespace above which it is reported', NAMESPACE_LIMITS.services!),
    maxNodes: count('Nodes in the cluster above which it is reported', CLUSTER_LIMITS.nodes!),
    maxPods: count('Pods in the cluster above which it is reported', CLUSTER_LIMITS.pods!),
    maxNamespaces: count('Namespaces in the cluster above which it is reported', CLUSTER_LIMITS.namespaces!),
    maxServices: count('Services in the cluster above which it is reported', CLUSTER_LIMITS.services!),
    maxEvents: count('Events stored above which they are reported as a flood', EVENT_FLOOD),
  },
  needs: {
    api: [{ kind: 'Node', sizes: true }, 'Namespace', { kind: 'Service', sizes: true }, { kind: 'Pod', sizes: true },
      { kind: 'Endpoints', optional: true, sizes: true }, { kind: 'ConfigMap', optional: true, sizes: true }, { kind: 'Lease', optional: true }],
    apiserverMetrics: { families: COUNT_METRICS, optional: true },
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const o = ctx.options;
    const perResource = (names: Record<string, string>) => Object.fromEntries(Object.entries(names).map(([r, setting]) => [r, Number(o[setting])]));
    const limits: Limits = {
      warningBytes: Number(o.sizeWarningMiB) * MiB, criticalBytes: Number(o.sizeCriticalMiB) * MiB,
      cluster: perResource(CLUSTER_SETTINGS), namespace: perResource(NAMESPACE_SETTINGS), events: Number(o.maxEvents),
    };
    // Objects above either line are kept (a critical line set below the warning one still counts).
    const keepAbove = Math.min(limits.warningBytes, limits.criticalBytes);
    const big: Big[] = [];
    const perNamespace = { pods: new Map<string, number>(), services: new Map<string, number>() };
    const listed: Record<string, number> = { nodes: 0, pods: 0, namespaces: 0, services: 0 };
    const nodes: string[] = [];
    const leases = new Set<string>();
    const truncated: { namespace: string; name: string; value: string; addresses: number }[] = [];
    let counts: Map<string, number> | undefined;

    const measure = (kind: Kind, o: { metadata?: { name?: string; namespace?: string } }) => {
      const bytes = objectBytes(o);
      if (bytes !== undefined && bytes > keepAbove) big.push({ kind, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '', bytes });
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
        for (const b of big) sizeFinding(say, limits, b);
        for (const [resource, perNs] of Object.entries(perNamespace)) {
          const limit = limits.namespace[resource]!;
          for (const [ns, n] of perNs) if (n > limit) countFinding(say, resource, n, limit, NAMESPACE_LIMITS[resource]!, ns);
        }
        clusterCounts(ctx, say, limits.cluster, listed, counts);
        for (const t of truncated) {
          say('endpointsOverCapacity', {
            severity: 'warning',
            target: { kind: 'Service', namespace: t.namespace, name: t.name },
            evidence: { annotation: `endpoints.kubernetes.io/over-capacity=${t.value}`, addressesInEndpoints: t.addresses },
          }, t);
        }
        // No Lease at all means Leases were not readable (every kubelet since 1.14 keeps one).
        if (leases.size) {
          const missing = nodes.filter((n) => !leases.has(n));
          if (missing.length) {
            say('nodeWithoutLease', {
              severity: 'warning',
              target: missing.length === 1 ? { kind: 'Node', name: missing[0]! } : { kind: 'Cluster', name: 'cluster' },
              evidence: { nodes: missing.slice(0, 50), count: missing.length },
            }, { missing });
          }
        }
        const events = counts?.get('events');
        if (events !== undefined && events > limits.events) {
          say('eventFlood', {
            severity: 'warning',
            target: { kind: 'Cluster', name: 'cluster' },
            evidence: { events, threshold: limits.events, source: 'API server object-count metric' },
          }, { events, limit: limits.events });
        }
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

function clusterCounts(ctx: CheckContext, say: Say, clusterLimits: Record<string, number>, listed: Record<string, number>, metrics: Map<string, number> | undefined): void {
  for (const [resource, limit] of Object.entries(clusterLimits)) {
    // With -n only the nodes and namespaces lists are cluster-wide; the metrics always are.
    const fromList = !ctx.settings.namespace || resource === 'nodes' || resource === 'namespaces' ? listed[resource] : undefined;
    const n = metrics?.get(resource) ?? fromList;
    if (n !== undefined && n > limit) countFinding(say, resource, n, limit, CLUSTER_LIMITS[resource]!);
  }
}

function sizeFinding(say: Say, limits: Limits, b: Big): void {
  const severity: Severity = b.bytes > limits.criticalBytes ? 'critical' : 'warning';
  say('objectNearSizeLimit', {
    severity,
    target: { kind: b.kind, name: b.name, ...(b.namespace ? { namespace: b.namespace } : {}) },
    evidence: { bytes: b.bytes, limitBytes: ETCD_REQUEST_LIMIT, measured: 'JSON as the API server sent it (etcd stores built-in kinds as protobuf, somewhat smaller)' },
  }, { ...b, limitBytes: ETCD_REQUEST_LIMIT, warningBytes: limits.warningBytes });
}

/** `tested`: the SIG-scalability threshold, which `limit` (the setting) defaults to. */
function countFinding(say: Say, resource: string, n: number, limit: number, tested: number, namespace?: string): void {
  say('beyondScalabilityThreshold', {
    severity: 'warning',
    target: namespace !== undefined ? { kind: 'Namespace', name: namespace } : { kind: 'Cluster', name: 'cluster' },
    evidence: { resource, count: n, threshold: limit, ...(namespace !== undefined ? { namespace } : {}) },
  }, { resource, count: n, limit, tested, namespace });
}
