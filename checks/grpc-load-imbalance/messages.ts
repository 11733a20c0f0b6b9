// The rules of grpc-load-imbalance and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';
import type { GrpcPort } from './protocol.js';

export type Mesh = false | 'partial' | 'unknown' | 'not pods';

export interface Imbalance {
  namespace: string;
  name: string;
  selector: Record<string, string>;
  ports: GrpcPort[];
  readyEndpoints: number;
  mesh: Mesh;
}

export const rules = {
  http2PerConnectionBalancing: {
    description: 'gRPC/HTTP2 behind a ClusterIP is balanced per connection, pinning each client to one backend.',
    message: (c: Imbalance): Wording => {
      const first = c.ports[0]!;
      const portList = c.ports.map((p) => `${p.name || p.port} (${p.port})`).join(', ');
      const selector = Object.entries(c.selector).map(([k, v]) => `${k}=${v}`).join(',');
      const fqdn = `${c.name}.${c.namespace}.svc.cluster.local`;
      return {
        message: `Service ${c.namespace}/${c.name} carries HTTP/2 on port ${portList} and balances it per connection ` +
          `across ${c.readyEndpoints} ready endpoints: each client pins to one pod` +
          (c.mesh === 'unknown' ? ' (mesh sidecars could not be checked: the backing pods could not be read)' : '') +
          (c.mesh === 'partial' ? ' (only some backing pods run a mesh sidecar)' : ''),
        expected: `requests spread over all ${c.readyEndpoints} endpoints (per-request balancing)`,
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
      };
    },
  },
};
