import { describe, expect, it } from '@jest/globals';
import type { V1Node, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import check from '../../checks/node-imbalance/index.js';
import { podRequests } from '../../checks/node-imbalance/nodes.js';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';
import type { Finding } from '../../src/engine/types.js';
import type { KubeObject, NodeMetrics } from '../../src/kube/resources.js';
import { runCheck } from '../../src/check.js';
import { memoryApiSource } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const GiB = 1024 ** 3;

interface NodeOpts { pool?: string; type?: string; zone?: string; cpu?: string; memory?: string; cordoned?: boolean; ready?: boolean; createdMinutesAgo?: number; taint?: string; controlPlane?: boolean }
function node(name: string, o: NodeOpts = {}): V1Node {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name, 'node.kubernetes.io/instance-type': o.type ?? 'm5.xlarge' };
  if (o.pool) labels['eks.amazonaws.com/nodegroup'] = o.pool;
  if (o.zone) labels['topology.kubernetes.io/zone'] = o.zone;
  if (o.controlPlane) labels['node-role.kubernetes.io/control-plane'] = '';
  return {
    metadata: { name, labels, creationTimestamp: new Date(NOW.getTime() - (o.createdMinutesAgo ?? 60 * 24 * 30) * 60_000) as never },
    spec: { unschedulable: o.cordoned || undefined, taints: o.taint ? [{ key: o.taint, value: 'true', effect: 'NoSchedule' }] : undefined },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  } as V1Node;
}

interface PodOpts { cpu?: string; memory?: string; owner?: { kind: string; name: string }; phase?: string; spread?: boolean; antiAffinity?: boolean; ns?: string }
let podSeq = 0;
function pod(nodeName: string, o: PodOpts = {}): V1Pod {
  const name = `p${++podSeq}`;
  const owner = o.owner ?? { kind: 'ReplicaSet', name: 'web-5d8f7' };
  return {
    metadata: { name, namespace: o.ns ?? 'shop', labels: { app: 'x', 'pod-template-hash': '5d8f7' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: `u-${owner.name}`, controller: true }] },
    spec: {
      nodeName,
      containers: [{ name: 'c', image: 'c:1', resources: { requests: { cpu: o.cpu ?? '100m', memory: o.memory ?? '256Mi' } } }],
      topologySpreadConstraints: o.spread ? [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }] : undefined,
      affinity: o.antiAffinity ? { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } } : undefined,
    },
    status: { phase: o.phase ?? 'Running' },
  } as V1Pod;
}
const rs = (name: string, deployment: string): V1ReplicaSet => ({
  metadata: { name, namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: `u-${deployment}`, controller: true }] },
} as V1ReplicaSet);
const metrics = (name: string, cpu: string, memory: string): NodeMetrics => ({ metadata: { name }, timestamp: NOW.toISOString(), window: '10.5s', usage: { cpu, memory } });
/** Memory-heavy pods of distinct Deployments (so no workload finding gets in the way): `gib` GiB requested on the node. */
const load = (nodeName: string, gib: number, tag: string): V1Pod[] =>
  Array.from({ length: gib }, (_, i) => pod(nodeName, { memory: '1Gi', owner: { kind: 'StatefulSet', name: `${tag}-${nodeName}-${i}` } }));

