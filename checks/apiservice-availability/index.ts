// Upstream: kube-aggregator pkg/controllers/status (AvailableConditionController); check-facts §14 (APIService).
import type { V1APIService, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { defineCheck, reporter } from '../../src/check.js';
import { toMillis } from '../../src/kube/resources.js';
import { rules } from './messages.js';

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
  rules,
  needs: { api: ['APIService', { kind: 'Service', optional: true, allNamespaces: true }, { kind: 'EndpointSlice', optional: true, allNamespaces: true }] },
  create(ctx) {
    const say = reporter(ctx, rules);
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
        for (const a of unavailable) report(a, wanted.get(`${a.backend.namespace}/${a.backend.name}`)!);
      },
    };

    function report(a: Kept, backend: { exists: boolean; ready: number; notReady: number; slices: number }): void {
      const c = a.condition;
      const since = toMillis(c?.lastTransitionTime);
      say('apiServiceUnavailable', {
        severity: 'critical',
        target: { kind: 'APIService', name: a.name },
        evidence: {
          group: a.group, condition: c ? { status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime } : null,
          unavailableForSeconds: since !== undefined ? Math.max(0, Math.round((ctx.now.getTime() - since) / 1000)) : undefined,
          service: { namespace: a.backend.namespace, name: a.backend.name, port: a.backend.port, exists: servicesSeen ? backend.exists : undefined },
          endpoints: slicesSeen && backend.exists ? { ready: backend.ready, notReady: backend.notReady, slices: backend.slices } : undefined,
        },
      }, { ...a, service: servicesSeen ? { exists: backend.exists, ready: backend.ready, notReady: backend.notReady, slicesReadable: slicesSeen } : undefined });
    }
  },
});
