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
    expect(objectProblem({ metadata: { name: 'x' }, spec: { anything: 1 } }, 'Lease')).toBeNull();
  });

  it('reads own fields only: a key named like an Object.prototype member is data', () => {
    expect(objectProblem(pod({ toString: 5, constructor: 'x' }), 'Pod')).toBeNull();
    expect(objectProblem({ metadata: { name: 'e' }, involvedObject: JSON.parse('{"__proto__": {"name": 5}}') }, 'Event')).toBeNull();
  });
});
