// The boundary shape check (src/kube/validate.ts): real objects pass, a wrongly typed field a check
// reads is named in the problem, absent and null fields are fine, numbers are allowed where the API
// allows them (quantities, int-or-string ports).
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { objectProblem } from '../../src/kube/validate.js';
import { DEMO_DIR } from '../support/demo-cluster.js';

const pod = (container: Record<string, unknown>, status?: unknown) =>
  ({ metadata: { name: 'p', namespace: 'a' }, spec: { containers: [{ name: 'app', ...container }] }, ...(status === undefined ? {} : { status }) });

describe('objectProblem', () => {
  it('accepts every object of the demo cluster, of every kind', () => {
    let n = 0;
    for (const file of readdirSync(join(DEMO_DIR, 'api'))) {
      const kind = file.replace(/\.jsonl$/, '');
      for (const line of readFileSync(join(DEMO_DIR, 'api', file), 'utf8').split('\n').filter(Boolean)) {
        expect([kind, objectProblem(JSON.parse(line), kind)]).toEqual([kind, null]);
        n++;
      }
    }
    expect(n).toBeGreaterThan(50);
  });

  it('names the wrongly typed field, with the container it is in', () => {
    expect(objectProblem(pod({ command: ['java', 5] }), 'Pod')).toBe('spec.containers[app].command[1] is not a string');
    expect(objectProblem(pod({ env: [{ name: 'X', value: { toString: [] } }] }), 'Pod')).toBe('spec.containers[app].env[X].value is not a string');
    expect(objectProblem(pod({ ports: [{ name: 7, containerPort: 80 }] }), 'Pod')).toBe('spec.containers[app].ports[0].name is not a string');
    expect(objectProblem(pod({ image: ['x'] }), 'Pod')).toBe('spec.containers[app].image is not a string');
    expect(objectProblem(pod({ volumeMounts: [null] }), 'Pod')).toBe('spec.containers[app].volumeMounts[0] is empty');
    expect(objectProblem(pod({}, { containerStatuses: { 0: {} } }), 'Pod')).toBe('status.containerStatuses is not a list');
    expect(objectProblem(pod({}, { containerStatuses: [{ name: {} }] }), 'Pod')).toBe('status.containerStatuses[0].name is not a string');
    expect(objectProblem({ metadata: { name: 'e' }, message: 42 }, 'Event')).toBe('message is not a string');
    expect(objectProblem({ spec: { ports: [{ name: 'grpc', appProtocol: true, port: 80 }] } }, 'Service')).toBe('spec.ports[grpc].appProtocol is not a string');
    expect(objectProblem({ status: { nodeInfo: { containerRuntimeVersion: {} } } }, 'Node')).toBe('status.nodeInfo[containerRuntimeVersion] is not a string');
    expect(objectProblem({ status: { allocatable: { memory: false } } }, 'Node')).toBe('status.allocatable[memory] is not a quantity');
    expect(objectProblem({ spec: { template: { spec: { containers: [{ name: 'c', args: 'x' }] } } } }, 'Deployment')).toBe('spec.template.spec.containers[c].args is not a list');
  });

  it('allows what the API allows: absent and null fields, numeric quantities, int-or-string ports, unknown fields', () => {
    expect(objectProblem(pod({ command: null, env: [{ name: 'X' }], resources: { limits: { memory: 512, cpu: '1' } } }, { containerStatuses: null }), 'Pod')).toBeNull();
    expect(objectProblem(pod({ livenessProbe: { httpGet: { path: '/', port: 'http' } }, readinessProbe: { tcpSocket: { port: 8080 } }, somethingNew: [1, 2] }), 'Pod')).toBeNull();
    expect(objectProblem({ spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] } }, 'Service')).toBeNull();
    // A kind without a shape table: only the generic checks.
    expect(objectProblem({ metadata: { name: 'x' }, spec: { anything: 1 } }, 'Widget')).toBeNull();
  });

  it('reads own fields only: a key named like an Object.prototype member is data', () => {
    expect(objectProblem(pod({ toString: 5, constructor: 'x' }), 'Pod')).toBeNull();
    expect(objectProblem({ metadata: { name: 'e' }, involvedObject: JSON.parse('{"__proto__": {"name": 5}}') }, 'Event')).toBeNull();
  });

  // The kinds read by one or two checks each: a well-formed object passes, a wrongly typed field a
  // check reads is named with its path.
  const WELL_FORMED: Record<string, Record<string, unknown>> = {
    HorizontalPodAutoscaler: {
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 8,
        behavior: { scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
      },
    },
    APIService: {
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: { group: 'metrics.k8s.io', version: 'v1beta1', service: { namespace: 'kube-system', name: 'metrics-server', port: 443 } },
      status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    },
    Lease: { metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.123456Z' } },
    Endpoints: {
      metadata: { name: 'web', namespace: 'shop' },
      subsets: [{ addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', name: 'web-1' } }], notReadyAddresses: [{ ip: '10.0.0.2' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
    },
    PersistentVolume: { metadata: { name: 'pv1' }, spec: { hostPath: { path: '/var/log/app', type: 'DirectoryOrCreate' } } },
    NodeMetrics: { metadata: { name: 'n1' }, timestamp: '2026-01-01T00:00:00Z', window: '10.5s', usage: { cpu: '612943218n', memory: '4031288Ki' } },
    Namespace: { metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' }, annotations: { 'linkerd.io/inject': 'enabled' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  };

  it.each(Object.entries(WELL_FORMED))('accepts a well-formed %s', (kind, obj) => {
    expect(objectProblem(obj, kind)).toBeNull();
  });

  it.each([
    ['HorizontalPodAutoscaler', { spec: { scaleTargetRef: { kind: 'Deployment', name: 7 } } }, 'spec.scaleTargetRef.name is not a string'],
    ['HorizontalPodAutoscaler', { spec: { minReplicas: '2' } }, 'spec.minReplicas is not a number'],
    ['HorizontalPodAutoscaler', { spec: { behavior: { scaleDown: { policies: { type: 'Pods' } } } } }, 'spec.behavior.scaleDown.policies is not a list'],
    ['HorizontalPodAutoscaler', { spec: { behavior: { scaleDown: { policies: [{ type: 'Pods', value: '1', periodSeconds: 60 }] } } } }, 'spec.behavior.scaleDown.policies[0].value is not a number'],
    ['APIService', { spec: { service: { name: 'metrics-server', port: '443' } } }, 'spec.service.port is not a number'],
    ['APIService', { status: { conditions: { type: 'Available' } } }, 'status.conditions is not a list'],
    ['APIService', { status: { conditions: [{ type: 'Available', status: true }] } }, 'status.conditions[0].status is not a string'],
    ['Lease', { spec: { leaseDurationSeconds: '40' } }, 'spec.leaseDurationSeconds is not a number'],
    ['Lease', { spec: { renewTime: 1700000000 } }, 'spec.renewTime is not a string'],
    ['Endpoints', { subsets: { addresses: [] } }, 'subsets is not a list'],
    ['Endpoints', { subsets: [{ addresses: 'x' }] }, 'subsets[0].addresses is not a list'],
    ['Endpoints', { subsets: [{ notReadyAddresses: ['10.0.0.2'] }] }, 'subsets[0].notReadyAddresses[0] is not an object'],
    ['PersistentVolume', { spec: { hostPath: { path: ['/var/log'] } } }, 'spec.hostPath.path is not a string'],
    ['PersistentVolume', { spec: { local: '/mnt/disk' } }, 'spec.local is not an object'],
    ['NodeMetrics', { usage: { cpu: true } }, 'usage[cpu] is not a quantity'],
    ['NodeMetrics', { usage: ['1'] }, 'usage is not a map'],
    ['Namespace', { metadata: { name: 'shop', labels: { 'istio-injection': true } } }, 'metadata.labels has a value that is not a string'],
    ['Namespace', { metadata: { name: 7 } }, 'metadata.name is not a string'],
  ])('names the wrongly typed field of a %s: %j', (kind, obj, problem) => {
    expect(objectProblem({ metadata: { name: 'x' }, ...obj }, kind)).toBe(problem);
  });
});
