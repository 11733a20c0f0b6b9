// Upstream: https://kubernetes.io/blog/2018/11/07/grpc-load-balancing-on-kubernetes-without-tears/
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { defineCheck } from '../../src/engine/types.js';
import { grpcPort, type GrpcPort } from './protocol.js';
import { runsMeshSidecar } from '../../src/kube/mesh.js';

/** A ClusterIP Service with at least one HTTP/2 port: only what the decision needs. */
interface Candidate {
  namespace: string;
  name: string;
  type: string;
  selector: Record<string, string>;
  ports: GrpcPort[];
  /** Ready endpoint identities per address family: dual-stack Services list every pod twice. */
  ready: Map<string, Set<string>>;
  /** Backing pods (from endpoint targetRefs) → has a mesh sidecar; undefined until the pod is seen. */
  pods: Map<string, boolean | undefined>;
}


export default defineCheck({
  id: 'grpc-load-imbalance',
  title: 'gRPC and HTTP/2 Services spread requests across their endpoints',
  severity: 'warning',
  manifests: true,
  description:
    'Finds non-headless Services whose ports carry gRPC or HTTP/2 (by port name or appProtocol) and have more than ' +
    'one ready endpoint. kube-proxy balances connections, not requests, and gRPC keeps one long-lived connection ' +
    'per client, so each client pins to one pod and new replicas get no traffic. Services whose backing pods run ' +
    'an Istio or Linkerd sidecar are skipped: the mesh balances per request.',
  needs: { api: ['Service', 'EndpointSlice', { kind: 'Pod', optional: true }] },
  create(ctx) {
    const candidates = new Map<string, Candidate>();
    const byPod = new Map<string, Candidate[]>();

    return {
      Service(svc: V1Service) {
        const spec = svc.spec;
        const namespace = svc.metadata?.namespace ?? 'default';
        const name = svc.metadata?.name;
        if (!spec || !name) return;
        // Headless Services hand clients every pod address: client-side balancing is possible there.
        if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return;
        const ports = (spec.ports ?? []).flatMap((p) => grpcPort(p) ?? []);
        if (!ports.length) return;
        candidates.set(`${namespace}/${name}`, {
          namespace, name, type: spec.type ?? 'ClusterIP', selector: spec.selector ?? {}, ports,
          ready: new Map(), pods: new Map(),
        });
      },

      EndpointSlice(slice: V1EndpointSlice) {
        const namespace = slice.metadata?.namespace ?? 'default';
        const service = slice.metadata?.labels?.['kubernetes.io/service-name'];
        const c = service ? candidates.get(`${namespace}/${service}`) : undefined;
        if (!c || !carriesGrpcPort(slice, c)) return;
        const family = slice.addressType ?? 'IPv4';
        let ids = c.ready.get(family);
        if (!ids) c.ready.set(family, (ids = new Set()));
        for (const ep of slice.endpoints ?? []) {
          // A nil ready condition means ready (EndpointConditions API doc); terminating pods say false.
          if (ep.conditions?.ready === false) continue;
          const ref = ep.targetRef?.kind === 'Pod' && ep.targetRef.name ? ep.targetRef : undefined;
          const id = ref ? `pod:${ref.namespace ?? namespace}/${ref.name}` : `ip:${ep.addresses?.[0] ?? ''}`;
          ids.add(id);
          if (ref) {
            const key = `${ref.namespace ?? namespace}/${ref.name}`;
            if (!c.pods.has(key)) {
              c.pods.set(key, undefined);
              byPod.set(key, [...(byPod.get(key) ?? []), c]);
            }
          }
        }
      },

      Pod(pod: V1Pod) {
        const key = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name}`;
        const owners = byPod.get(key);
        if (!owners) return;
        const meshed = runsMeshSidecar(pod);
        for (const c of owners) c.pods.set(key, meshed);
      },

      finish() {
        for (const c of candidates.values()) {
          const readyEndpoints = Math.max(0, ...[...c.ready.values()].map((s) => s.size));
          if (readyEndpoints < 2) continue;
          // Pods seen between the two lists decide; one that vanished in between does not make it unknown.
          const seen = [...c.pods.values()].filter((m): m is boolean => m !== undefined);
          const meshed = seen.filter(Boolean).length;
          if (seen.length > 0 && meshed === seen.length) continue;
          const mesh = seen.length === 0 ? (c.pods.size === 0 ? 'not pods' : 'unknown') : meshed > 0 ? 'partial' : false;
          report(c, readyEndpoints, mesh);
        }
      },
    };

    function report(c: Candidate, readyEndpoints: number, mesh: false | 'partial' | 'unknown' | 'not pods') {
      const first = c.ports[0]!;
      const portList = c.ports.map((p) => `${p.name || p.port} (${p.port})`).join(', ');
      const selector = Object.entries(c.selector).map(([k, v]) => `${k}=${v}`).join(',');
      const fqdn = `${c.name}.${c.namespace}.svc.cluster.local`;
      ctx.report({
        severity: 'warning',
        target: { kind: 'Service', name: c.name, namespace: c.namespace },
        message: `Service ${c.namespace}/${c.name} carries HTTP/2 on port ${portList} and balances it per connection ` +
          `across ${readyEndpoints} ready endpoints: each client pins to one pod` +
          (mesh === 'unknown' ? ' (mesh sidecars could not be checked: the backing pods could not be read)' : '') +
          (mesh === 'partial' ? ' (only some backing pods run a mesh sidecar)' : ''),
        evidence: {
          type: c.type,
          ports: c.ports.map((p) => ({ name: p.name, port: p.port, appProtocol: p.appProtocol ?? null, matchedBy: p.matchedBy })),
          readyEndpoints,
          backingPods: c.pods.size,
          meshSidecar: mesh,
        },
        expected: `requests spread over all ${readyEndpoints} endpoints (per-request balancing)`,
        actual: 'one connection per client, balanced once at connect time by kube-proxy (L4)',
        remediation: {
          summary: `Balance ${c.namespace}/${c.name} per request: headless Service with client-side round_robin, a mesh, or server MAX_CONNECTION_AGE`,
          steps: [
            `Confirm the skew: kubectl -n ${c.namespace} top pods${selector ? ` -l ${selector}` : ''} (one or two pods busy, the rest idle).`,
            `Client-side balancing: add a headless Service (clusterIP: None) named ${c.name}-headless with the same selector and port ${first.port}, ` +
              `then point clients at dns:///${c.name}-headless.${c.namespace}.svc.cluster.local:${first.port} with the round_robin load-balancing policy ` +
              '(clusterIP cannot be changed in place: a new Service avoids an outage).',
            `Or server-side: set MAX_CONNECTION_AGE (e.g. 30s) and MAX_CONNECTION_AGE_GRACE on the gRPC server behind ${fqdn}, ` +
              'so clients reconnect and re-spread as pods come and go (gRFC A9).',
            `Or inject a mesh sidecar (Linkerd or Istio) into the clients and the pods behind ${c.namespace}/${c.name}: it balances each request.`,
          ],
        },
        docs: 'https://kubernetes.io/blog/2018/11/07/grpc-load-balancing-on-kubernetes-without-tears/',
      });
    }
  },
});

function carriesGrpcPort(slice: V1EndpointSlice, c: Candidate): boolean {
  // No ports listed means the slice applies to all of the Service's ports.
  if (!slice.ports?.length) return true;
  return slice.ports.some((p) => c.ports.some((g) => (p.name ?? '') === g.name));
}
