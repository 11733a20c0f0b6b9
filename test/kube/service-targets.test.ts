import { describe, expect, it } from '@jest/globals';
import type { V1Container, V1PodSpec, V1Service } from '@kubernetes/client-node';
import { serviceTargetPorts, serviceTargets, type ServicePorts } from '../../src/kube/service-targets.js';

const c = (name: string, ports: [string | undefined, number][] = [], extra: Partial<V1Container> = {}): V1Container =>
  ({ name, image: `${name}:1`, ports: ports.map(([n, p]) => ({ ...(n ? { name: n } : {}), containerPort: p })), ...extra });
const sidecar = (name: string, ports: [string | undefined, number][] = []) => c(name, ports, { restartPolicy: 'Always' });
const svc = (name: string, ...targetPorts: (number | string)[]): ServicePorts => ({ name, targetPorts });
/** "container[services]" per returned container, native sidecars marked with a *. */
const show = (spec: V1PodSpec, services: ServicePorts[]) =>
  serviceTargets(spec, services).map((t) => `${t.container.name}${t.nativeSidecar ? '*' : ''}[${t.services.join(',')}]`);

describe('serviceTargets', () => {
  it.each<[string, V1PodSpec, ServicePorts[], string[]]>([
    ['a target port by name', { containers: [c('web', [['http', 8080]]), c('metrics', [['metrics', 9090]])] }, [svc('web', 'http')], ['web[web]', 'metrics[]']],
    ['a target port by number', { containers: [c('web', [['http', 8080]]), c('metrics', [[undefined, 9090]])] }, [svc('prom', 9090)], ['web[]', 'metrics[prom]']],
    ['no container declares it: every regular non-mesh container', {
      containers: [c('web'), c('log-shipper'), c('istio-proxy', [['http-envoy-prom', 15090]])],
      initContainers: [sidecar('vault-agent')],
    }, [svc('web', 8080)], ['vault-agent*[]', 'web[web]', 'log-shipper[web]']],
    ['each Service on its own: one matched, the other falls back', { containers: [c('web', [['http', 8080]]), c('worker')] }, [svc('web', 'http'), svc('legacy', 7000)],
      ['web[web,legacy]', 'worker[legacy]']],
    ['a native sidecar that declares the port', { containers: [c('web', [['http', 8080]])], initContainers: [sidecar('edge', [['https', 8443]])] }, [svc('public', 'https')],
      ['edge*[public]', 'web[]']],
    ['regular init containers never serve', { containers: [c('web')], initContainers: [c('migrate', [['db', 5432]])] }, [svc('db', 'db')], ['web[db]']],
    ['a Service that targets only the mesh proxy reaches none of the others', {
      containers: [c('web'), c('istio-proxy', [['http-envoy-prom', 15090]])], initContainers: [sidecar('linkerd-proxy', [['linkerd-admin', 4191]])],
    }, [svc('envoy-metrics', 15090), svc('linkerd-admin', 'linkerd-admin')], ['web[]']],
    ['no Services: every long-running container, none reached', { containers: [c('web', [['http', 8080]])] }, [], ['web[]']],
    ['a Service with two ports to the same container is named once', { containers: [c('web', [['http', 8080], ['grpc', 9090]])] }, [svc('web', 'http', 9090)], ['web[web]']],
  ])('%s', (_, spec, services, want) => {
    expect(show(spec, services)).toEqual(want);
  });
});

describe('serviceTargetPorts', () => {
  it('takes targetPort, else port; a numeric string is a number', () => {
    const s = { spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 443 }, { port: 9000, targetPort: '9001' }, { port: 53, targetPort: 5353 }] } } as unknown as V1Service;
    expect(serviceTargetPorts(s)).toEqual(['http', 443, 9001, 5353]);
  });
});
