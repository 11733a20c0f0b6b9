import { describe, expect, it } from '@jest/globals';
import type { V1Job, V1OwnerReference, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { OwnerIndex, controllerOf, describeWorkload, isMirrorPod } from '../../src/kube/owners.js';

const ref = (kind: string, name: string, controller = true): V1OwnerReference =>
  ({ apiVersion: kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1', kind, name, uid: `uid-${name}`, controller });

const pod = (name: string, owners: V1OwnerReference[] = [], labels: Record<string, string> = {}, annotations?: Record<string, string>): V1Pod =>
  ({ metadata: { name, namespace: 'shop', ownerReferences: owners, labels, annotations } });
const rs = (name: string, owners: V1OwnerReference[] = []): V1ReplicaSet => ({ metadata: { name, namespace: 'shop', ownerReferences: owners } });
const job = (name: string, owners: V1OwnerReference[] = []): V1Job => ({ metadata: { name, namespace: 'shop', ownerReferences: owners } });

describe('OwnerIndex.workloadOf', () => {
  const index = new OwnerIndex();
  index.add('ReplicaSet', rs('cart-6f9c7d8b54', [ref('Deployment', 'cart')]));
  index.add('ReplicaSet', rs('legacy-api'));
  index.add('ReplicaSet', rs('canary-7c4b9', [ref('Rollout', 'canary')]));
  index.add('Job', job('nightly-report-29400000', [ref('CronJob', 'nightly-report')]));
  index.add('Job', job('db-migrate'));

  it.each([
    ['Deployment through its ReplicaSet', pod('cart-6f9c7d8b54-x2x9k', [ref('ReplicaSet', 'cart-6f9c7d8b54')]), { kind: 'Deployment', name: 'cart' }],
    ['ReplicaSet without owner', pod('legacy-api-abcde', [ref('ReplicaSet', 'legacy-api')]), { kind: 'ReplicaSet', name: 'legacy-api' }],
    ['ReplicaSet owned by another controller kind', pod('canary-7c4b9-q', [ref('ReplicaSet', 'canary-7c4b9')]), { kind: 'Rollout', name: 'canary' }],
    ['StatefulSet', pod('db-0', [ref('StatefulSet', 'db')]), { kind: 'StatefulSet', name: 'db' }],
    ['DaemonSet', pod('agent-xk2lp', [ref('DaemonSet', 'agent')]), { kind: 'DaemonSet', name: 'agent' }],
    ['CronJob through its Job', pod('nightly-report-29400000-7bq2m', [ref('Job', 'nightly-report-29400000')]), { kind: 'CronJob', name: 'nightly-report' }],
    ['Job without CronJob', pod('db-migrate-m2x8z', [ref('Job', 'db-migrate')]), { kind: 'Job', name: 'db-migrate' }],
    ['bare pod', pod('debug-shell'), { kind: 'Pod', name: 'debug-shell' }],
    ['non-controller owners are ignored', pod('x', [ref('ConfigMap', 'cm', false)]), { kind: 'Pod', name: 'x' }],
    ['mirror pod is its own workload', pod('etcd-cp', [ref('Node', 'cp')]), { kind: 'Pod', name: 'etcd-cp' }],
  ])('%s', (_, p, want) => {
    expect(index.workloadOf(p)).toEqual({ ...want, namespace: 'shop' });
  });

  it('infers the Deployment from pod-template-hash when the ReplicaSet was not seen', () => {
    const p = pod('web-5d8f7c9b6d-abcde', [ref('ReplicaSet', 'web-5d8f7c9b6d')], { 'pod-template-hash': '5d8f7c9b6d' });
    expect(new OwnerIndex().workloadOf(p)).toEqual({ kind: 'Deployment', name: 'web', namespace: 'shop', inferred: true });
  });

  it('does not infer when the hash does not match the ReplicaSet name', () => {
    const p = pod('web-abc', [ref('ReplicaSet', 'web')], { 'pod-template-hash': '5d8f7c9b6d' });
    expect(new OwnerIndex().workloadOf(p)).toEqual({ kind: 'ReplicaSet', name: 'web', namespace: 'shop' });
  });

  it('does not infer a Deployment for a ReplicaSet it saw without an owner', () => {
    const index2 = new OwnerIndex();
    index2.add('ReplicaSet', rs('web-5d8f7c9b6d'));
    const p = pod('web-5d8f7c9b6d-abcde', [ref('ReplicaSet', 'web-5d8f7c9b6d')], { 'pod-template-hash': '5d8f7c9b6d' });
    expect(index2.workloadOf(p)).toEqual({ kind: 'ReplicaSet', name: 'web-5d8f7c9b6d', namespace: 'shop' });
  });

  it('gives the pods of one workload the same frozen answer, and a ReplicaSet seen later counts from then on', () => {
    const index2 = new OwnerIndex();
    index2.add('ReplicaSet', rs('cart-6f9c7d8b54', [ref('Deployment', 'cart')]));
    const a = index2.workloadOf(pod('cart-6f9c7d8b54-a', [ref('ReplicaSet', 'cart-6f9c7d8b54')]));
    expect(index2.workloadOf(pod('cart-6f9c7d8b54-b', [ref('ReplicaSet', 'cart-6f9c7d8b54')]))).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    const late = pod('late-1-x', [ref('ReplicaSet', 'late-1')]);
    expect(index2.workloadOf(late)).toEqual({ kind: 'ReplicaSet', name: 'late-1', namespace: 'shop' });
    index2.add('ReplicaSet', rs('late-1', [ref('Deployment', 'late')]));
    expect(index2.workloadOf(late)).toEqual({ kind: 'Deployment', name: 'late', namespace: 'shop' });
  });

  it('shares entries between indexes without mixing their contents', () => {
    const shared = rs('api-7f', [ref('Deployment', 'api')]);
    const one = new OwnerIndex(), two = new OwnerIndex();
    one.add('ReplicaSet', shared);
    const p = pod('api-7f-x', [ref('ReplicaSet', 'api-7f')]);
    expect(one.workloadOf(p)).toEqual({ kind: 'Deployment', name: 'api', namespace: 'shop' });
    expect(two.workloadOf(p)).toEqual({ kind: 'ReplicaSet', name: 'api-7f', namespace: 'shop' });
    two.add('ReplicaSet', shared);
    expect(two.workloadOf(p)).toBe(one.workloadOf(p));
  });

  it('keeps namespaces apart', () => {
    const index2 = new OwnerIndex();
    index2.add('ReplicaSet', { metadata: { name: 'api-1', namespace: 'a', ownerReferences: [ref('Deployment', 'api')] } });
    const p: V1Pod = { metadata: { name: 'api-1-x', namespace: 'b', ownerReferences: [ref('ReplicaSet', 'api-1')] } };
    expect(index2.workloadOf(p)).toEqual({ kind: 'ReplicaSet', name: 'api-1', namespace: 'b' });
  });
});

describe('helpers', () => {
  it('controllerOf picks the controller reference', () => {
    expect(controllerOf({ ownerReferences: [ref('A', 'a', false), ref('B', 'b')] })?.name).toBe('b');
    expect(controllerOf(undefined)).toBeUndefined();
  });
  it('isMirrorPod', () => {
    expect(isMirrorPod(pod('kube-apiserver-cp', [], {}, { 'kubernetes.io/config.mirror': 'abc' }))).toBe(true);
    expect(isMirrorPod(pod('etcd-cp', [ref('Node', 'cp')]))).toBe(true);
    expect(isMirrorPod(pod('web'))).toBe(false);
  });
  it('describeWorkload', () => {
    expect(describeWorkload({ kind: 'Deployment', name: 'cart', namespace: 'shop' })).toBe('Deployment shop/cart');
  });
});