async function run(objects: ObjectsByKind, opts: { noMetrics?: boolean; settings?: Record<string, number> } = {}) {
  return runCheck(check, { objects, now: NOW, unavailable: opts.noMetrics ? { NodeMetrics: 'not served by this API server (404)' } : undefined });
}
const rules = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.target.kind}/${f.target.name}`).sort();
const O = (x: object) => x as unknown as KubeObject[];

describe('node-imbalance: pools', () => {
  it('warns when one node of a pool is above 80 % requested and another below 30 % (no metrics API: says so)', async () => {
    const objects = { Node: O([node('a'), node('b'), node('c')]), Pod: O([...load('a', 14, 'hot'), ...load('b', 8, 'mid'), ...load('c', 2, 'cold')]) };
    const { result, findings } = await run(objects, { noMetrics: true });
    expect(result.status).toBe('fail');
    expect(rules(findings)).toEqual(['requestsSpread NodePool/node.kubernetes.io/instance-type=m5.xlarge']);
    const f = findings[0]!;
    expect(f.message).toContain('a 87.5 % memory requested while c 12.5 % memory');
    expect(f.message).toContain('Judged on requests only: metrics.k8s.io is not served');
    expect(f.evidence).toMatchObject({ basis: 'requests', metricsApi: false, hot: [{ node: 'a', resource: 'memory', percent: 87.5 }], cold: [{ node: 'c', resource: 'memory', percent: 12.5 }] });
    expect(f.remediation.steps!.join('\n')).toContain('LowNodeUtilization');
  });

  it('stays silent across pools of different sizes (trap: a big node at 20 % next to small nodes at 90 %)', async () => {
    const objects = {
      Node: O([node('small-1', { pool: 'small', memory: '8Gi' }), node('small-2', { pool: 'small', memory: '8Gi' }), node('big-1', { pool: 'big', type: 'm5.8xlarge', memory: '128Gi' }), node('big-2', { pool: 'big', type: 'm5.8xlarge', memory: '128Gi' })]),
      Pod: O([...load('small-1', 7, 's'), ...load('small-2', 7, 's'), ...load('big-1', 20, 'b'), ...load('big-2', 25, 'b')]),
    };
    const { result, findings } = await run(objects);
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('leaves cordoned, NotReady and just-joined nodes out of the comparison (trap: an upgrade drain)', async () => {
    const objects = {
      Node: O([node('a'), node('b'), node('drained', { cordoned: true }), node('broken', { ready: false }), node('fresh', { createdMinutesAgo: 3 })]),
      Pod: O([...load('a', 14, 'x'), ...load('b', 13, 'y')]),
    };
    const { findings } = await run(objects);
    expect(findings).toEqual([]);
  });

  it('names the cold node that runs only DaemonSet pods and the nodes it did not compare', async () => {
    const ds = { kind: 'DaemonSet', name: 'node-exporter' };
    const objects = {
      Node: O([node('a'), node('b'), node('new'), node('drained', { cordoned: true })]),
      Pod: O([...load('a', 14, 'x'), ...load('b', 14, 'y'), pod('a', { owner: ds }), pod('b', { owner: ds }), pod('new', { owner: ds, memory: '512Mi' })]),
    };
    const { findings } = await run(objects);
    expect(rules(findings)).toEqual(['requestsSpread NodePool/node.kubernetes.io/instance-type=m5.xlarge']);
    expect(findings[0]!.message).toContain('new runs only DaemonSet pods');
    expect(findings[0]!.message).toContain('Not compared: drained (cordoned (being drained or upgraded))');
    expect(findings[0]!.evidence).toMatchObject({ cold: [{ node: 'new', onlyDaemonSets: true }] });
  });

  it('treats nodes with their own NoSchedule taint as a pool of their own, and ignores the control plane', async () => {
    const objects = {
      Node: O([node('a'), node('b'), node('gpu', { taint: 'nvidia.com/gpu' }), node('cp', { controlPlane: true })]),
      Pod: O([...load('a', 14, 'x'), ...load('b', 13, 'y'), ...load('cp', 1, 'z')]),
    };
    const { findings } = await run(objects);
    expect(findings).toEqual([]);
  });

  it('judges usage from metrics.k8s.io too, and says when requests look even but usage does not', async () => {
    const objects = {
      Node: O([node('a'), node('b')]),
      Pod: O([...load('a', 8, 'x'), ...load('b', 8, 'y')]),
      NodeMetrics: O([metrics('a', '3500m', `${14 * 1024}Mi`), metrics('b', '400m', '3Gi')]),
    };
    const { findings } = await run(objects);
    expect(rules(findings)).toEqual(['usageSpread NodePool/node.kubernetes.io/instance-type=m5.xlarge']);
    const f = findings[0]!;
    expect(f.message).toMatch(/a 87\.5 % memory, a 87\.5 % cpu in use \(metrics\.k8s\.io\) while b 18\.8 % memory, b 10 % cpu/);
    expect(f.remediation.steps!.join('\n')).toContain('Set requests from observed usage');
    expect(f.evidence).toMatchObject({ metricsApi: true, basis: 'usage' });
  });

  it('does not call hot memory on one node and cold CPU on another a skew', async () => {
    const objects = {
      Node: O([node('a'), node('b')]),
      Pod: O([...load('a', 14, 'x'), ...load('b', 13, 'y'), pod('a', { cpu: '100m' })]),
    };
    const { findings } = await run(objects);
    // Both nodes are memory-hot and CPU-cold: same side on each resource.
    expect(findings).toEqual([]);
  });
});

describe('node-imbalance: replicas', () => {
  const web = { kind: 'ReplicaSet', name: 'web-5d8f7' };
  it('warns when all replicas of a Deployment are on one node; silent with spread constraints or anti-affinity', async () => {
    const objects = {
      Node: O([node('a', { zone: 'z1' }), node('b', { zone: 'z2' })]),
      ReplicaSet: O([rs('web-5d8f7', 'web'), rs('api-1', 'api'), rs('cache-1', 'cache')]),
      Pod: O([pod('a', { owner: web }), pod('a', { owner: web }), pod('a', { owner: web }),
        pod('a', { owner: { kind: 'ReplicaSet', name: 'api-1' }, spread: true }), pod('a', { owner: { kind: 'ReplicaSet', name: 'api-1' }, spread: true }),
        pod('a', { owner: { kind: 'ReplicaSet', name: 'cache-1' }, antiAffinity: true }), pod('a', { owner: { kind: 'ReplicaSet', name: 'cache-1' }, antiAffinity: true }),
        pod('a', { owner: { kind: 'Job', name: 'batch' } }), pod('a', { owner: { kind: 'Job', name: 'batch' } }),
        pod('a', { owner: web, phase: 'Succeeded' })]),
    };
    const { findings } = await run(objects);
    expect(rules(findings)).toEqual(['replicasOnOneNode Deployment/web']);
    expect(findings[0]!.message).toContain('All 3 running replicas of Deployment shop/web are on a');
    expect(findings[0]!.target).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'web' });
  });

  it('warns when all replicas are in one zone of several; mentions cordoned nodes (trap: upgrade under way)', async () => {
    const objects = {
      Node: O([node('a', { zone: 'z1' }), node('b', { zone: 'z1' }), node('c', { zone: 'z2' }), node('d', { zone: 'z2', cordoned: true })]),
      ReplicaSet: O([rs('web-5d8f7', 'web')]),
      Pod: O([pod('a', { owner: web }), pod('b', { owner: web })]),
    };
    const { findings } = await run(objects);
    expect(rules(findings)).toEqual(['replicasInOneZone Deployment/web']);
    expect(findings[0]!.message).toContain('in zone z1 (on a, b)');
    expect(findings[0]!.message).toContain('d is cordoned');
  });

  it('is silent once replicas are on two nodes not all in one known zone (whatever node comes last)', async () => {
    const objects = {
      Node: O([node('a', { zone: 'z1' }), node('b', { zone: 'z1' }), node('c', { zone: 'z2' }), node('e')]),
      ReplicaSet: O([rs('web-5d8f7', 'web'), rs('api-1', 'api')]),
      // web: z1, z2, then z1 again; api: z1, a node without a zone, then z1 again.
      Pod: O([pod('a', { owner: web }), pod('c', { owner: web }), pod('b', { owner: web }),
        pod('a', { owner: { kind: 'ReplicaSet', name: 'api-1' } }), pod('e', { owner: { kind: 'ReplicaSet', name: 'api-1' } }), pod('a', { owner: { kind: 'ReplicaSet', name: 'api-1' } })]),
    };
    expect(rules((await run(objects)).findings)).toEqual([]);
  });

  it('is silent for a single schedulable node, one replica, and DaemonSets', async () => {
    const objects = {
      Node: O([node('a'), node('cp', { controlPlane: true })]),
      ReplicaSet: O([rs('web-5d8f7', 'web')]),
      Pod: O([pod('a', { owner: web }), pod('a', { owner: web }), pod('a', { owner: { kind: 'DaemonSet', name: 'ds' } })]),
    };
    expect((await run(objects)).findings).toEqual([]);
    const one = { Node: O([node('a'), node('b')]), ReplicaSet: O([rs('web-5d8f7', 'web')]), Pod: O([pod('a', { owner: web })]) };
    expect((await run(one)).findings).toEqual([]);
  });
});

describe('node-imbalance: requests arithmetic', () => {
  it('counts sidecars, the init peak and the pod overhead as the scheduler does', () => {
    const p = {
      spec: {
        containers: [{ name: 'a', resources: { requests: { cpu: '200m', memory: '1Gi' } } }],
        initContainers: [
          { name: 'migrate', resources: { requests: { cpu: '2', memory: '512Mi' } } },
          { name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '100m', memory: '128Mi' } } },
        ],
        overhead: { cpu: '50m', memory: '64Mi' },
      },
    } as unknown as V1Pod;
    expect(podRequests(p)).toEqual({ cpuMilli: 2000 + 50, memoryBytes: GiB + 128 * 1024 ** 2 + 64 * 1024 ** 2 });
  });
});

describe('node-imbalance: -n', () => {
  it('sums every namespace into the node but judges only the chosen namespace\'s workloads', async () => {
    const other = { kind: 'ReplicaSet', name: 'other-1' };
    const objects = {
      Node: O([node('a'), node('b')]),
      ReplicaSet: O([rs('web-5d8f7', 'web'), { metadata: { name: 'other-1', namespace: 'batch', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'other', uid: 'u-o', controller: true }] } }]),
      Pod: O([...load('a', 14, 'x').map((p) => ({ ...p, metadata: { ...p.metadata, namespace: 'batch' } })), pod('a', { owner: other, ns: 'batch' }), pod('a', { owner: other, ns: 'batch' }), pod('b', { memory: '1Gi' }), pod('b', { memory: '1Gi' })]),
    };
    const { findings } = await runChecks({
      checks: [check], api: memoryApiSource(objects, { now: NOW, unavailable: { NodeMetrics: 'not served' } }),
      scope: { namespace: 'shop' }, settings: { sampleIntervalSeconds: 0, namespace: 'shop' },
    });
    // a's load comes from batch; the only shop workload (web, 2 replicas on b) is concentrated too
    expect(rules(findings)).toEqual(['replicasOnOneNode Deployment/web', 'requestsSpread NodePool/node.kubernetes.io/instance-type=m5.xlarge']);
  });
});
