// Upstream: https://kubernetes.io/blog/2018/11/07/grpc-load-balancing-on-kubernetes-without-tears/
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { defineCheck, reporter } from '../../src/check.js';
import { rules, type Mesh } from './messages.js';
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

/** Ready endpoints from which per-connection balancing is reported: two is the first count that can be unequal. */
const MIN_READY_ENDPOINTS = 2;

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
  rules,
  needs: { api: ['Service', 'EndpointSlice', { kind: 'Pod', optional: true }] },
  // Which ports carry HTTP/2 (protocol.ts) and what counts as ready are protocol and API facts, not settings.
  settings: {
    minReadyEndpoints: {
      type: 'number', default: MIN_READY_ENDPOINTS, min: 2, max: 10_000,
      description: 'Ready endpoints a gRPC/HTTP2 Service needs before its per-connection balancing is reported (below 2 there is nothing to spread).',
    },
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const minReady = Number(ctx.options.minReadyEndpoints);
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
          if (readyEndpoints < minReady) continue;
          // Pods seen between the two lists decide; one that vanished in between does not make it unknown.
          const seen = [...c.pods.values()].filter((m): m is boolean => m !== undefined);
          const meshed = seen.filter(Boolean).length;
          if (seen.length > 0 && meshed === seen.length) continue;
          const mesh = seen.length === 0 ? (c.pods.size === 0 ? 'not pods' : 'unknown') : meshed > 0 ? 'partial' : false;
          report(c, readyEndpoints, mesh);
        }
      },
    };

    function report(c: Candidate, readyEndpoints: number, mesh: Mesh) {
      say('http2PerConnectionBalancing', {
        severity: 'warning',
        target: { kind: 'Service', name: c.name, namespace: c.namespace },
        evidence: {
          type: c.type,
          ports: c.ports.map((p) => ({ name: p.name, port: p.port, appProtocol: p.appProtocol ?? null, matchedBy: p.matchedBy })),
          readyEndpoints,
          backingPods: c.pods.size,
          meshSidecar: mesh,
        },
      }, { ...c, readyEndpoints, mesh });
    }
  },
});

function carriesGrpcPort(slice: V1EndpointSlice, c: Candidate): boolean {
  // No ports listed means the slice applies to all of the Service's ports.
  if (!slice.ports?.length) return true;
  return slice.ports.some((p) => c.ports.some((g) => (p.name ?? '') === g.name));
}
