// The rules of apiservice-availability and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';

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

export interface Unavailable {
  name: string;
  group: string;
  backend: { namespace: string; name: string };
  /** The Available condition, when the API server reported one. */
  condition?: { status?: string; reason?: string; message?: string };
  /** What the Service and its endpoints showed: unreadable (undefined) or what was counted. */
  service?: { exists: boolean; ready: number; notReady: number; slicesReadable: boolean };
}

export const rules = {
  apiServiceUnavailable: {
    description: 'An aggregated APIService is not Available.',
    message: (a: Unavailable): Wording => {
      const c = a.condition;
      const reason = c ? c.reason ?? '(no reason)' : 'no Available condition reported';
      const effects = [GROUP_EFFECTS[a.group], COMMON_EFFECTS].filter(Boolean).join('; ');
      const svcRef = `${a.backend.namespace}/${a.backend.name}`;
      const s = a.service;
      const behind = !s ? 'Services not readable' : !s.exists ? `Service ${svcRef} does not exist`
        : !s.slicesReadable ? `Service ${svcRef} exists (EndpointSlices not readable)`
        : `Service ${svcRef} has ${s.ready} ready and ${s.notReady} not-ready endpoint(s)`;
      const hint = c?.reason ? REASON_HINTS[c.reason] : undefined;
      return {
        message: `APIService ${a.name} is not Available (${reason}${c?.message ? `: ${c.message}` : ''}). ${behind}. ` +
          `While it is unavailable: ${effects}.`,
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
    },
  },
};
