// Upstream: kube-aggregator pkg/controllers/status (AvailableConditionController); check-facts §14 (APIService).
import type { V1APIService, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { defineCheck, type FindingInput } from '../../src/check.js';
import { toMillis } from '../../src/kube/resources.js';

/** What stops working when an aggregated group is gone from discovery, by group. */
const GROUP_EFFECTS: Record<string, string> = {
  'metrics.k8s.io': 'HorizontalPodAutoscalers on CPU/memory stop scaling and `kubectl top` fails',
  'custom.metrics.k8s.io': 'HorizontalPodAutoscalers on custom metrics stop scaling',
  'external.metrics.k8s.io': 'HorizontalPodAutoscalers on external metrics stop scaling',
};

const COMMON_EFFECTS = 'kubectl and every client doing discovery print "unable to retrieve the complete list of server APIs", ' +
  'namespace deletion hangs in Terminating (the namespace controller cannot list that group to empty the namespace), ' +
  'and controllers that discover all groups (garbage collector, quota) stall on it';

const REASON_HINTS: Record<string, string> = {
  MissingEndpoints: 'the Service has no ready endpoint: the extension\'s pods are not running or not ready',
  ServiceNotFound: 'the Service it points at does not exist: usually the leftover of an uninstalled extension',
  FailedDiscoveryCheck: 'the API server cannot get a good discovery answer from the backend: network path from the control plane to the pod (firewall, NetworkPolicy, hostNetwork control plane without a route to pod IPs), TLS (caBundle), or the backend itself failing',
  ServiceAccessError: 'the API server could not read the Service or its endpoints',
};

interface Backend { namespace: string; name: string; port?: number }
interface Kept { name: string; group: string; backend: Backend; condition?: { status?: string; reason?: string; message?: string; lastTransitionTime?: string } }

export default defineCheck({
  id: 'apiservice-availability',
  title: 'Aggregated APIs (APIServices) are Available',
  severity: 'critical',
  description:
    'Lists APIServices (apiregistration.k8s.io) and reports every aggregated one (backed by a Service) whose Available ' +
    'condition is not True, with the reason the API server gives (MissingEndpoints, ServiceNotFound, FailedDiscoveryCheck), ' +
    'what breaks because of it (discovery errors in kubectl, namespaces stuck in Terminating, HPA without metrics), ' +
    'and the Service and ready endpoints behind it.',
  // The backends live in their own namespaces whatever -n says. A cluster-wide Service list is never
  // empty (default/kubernetes), so "no Service seen" means Services were not readable.
  rules: {
    apiServiceUnavailable: { description: 'An aggregated APIService is not Available.' },
  },
  needs: { api: ['APIService', { kind: 'Service', optional: true, allNamespaces: true }, { kind: 'EndpointSlice', optional: true, allNamespaces: true }] },
  create(ctx) {
    const unavailable: Kept[] = [];
    // Only the Services behind unavailable APIServices are looked at (APIServices are listed first).
    const wanted = new Map<string, { exists: boolean; ready: number; notReady: number; slices: number }>();
    let servicesSeen = false;
    let slicesSeen = false;
    return {
      APIService(api: V1APIService) {
        const svc = api.spec?.service;
        const name = api.metadata?.name;
        // A local APIService (no service) is served by kube-apiserver itself and always Available.
        if (!svc?.name || !name) return;
        const condition = api.status?.conditions?.find((c) => c.type === 'Available');
        if (condition?.status === 'True') return;
        const backend = { namespace: svc.namespace ?? 'default', name: svc.name, port: svc.port };
        unavailable.push({ name, group: api.spec?.group ?? '', backend, condition: condition && { ...condition, lastTransitionTime: condition.lastTransitionTime as unknown as string } });
        wanted.set(`${backend.namespace}/${backend.name}`, { exists: false, ready: 0, notReady: 0, slices: 0 });
      },
      Service(s: V1Service) {
        servicesSeen = true;
        const w = wanted.get(`${s.metadata?.namespace}/${s.metadata?.name}`);
        if (w) w.exists = true;
      },
      EndpointSlice(slice: V1EndpointSlice) {
        slicesSeen = true;
        const svc = slice.metadata?.labels?.['kubernetes.io/service-name'];
        const w = svc && wanted.get(`${slice.metadata?.namespace}/${svc}`);
        if (!w) return;
        w.slices++;
        for (const e of slice.endpoints ?? []) {
          // Absent "ready" means ready (EndpointSlice API).
          if (e.conditions?.ready === false) w.notReady++;
          else w.ready++;
        }
      },
      finish() {
        for (const a of unavailable) ctx.report(finding(a, wanted.get(`${a.backend.namespace}/${a.backend.name}`)!, servicesSeen, slicesSeen, ctx.now));
      },
    };
  },
});

function finding(a: Kept, backend: { exists: boolean; ready: number; notReady: number; slices: number }, servicesSeen: boolean, slicesSeen: boolean, now: Date): FindingInput {
  const c = a.condition;
  const reason = c ? c.reason ?? '(no reason)' : 'no Available condition reported';
  const effects = [GROUP_EFFECTS[a.group], COMMON_EFFECTS].filter(Boolean).join('; ');
  const svcRef = `${a.backend.namespace}/${a.backend.name}`;
  const since = toMillis(c?.lastTransitionTime);
  const behind = !servicesSeen ? 'Services not readable' : !backend.exists ? `Service ${svcRef} does not exist`
    : !slicesSeen ? `Service ${svcRef} exists (EndpointSlices not readable)`
    : `Service ${svcRef} has ${backend.ready} ready and ${backend.notReady} not-ready endpoint(s)`;
  const hint = c?.reason ? REASON_HINTS[c.reason] : undefined;
  return {
    rule: 'apiServiceUnavailable',
    severity: 'critical',
    target: { kind: 'APIService', name: a.name },
    message: `APIService ${a.name} is not Available (${reason}${c?.message ? `: ${c.message}` : ''}). ${behind}. ` +
      `While it is unavailable: ${effects}.`,
    evidence: {
      group: a.group, condition: c ? { status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime } : null,
      unavailableForSeconds: since !== undefined ? Math.max(0, Math.round((now.getTime() - since) / 1000)) : undefined,
      service: { namespace: a.backend.namespace, name: a.backend.name, port: a.backend.port, exists: servicesSeen ? backend.exists : undefined },
      endpoints: slicesSeen && backend.exists ? { ready: backend.ready, notReady: backend.notReady, slices: backend.slices } : undefined,
    },
    expected: 'condition Available=True',
    actual: `Available=${c?.status ?? 'absent'}${c?.reason ? ` (${c.reason})` : ''}`,
    remediation: {
      summary: hint ? `Fix the backend of ${a.name}: ${hint}; or, if the extension is no longer used, delete the APIService.`
        : `Fix the backend of ${a.name}, or delete the APIService if the extension is no longer used.`,
      steps: [
        `kubectl get apiservice ${a.name} -o yaml   # the condition's message names the failing URL or error`,
        `kubectl -n ${a.backend.namespace} get service ${a.backend.name}; kubectl -n ${a.backend.namespace} get endpointslices -l kubernetes.io/service-name=${a.backend.name}`,
        `kubectl -n ${a.backend.namespace} get pods -o wide   # the extension's pods; then their logs`,
        'FailedDiscoveryCheck with ready endpoints: the control plane must reach the pod IPs on the Service\'s targetPort (firewalls, NetworkPolicy, a control plane outside the pod network needs hostNetwork for the extension or a route); check the APIService caBundle.',
        `No longer needed (an uninstalled extension): kubectl delete apiservice ${a.name} — this also unblocks namespaces stuck in Terminating.`,
      ],
    },
    docs: 'https://kubernetes.io/docs/tasks/extend-kubernetes/configure-aggregation-layer/',
  };
}
