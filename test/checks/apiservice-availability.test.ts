import { describe, expect, it } from '@jest/globals';
import type { V1APIService, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import check from '../../checks/apiservice-availability/index.js';
import { runCheck } from '../../src/check.js';

const NOW = new Date('2026-11-25T12:00:00Z');

function apiService(name: string, o: { svc?: { namespace: string; name: string }; status?: string; reason?: string; message?: string; noCondition?: boolean } = {}): V1APIService {
  const [version, ...group] = name.split('.');
  return {
    metadata: { name },
    spec: { group: group.join('.'), version, groupPriorityMinimum: 100, versionPriority: 100, ...(o.svc ? { service: { ...o.svc, port: 443 } } : {}) },
    status: o.noCondition ? {} : {
      conditions: [{ type: 'Available', status: o.status ?? 'True', reason: o.reason ?? 'Passed', message: o.message ?? 'all checks passed', lastTransitionTime: '2026-11-25T11:00:00Z' as unknown as Date }],
    },
  } as V1APIService;
}
const service = (namespace: string, name: string): V1Service => ({ metadata: { namespace, name }, spec: { ports: [{ port: 443 }] } });
const slice = (namespace: string, svc: string, ready: boolean[]): V1EndpointSlice => ({
  metadata: { namespace, name: `${svc}-abcde`, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: ready.map((r, i) => ({ addresses: [`10.244.1.${i + 2}`], conditions: { ready: r } })),
});
const metricsSvc = { namespace: 'kube-system', name: 'metrics-server' };

describe('apiservice-availability', () => {
  it('passes on local and Available aggregated APIServices', async () => {
    const { result, findings } = await runCheck(check, {
      now: NOW,
      objects: {
        APIService: [apiService('v1.apps'), apiService('v1beta1.metrics.k8s.io', { svc: metricsSvc })],
        Service: [service('kube-system', 'metrics-server')],
        EndpointSlice: [slice('kube-system', 'metrics-server', [true])],
      },
    });
    expect(result.status).toBe('pass');
    expect(findings).toEqual([]);
  });

  it('reports FailedDiscoveryCheck with the backend, its ready endpoints and what breaks (HPA for metrics.k8s.io)', async () => {
    const message = 'failing or missing response from https://10.244.1.2:10250/apis/metrics.k8s.io/v1beta1: context deadline exceeded';
    const { result, findings } = await runCheck(check, {
      now: NOW,
      objects: {
        APIService: [apiService('v1beta1.metrics.k8s.io', { svc: metricsSvc, status: 'False', reason: 'FailedDiscoveryCheck', message })],
        Service: [service('kube-system', 'metrics-server'), service('kube-system', 'other')],
        EndpointSlice: [slice('kube-system', 'metrics-server', [true, false]), slice('kube-system', 'other', [true])],
      },
    });
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({ check: 'apiservice-availability', rule: 'apiServiceUnavailable', severity: 'critical', target: { kind: 'APIService', name: 'v1beta1.metrics.k8s.io' } });
    expect(f.message).toContain('FailedDiscoveryCheck: failing or missing response');
    expect(f.message).toContain('1 ready and 1 not-ready');
    expect(f.message).toContain('HorizontalPodAutoscalers');
    expect(f.message).toContain('Terminating');
    expect(f.evidence).toMatchObject({ unavailableForSeconds: 3600, service: { exists: true }, endpoints: { ready: 1, notReady: 1, slices: 1 } });
    expect(f.remediation.summary).toContain('network path');
  });

  it('names a missing Service (ServiceNotFound: the leftover of an uninstall) and suggests deleting the APIService', async () => {
    const { findings } = await runCheck(check, {
      objects: {
        APIService: [apiService('v1beta1.custom.metrics.k8s.io', { svc: { namespace: 'monitoring', name: 'prometheus-adapter' }, status: 'False', reason: 'ServiceNotFound', message: 'service/prometheus-adapter in "monitoring" is not present' })],
        Service: [service('default', 'kubernetes')], EndpointSlice: [],
      },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('Service monitoring/prometheus-adapter does not exist');
    expect(findings[0]!.message).toContain('custom metrics');
    expect(findings[0]!.remediation.steps?.join('\n')).toContain('kubectl delete apiservice v1beta1.custom.metrics.k8s.io');
  });

  it('reports an APIService with no Available condition, and still judges when Services and EndpointSlices are forbidden', async () => {
    const { result, findings } = await runCheck(check, {
      objects: { APIService: [apiService('v1alpha1.example.io', { svc: { namespace: 'ex', name: 'ex' }, noCondition: true })] },
      unavailable: { Service: 'forbidden', EndpointSlice: 'forbidden' },
    });
    expect(result.status).toBe('fail');
    expect(findings[0]!.actual).toBe('Available=absent');
    expect(findings[0]!.message).toContain('Services not readable');
    expect(findings[0]!.evidence).toMatchObject({ service: { exists: undefined }, endpoints: undefined });
  });

  it('is skipped with the reason when APIServices cannot be listed', async () => {
    const { result } = await runCheck(check, { objects: {}, unavailable: { APIService: 'forbidden' } });
    expect(result).toMatchObject({ status: 'skip', reason: 'forbidden: apiservices.apiregistration.k8s.io' });
  });
});
