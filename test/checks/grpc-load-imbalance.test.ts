import { describe, expect, it } from '@jest/globals';
import type { V1EndpointSlice, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import check from '../../checks/grpc-load-imbalance/index.js';
import { runCheck } from '../../src/check.js';

const NS = 'payments';

function service(name: string, ports: V1ServicePort[], spec: Partial<V1Service['spec']> = {}): V1Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: NS, uid: `uid-${name}` },
    spec: { type: 'ClusterIP', clusterIP: '10.96.12.7', selector: { app: name }, ports, ...spec },
  };
}

interface Ep { pod?: string; ip: string; ready?: boolean | null; terminating?: boolean }

function slice(svc: string, suffix: string, eps: Ep[], opts: { family?: string; ports?: { name: string; port: number }[] | null } = {}): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${svc}-${suffix}`, namespace: NS, labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: opts.family ?? 'IPv4',
    ports: opts.ports === null ? undefined : (opts.ports ?? [{ name: 'grpc', port: 50051 }]).map((p) => ({ ...p, protocol: 'TCP' })),
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: e.ready === null ? {} : { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.pod ? { targetRef: { kind: 'Pod', namespace: NS, name: e.pod, uid: `uid-${e.pod}` } } : {}),
      nodeName: 'node-a',
    })),
  };
}

function pod(name: string, opts: { sidecar?: string; nativeSidecar?: string; annotations?: Record<string, string>; labels?: Record<string, string> } = {}): V1Pod {
  const containers = [{ name: 'server', image: 'registry.example/payments/ledger:2.4.1', ports: [{ name: 'grpc', containerPort: 50051 }] }];
  if (opts.sidecar) containers.push({ name: opts.sidecar, image: `mesh/${opts.sidecar}:1.22`, ports: [] });
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS, annotations: opts.annotations, labels: { app: 'ledger', ...opts.labels } },
    spec: {
      containers,
      ...(opts.nativeSidecar ? { initContainers: [{ name: opts.nativeSidecar, image: 'istio/proxyv2:1.24', restartPolicy: 'Always' }] } : {}),
    },
    status: { phase: 'Running' },
  };
}

const grpc: V1ServicePort = { name: 'grpc', port: 50051, targetPort: 'grpc', protocol: 'TCP' };
const three = [{ pod: 'ledger-7d9-a', ip: '10.244.1.5' }, { pod: 'ledger-7d9-b', ip: '10.244.2.9' }, { pod: 'ledger-7d9-c', ip: '10.244.3.4' }];
const threePods = three.map((e) => pod(e.pod));

describe('grpc-load-imbalance', () => {
  describe('flags HTTP/2 Services balanced per connection', () => {
    it.each<[string, V1ServicePort, string]>([
      ['port name grpc', grpc, 'name'],
      ['port name grpc-<suffix> (Istio convention)', { name: 'grpc-ledger', port: 50051, protocol: 'TCP' }, 'name'],
      ['port name http2', { name: 'http2', port: 8080 }, 'name'],
      ['port name h2c-api', { name: 'h2c-api', port: 8080 }, 'name'],
      ['appProtocol grpc on an unnamed-looking port', { name: 'api', port: 9000, appProtocol: 'grpc' }, 'appProtocol'],
      ['appProtocol kubernetes.io/h2c', { name: 'web', port: 8080, appProtocol: 'kubernetes.io/h2c' }, 'appProtocol'],
    ])('%s', async (_label, port, matchedBy) => {
      const name = port.name!;
      const { result, findings } = await runCheck(check, {
        objects: {
          Service: [service('ledger', [port])],
          EndpointSlice: [slice('ledger', 'x1', three, { ports: [{ name, port: port.port }] })],
          Pod: threePods,
        },
      });
      expect(result.status).toBe('fail');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        check: 'grpc-load-imbalance', severity: 'warning',
        target: { kind: 'Service', name: 'ledger', namespace: NS },
        evidence: { readyEndpoints: 3, backingPods: 3, meshSidecar: false, ports: [{ name, port: port.port, matchedBy }] },
      });
      expect(findings[0]!.remediation.steps!.join('\n')).toContain(`dns:///ledger-headless.${NS}.svc.cluster.local:${port.port}`);
      expect(findings[0]!.remediation.steps!.join('\n')).toContain('kubectl -n payments top pods -l app=ledger');
    });

    it('joins the slices of one Service and counts each pod once across dual-stack families', async () => {
      const v6 = three.map((e, i) => ({ ...e, ip: `fd00:10:244::${i + 1}` }));
      const { findings } = await runCheck(check, {
        objects: {
          Service: [service('ledger', [grpc], { type: 'LoadBalancer' })],
          EndpointSlice: [
            slice('ledger', 'v4a', three.slice(0, 2)), slice('ledger', 'v4b', three.slice(2)),
            slice('ledger', 'v6', v6, { family: 'IPv6' }),
          ],
          Pod: threePods,
        },
      });
      expect(findings).toHaveLength(1);
      expect(findings[0]!.evidence).toMatchObject({ readyEndpoints: 3, type: 'LoadBalancer' });
    });

    it('treats a missing ready condition as ready, and skips terminating endpoints', async () => {
      const { findings } = await runCheck(check, {
        objects: {
          Service: [service('ledger', [grpc])],
          EndpointSlice: [slice('ledger', 'x1', [
            { pod: 'ledger-7d9-a', ip: '10.244.1.5', ready: null },
            { pod: 'ledger-7d9-b', ip: '10.244.2.9' },
            { pod: 'ledger-6c1-z', ip: '10.244.2.3', ready: false, terminating: true },
          ])],
          Pod: threePods,
        },
      });
      expect(findings[0]!.evidence).toMatchObject({ readyEndpoints: 2, backingPods: 2 });
    });

    it('says when the backing pods could not be read instead of assuming no mesh', async () => {
      const { result, findings } = await runCheck(check, {
        objects: { Service: [service('ledger', [grpc])], EndpointSlice: [slice('ledger', 'x1', three)] },
        unavailable: { Pod: 'forbidden' },
      });
      expect(result.status).toBe('fail');
      expect(findings[0]!.evidence).toMatchObject({ meshSidecar: 'unknown' });
      expect(findings[0]!.message).toContain('could not be read');
    });

    it('still flags a Service when only some pods run a sidecar', async () => {
      const { findings } = await runCheck(check, {
        objects: {
          Service: [service('ledger', [grpc])],
          EndpointSlice: [slice('ledger', 'x1', three)],
          Pod: [pod('ledger-7d9-a', { sidecar: 'istio-proxy' }), pod('ledger-7d9-b'), pod('ledger-7d9-c')],
        },
      });
      expect(findings[0]!.evidence).toMatchObject({ meshSidecar: 'partial' });
    });

    it('counts endpoints without pods (manually managed slices)', async () => {
      const { findings } = await runCheck(check, {
        objects: {
          Service: [service('legacy-grpc', [grpc], { selector: undefined })],
          EndpointSlice: [slice('legacy-grpc', 'manual', [{ ip: '192.0.2.10' }, { ip: '192.0.2.11' }])],
        },
      });
      expect(findings).toHaveLength(1);
      expect(findings[0]!.evidence).toMatchObject({ readyEndpoints: 2, meshSidecar: 'not pods' });
    });

    it('setting minReadyEndpoints moves the line', async () => {
      const objects = { Service: [service('ledger', [grpc])], EndpointSlice: [slice('ledger', 'x1', three)], Pod: threePods };
      const at = async (options?: Record<string, number>) => (await runCheck(check, { objects, options })).findings.map((f) => f.evidence?.readyEndpoints);
      expect(await at()).toEqual([3]);
      expect(await at({ minReadyEndpoints: 3 })).toEqual([3]);
      expect(await at({ minReadyEndpoints: 4 })).toEqual([]);
    });
  });

  describe('passes', () => {
    it.each<[string, V1Service, V1EndpointSlice[], V1Pod[]]>([
      ['a headless Service (client-side balancing is possible)', service('ledger', [grpc], { clusterIP: 'None' }), [slice('ledger', 'x1', three)], threePods],
      ['a single ready endpoint', service('ledger', [grpc]), [slice('ledger', 'x1', three.slice(0, 1))], threePods],
      ['one ready endpoint plus not-ready ones', service('ledger', [grpc]), [slice('ledger', 'x1', [three[0]!, { ...three[1]!, ready: false }, { ...three[2]!, ready: false }])], threePods],
      ['no endpoints at all', service('ledger', [grpc]), [], []],
      ['plain HTTP/1 ports', service('ledger', [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }]), [slice('ledger', 'x1', three, { ports: [{ name: 'http', port: 80 }] })], threePods],
      ['a port named grpc whose appProtocol says otherwise (appProtocol wins)', service('ledger', [{ name: 'grpc', port: 50051, appProtocol: 'tcp' }]), [slice('ledger', 'x1', three)], threePods],
      ['a name that only contains http2 in the middle', service('ledger', [{ name: 'not-http2', port: 8080 }]), [slice('ledger', 'x1', three, { ports: [{ name: 'not-http2', port: 8080 }] })], threePods],
      ['a UDP port named grpc', service('ledger', [{ name: 'grpc', port: 50051, protocol: 'UDP' }]), [slice('ledger', 'x1', three)], threePods],
      ['an ExternalName Service', service('ledger', [grpc], { type: 'ExternalName', externalName: 'ledger.example.com', clusterIP: undefined }), [], []],
      ['pods with an istio-proxy sidecar', service('ledger', [grpc]), [slice('ledger', 'x1', three)], three.map((e) => pod(e.pod!, { sidecar: 'istio-proxy' }))],
      ['pods with a linkerd-proxy sidecar', service('ledger', [grpc]), [slice('ledger', 'x1', three)], three.map((e) => pod(e.pod!, { sidecar: 'linkerd-proxy' }))],
      ['pods with istio-proxy as a native sidecar (init container)', service('ledger', [grpc]), [slice('ledger', 'x1', three)], three.map((e) => pod(e.pod!, { nativeSidecar: 'istio-proxy' }))],
      ['pods annotated linkerd.io/inject: enabled', service('ledger', [grpc]), [slice('ledger', 'x1', three)], three.map((e) => pod(e.pod!, { annotations: { 'linkerd.io/inject': 'enabled' } }))],
      ['pods annotated linkerd.io/inject: ingress (ingress mode injects the proxy too)', service('ledger', [grpc]), [slice('ledger', 'x1', three)], three.map((e) => pod(e.pod!, { annotations: { 'linkerd.io/inject': 'ingress' } }))],
      ['pods labelled sidecar.istio.io/inject: "true"', service('ledger', [grpc]), [slice('ledger', 'x1', three)], three.map((e) => pod(e.pod!, { labels: { 'sidecar.istio.io/inject': 'true' } }))],
    ])('%s', async (_label, svc, slices, pods) => {
      const { result, findings } = await runCheck(check, { objects: { Service: [svc], EndpointSlice: slices, Pod: pods } });
      expect(findings).toEqual([]);
      expect(result.status).toBe('pass');
    });

    it('only counts slices that carry the gRPC port of a multi-port Service', async () => {
      const svc = service('ledger', [grpc, { name: 'http', port: 8080 }]);
      const { findings } = await runCheck(check, {
        objects: {
          Service: [svc],
          EndpointSlice: [
            slice('ledger', 'grpc', three.slice(0, 1), { ports: [{ name: 'grpc', port: 50051 }, { name: 'http', port: 8080 }] }),
            slice('ledger', 'http', three.slice(1), { ports: [{ name: 'http', port: 8080 }] }),
          ],
          Pod: threePods,
        },
      });
      expect(findings).toEqual([]);
    });

    it('does not let ambient-mode labels (ztunnel is L4 only) suppress the finding', async () => {
      const { findings } = await runCheck(check, {
        objects: {
          Service: [service('ledger', [grpc])],
          EndpointSlice: [slice('ledger', 'x1', three)],
          Pod: three.map((e) => pod(e.pod!, { labels: { 'istio.io/dataplane-mode': 'ambient' } })),
        },
      });
      expect(findings).toHaveLength(1);
    });
  });
});
