import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job, V1Node, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import check from '../../checks/evicted-pods/index.js';
import { isDiskResource, parseEvictionMessage } from '../../src/kube/eviction.js';
import { cleanupCommand } from '../../checks/evicted-pods/remediation.js';
import type { Finding } from '../../src/engine/types.js';
import { runCheck } from '../../src/check.js';
import { demoNow, loadDemoObjects } from '../support/demo-cluster.js';
import { describeReal } from '../support/real.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const MEM = 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 92488Ki. Container app was using 1234Mi, request is 512Mi, has larger consumption of memory. ';
const DISK = 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. ';

interface PodOpts {
  name: string; ns?: string; node?: string; minutesAgo?: number; message?: string; reason?: string; phase?: string;
  rs?: string; job?: string; hash?: string;
  /** which timestamps the pod carries (default: DisruptionTarget) */
  times?: 'disruption' | 'finishedAt' | 'startTime' | 'created';
  startedMinutesAgo?: number;
}
function pod(o: PodOpts): V1Pod {
  const at = ago(o.minutesAgo ?? 30);
  const times = o.times ?? 'disruption';
  const owner = o.rs ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.rs, uid: `u-${o.rs}`, controller: true }
    : o.job ? { apiVersion: 'batch/v1', kind: 'Job', name: o.job, uid: `u-${o.job}`, controller: true } : undefined;
  return {
    metadata: {
      name: o.name, namespace: o.ns ?? 'shop', creationTimestamp: (times === 'created' ? at : ago((o.startedMinutesAgo ?? 3000) + 1)) as unknown as Date,
      labels: o.hash ? { 'pod-template-hash': o.hash } : {}, ownerReferences: owner ? [owner] : [],
    },
    spec: { nodeName: o.node === undefined ? 'node-1' : o.node || undefined, containers: [{ name: 'app', image: 'app:1' }] },
    status: {
      phase: o.phase ?? 'Failed', reason: o.reason ?? 'Evicted', message: o.message ?? MEM,
      ...(times === 'startTime' ? { startTime: at } : times === 'created' ? {} : { startTime: ago(o.startedMinutesAgo ?? 3000) }),
      conditions: times === 'disruption' ? [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: at }] : [],
      containerStatuses: times === 'disruption' || times === 'finishedAt'
        ? [{ name: 'app', image: 'app:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'Error', finishedAt: at } } }] : [],
    } as unknown as V1Pod['status'],
  };
}
const rs = (name: string, deployment?: string): V1ReplicaSet =>
  ({ metadata: { name, namespace: 'shop', ownerReferences: deployment ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: `u-${deployment}`, controller: true }] : [] } });
const node = (name: string, pressure: Record<string, string> = {}): V1Node => ({
  metadata: { name },
  status: { conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({ type, status: pressure[type] ?? (type === 'Ready' ? 'True' : 'False'), lastTransitionTime: ago(20) as unknown as Date })) },
});

async function run(pods: V1Pod[], extra: { ReplicaSet?: V1ReplicaSet[]; Job?: V1Job[]; Node?: V1Node[] } = {}, unavailable?: Record<string, string>) {
  return runCheck(check, { objects: { Pod: pods, ReplicaSet: extra.ReplicaSet ?? [rs('cart-7d9f', 'cart'), rs('web-5c8b', 'web')], Job: extra.Job ?? [], Node: extra.Node ?? [node('node-1'), node('node-2')] }, now: NOW, unavailable });
}
const summary = (f: Finding) => ({ severity: f.severity, target: f.target, resource: f.evidence?.resource, last24h: f.evidence?.last24h });

describe('evicted-pods: what is not an eviction (traps)', () => {
  it.each([
    ['OutOfcpu admission rejection', pod({ name: 'a', reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 4000, used: 3350, capacity: 4000" })],
    ['OutOfmemory', pod({ name: 'a', reason: 'OutOfmemory', message: "Pod was rejected: Node didn't have enough resource: memory" })],
    ['NodeAffinity', pod({ name: 'a', reason: 'NodeAffinity', message: 'Pod was rejected: Predicate NodeAffinity failed' })],
    ['UnexpectedAdmissionError', pod({ name: 'a', reason: 'UnexpectedAdmissionError', message: 'Allocate failed due to no healthy devices present' })],
    ['graceful node shutdown (also has DisruptionTarget)', pod({ name: 'a', reason: 'Terminated', message: 'Pod was terminated in response to imminent node shutdown.' })],
    ['Job pod failure (no reason)', { ...pod({ name: 'a', job: 'nightly-1' }), status: { phase: 'Failed', containerStatuses: [] } } as V1Pod],
    ['running pod from an unfiltered list', pod({ name: 'a', phase: 'Running', reason: '' })],
    ['Succeeded pod', pod({ name: 'a', phase: 'Succeeded', reason: '' })],
    ['evicted pod without a node', pod({ name: 'a', node: '' })],
  ])('%s: no finding', async (_, p) => {
    const { result, findings } = await run([p]);
    expect(result.status).toBe('pass');
    expect(findings).toEqual([]);
  });

  it('stale evictions (≥ 24 h) alone give no finding', async () => {
    const { result, findings } = await run([pod({ name: 'a', minutesAgo: 25 * 60 }), pod({ name: 'b', minutesAgo: 12 * 24 * 60 })]);
    expect([result.status, findings]).toEqual(['pass', []]);
  });
});

describe('evicted-pods: severity', () => {
  it('one recent eviction → warning on the node, with the resource and workload', async () => {
    const { result, findings } = await run([pod({ name: 'cart-7d9f-abcde', rs: 'cart-7d9f', minutesAgo: 120 })]);
    expect(result.status).toBe('fail');
    expect(findings.map(summary)).toEqual([{ severity: 'warning', target: { kind: 'Node', name: 'node-1' }, resource: 'memory', last24h: 1 }]);
    expect(findings[0]!.evidence).toMatchObject({
      evicted: 1, lastHour: 0, newest: '2026-11-25T10:00:00Z', threshold: '100Mi', availableAtEviction: '92488Ki', causes: { 'node-pressure': 1 },
      workloads: [{ workload: 'Deployment shop/cart', evicted: 1 }],
      offenders: [{ workload: 'Deployment shop/cart', scope: 'container', name: 'app', usage: '1234Mi', request: '512Mi' }],
      pods: [{ namespace: 'shop', name: 'cart-7d9f-abcde', workload: 'Deployment shop/cart', evictedAt: '2026-11-25T10:00:00Z', timeSource: 'DisruptionTarget condition' }],
    });
    expect(findings[0]!.message).toBe('1 pod evicted from node-1 for memory in the last 24 h, newest 2h ago');
    expect(findings[0]!.remediation.steps).toContain(
      'Deployment shop/cart: container app used 1234Mi of memory with a request of 512Mi. Raise its request towards that working set and keep a limit: kubectl -n shop set resources deployment/cart -c app --requests=memory=1234Mi');
  });

  it('five on one node within an hour → critical (different workloads)', async () => {
    const pods = [1, 2, 3, 4, 5].map((i) => pod({ name: `p${i}`, minutesAgo: i * 10 }));
    const { findings } = await run(pods);
    expect(findings.map(summary)).toEqual([{ severity: 'critical', target: { kind: 'Node', name: 'node-1' }, resource: 'memory', last24h: 5 }]);
    expect(findings[0]!.evidence?.critical).toEqual(['5 evictions on this node within one hour']);
  });

  it('four within an hour → still a warning', async () => {
    const pods = [1, 2, 3, 4].map((i) => pod({ name: `p${i}`, minutesAgo: i * 10 }));
    expect((await run(pods)).findings.map((f) => f.severity)).toEqual(['warning']);
  });

  it('five within an hour but one of them 61 minutes ago → warning', async () => {
    const pods = [10, 20, 30, 40, 61].map((m, i) => pod({ name: `p${i}`, minutesAgo: m }));
    expect((await run(pods)).findings.map((f) => f.severity)).toEqual(['warning']);
  });

  it('the burst counts per node across resources: every recent group on that node is critical', async () => {
    const pods = [
      ...[1, 2, 3].map((i) => pod({ name: `m${i}`, minutesAgo: i * 5 })),
      ...[1, 2].map((i) => pod({ name: `d${i}`, minutesAgo: i * 7, message: DISK })),
      pod({ name: 'other-node', node: 'node-2', minutesAgo: 5 }),
    ];
    const { findings } = await run(pods);
    expect(findings.map(summary)).toEqual([
      { severity: 'critical', target: { kind: 'Node', name: 'node-1' }, resource: 'ephemeral-storage', last24h: 2 },
      { severity: 'critical', target: { kind: 'Node', name: 'node-1' }, resource: 'memory', last24h: 3 },
      { severity: 'warning', target: { kind: 'Node', name: 'node-2' }, resource: 'memory', last24h: 1 },
    ]);
  });

  it('the same workload evicted three times in 24 h → critical, even across nodes', async () => {
    const pods = [
      pod({ name: 'cart-7d9f-a', rs: 'cart-7d9f', minutesAgo: 600 }),
      pod({ name: 'cart-7d9f-b', rs: 'cart-7d9f', minutesAgo: 300 }),
      pod({ name: 'cart-7d9f-c', rs: 'cart-7d9f', node: 'node-2', minutesAgo: 200 }),
      pod({ name: 'web-5c8b-a', rs: 'web-5c8b', node: 'node-2', minutesAgo: 100, message: DISK }),
    ];
    const { findings } = await run(pods);
    expect(findings.map(summary)).toEqual([
      { severity: 'critical', target: { kind: 'Node', name: 'node-1' }, resource: 'memory', last24h: 2 },
      { severity: 'warning', target: { kind: 'Node', name: 'node-2' }, resource: 'ephemeral-storage', last24h: 1 },
      { severity: 'critical', target: { kind: 'Node', name: 'node-2' }, resource: 'memory', last24h: 1 },
    ]);
    expect(findings[0]!.evidence?.critical).toEqual(['Deployment shop/cart evicted 3 times in 24 h']);
  });

  it('twice in 24 h (plus once long ago) is not "repeatedly"', async () => {
    const pods = [
      pod({ name: 'cart-7d9f-a', rs: 'cart-7d9f', minutesAgo: 600 }),
      pod({ name: 'cart-7d9f-b', rs: 'cart-7d9f', minutesAgo: 300 }),
      pod({ name: 'cart-7d9f-c', rs: 'cart-7d9f', minutesAgo: 3 * 24 * 60 }),
    ];
    const { findings } = await run(pods);
    expect(findings.map(summary)).toEqual([{ severity: 'warning', target: { kind: 'Node', name: 'node-1' }, resource: 'memory', last24h: 2 }]);
    expect(findings[0]!.evidence).toMatchObject({ evicted: 3, last24h: 2 });
  });

  it('more than 100 stale evicted pods → one info finding on the cluster; 100 → none', async () => {
    const stale = (n: number) => Array.from({ length: n }, (_, i) => pod({ name: `old-${i}`, node: i % 2 ? 'node-1' : 'node-2', minutesAgo: 3 * 24 * 60 + i }));
    expect((await run(stale(100))).findings).toEqual([]);
    const { result, findings } = await run(stale(101));
    expect(result.status).toBe('pass'); // info only
    expect(findings.map((f) => [f.severity, f.target])).toEqual([['info', { kind: 'Cluster', name: 'cluster' }]]);
    expect(findings[0]!.evidence).toEqual({ stale: 101, byNode: { 'node-1': 50, 'node-2': 51 }, oldest: '2026-11-22T10:20:00Z' });
    expect(findings[0]!.remediation.steps![0]).toBe(cleanupCommand({}));
  });

  it('caps the pods in the evidence at 10 (newest first) and says how many it shows', async () => {
    const pods = Array.from({ length: 12 }, (_, i) => pod({ name: `p${i}`, minutesAgo: 100 + i }));
    const ev = (await run(pods)).findings[0]!.evidence!;
    expect([ev.evicted, ev.podsShown, (ev.pods as { name: string }[]).map((p) => p.name)]).toEqual([12, 10, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9']]);
  });
});

describe('evicted-pods: eviction time', () => {
  it.each([
    ['DisruptionTarget condition', 'disruption', 'DisruptionTarget condition'],
    ['latest container finishedAt', 'finishedAt', 'containers finishedAt'],
    ['startTime (admission rejections never start)', 'startTime', 'startTime (evicted at or after)'],
    ['creationTimestamp as the last resort', 'created', 'creationTimestamp (evicted after)'],
  ] as const)('%s', async (_, times, source) => {
    const { findings } = await run([pod({ name: 'a', minutesAgo: 90, times })]);
    expect((findings[0]!.evidence!.pods as { evictedAt: string; timeSource: string }[])[0]).toMatchObject({ evictedAt: '2026-11-25T10:30:00Z', timeSource: source });
  });

  it('a pod that ran for days but was evicted an hour ago is recent (not dated by its start)', async () => {
    const { findings } = await run([pod({ name: 'a', minutesAgo: 60, startedMinutesAgo: 5 * 24 * 60 })]);
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
  });
});

describe('evicted-pods: owners and optional data', () => {
  it('resolves Job pods to their CronJob', async () => {
    const job: V1Job = { metadata: { name: 'nightly-29400000', namespace: 'shop', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'u', controller: true }] } };
    const { findings } = await run([pod({ name: 'nightly-29400000-x', job: 'nightly-29400000' })], { Job: [job] });
    expect(findings[0]!.evidence!.workloads).toEqual([{ workload: 'CronJob shop/nightly', evicted: 1 }]);
  });

  it('infers the Deployment from pod-template-hash when ReplicaSets are forbidden, and still runs', async () => {
    const { result, findings } = await run([pod({ name: 'api-6b7c9-x', rs: 'api-6b7c9', hash: '6b7c9' })], {}, { ReplicaSet: 'forbidden' });
    expect(result.status).toBe('fail');
    expect(findings[0]!.evidence!.workloads).toEqual([{ workload: 'Deployment shop/api', evicted: 1, inferred: true }]);
  });

  it('cites the node\'s pressure conditions when Nodes are readable, and runs without them', async () => {
    const withNodes = await run([pod({ name: 'a' })], { Node: [node('node-1', { MemoryPressure: 'True' })] });
    expect(withNodes.findings[0]!.evidence!.nodeConditions).toEqual([
      { type: 'MemoryPressure', status: 'True', since: ago(20) }, { type: 'DiskPressure', status: 'False', since: ago(20) }, { type: 'PIDPressure', status: 'False', since: ago(20) },
    ]);
    expect(withNodes.findings[0]!.message).toMatch(/\. node-1 reports MemoryPressure now$/);
    const without = await run([pod({ name: 'a' })], {}, { Node: 'forbidden' });
    expect([without.result.status, without.findings[0]!.evidence!.nodeConditions]).toEqual(['fail', undefined]);
  });

  it('is skipped when pods cannot be listed', async () => {
    const { result } = await run([], {}, { Pod: 'forbidden' });
    expect([result.status, result.reason]).toEqual(['skip', 'forbidden: pods']);
  });

  it('scopes the cleanup command to the namespace of a -n run', () => {
    expect(cleanupCommand({ namespace: 'shop', node: 'node-1' })).toBe(
      'kubectl get pods -n shop --field-selector=status.phase=Failed,spec.nodeName=node-1 -o json | jq -r \'.items[] | select(.status.reason=="Evicted") | "-n \\(.metadata.namespace) \\(.metadata.name)"\' | xargs -r -L1 kubectl delete pod');
  });
});

describe('parseEvictionMessage', () => {
  it.each([
    ['node pressure, newer format', MEM,
      { resource: 'memory', cause: 'node-pressure', threshold: '100Mi', available: '92488Ki', offenders: [{ scope: 'container', name: 'app', usage: '1234Mi', request: '512Mi' }] }],
    ['node pressure, older container fragment', 'The node was low on resource: memory. Container app was using 1234Mi, which exceeds its request of 512Mi. ',
      { resource: 'memory', cause: 'node-pressure', offenders: [{ scope: 'container', name: 'app', usage: '1234Mi', request: '512Mi' }] }],
    ['node pressure, resource only', 'The node was low on resource: ephemeral-storage. ', { resource: 'ephemeral-storage', cause: 'node-pressure', offenders: [] }],
    ['node pressure, plain-number threshold and two containers',
      'The node was low on resource: ephemeral-storage. Threshold quantity: 5183510118, available: 4731052Ki. Container a was using 3512Mi, request is 0, has larger consumption of ephemeral-storage. Container b was using 10Mi, request is 1Mi, has larger consumption of ephemeral-storage. ',
      { resource: 'ephemeral-storage', cause: 'node-pressure', threshold: '5183510118', available: '4731052Ki',
        offenders: [{ scope: 'container', name: 'a', usage: '3512Mi', request: '0' }, { scope: 'container', name: 'b', usage: '10Mi', request: '1Mi' }] }],
    ['pod-level usage (PodLevelResources)', 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Pod web-1 was using 2Gi, request is 1Gi, has larger consumption of memory. ',
      { resource: 'memory', cause: 'node-pressure', threshold: '100Mi', available: '90Mi', offenders: [{ scope: 'pod', name: 'web-1', usage: '2Gi', request: '1Gi' }] }],
    ['pids', 'The node was low on resource: pids. Threshold quantity: 1000, available: 812. ', { resource: 'pids', cause: 'node-pressure', threshold: '1000', available: '812', offenders: [] }],
    ['inodes', 'The node was low on resource: inodes. ', { resource: 'inodes', cause: 'node-pressure', offenders: [] }],
    ['pod over its ephemeral-storage limit', 'Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. ',
      { resource: 'ephemeral-storage', cause: 'over-limit', offenders: [{ scope: 'pod', name: '', limit: '2Gi' }] }],
    ['container over its limit', 'Container app exceeded its local ephemeral storage limit "1Gi". ',
      { resource: 'ephemeral-storage', cause: 'over-limit', offenders: [{ scope: 'container', name: 'app', limit: '1Gi' }] }],
    ['emptyDir over its sizeLimit', 'Usage of EmptyDir volume "cache" exceeds the limit "500Mi". ',
      { resource: 'ephemeral-storage', cause: 'over-limit', offenders: [{ scope: 'emptyDir', name: 'cache', limit: '500Mi' }] }],
    ['admission rejection under DiskPressure', 'Pod was rejected: The node had condition: [DiskPressure]. ', { resource: 'ephemeral-storage', cause: 'admission-rejected', offenders: [] }],
    ['admission rejection under two conditions', 'Pod was rejected: The node had condition: [MemoryPressure DiskPressure]. ', { resource: 'memory+ephemeral-storage', cause: 'admission-rejected', offenders: [] }],
    ['unrecognised', 'something else', { resource: 'unknown', cause: 'unknown', offenders: [] }],
    ['a forged message: nothing that is not a quantity or a name is taken (it would land in a suggested command)',
      'The node was low on resource: memory. Threshold quantity: $(id), available: 1Mi. Container app was using 1Gi;rm -rf /, request is 1Mi, has larger consumption of memory. Container A$B was using 2Gi, request is 1Gi, has larger consumption of memory. ',
      { resource: 'memory', cause: 'node-pressure', offenders: [] }],
    ['missing', undefined, { resource: 'unknown', cause: 'unknown', offenders: [] }],
  ])('%s', (_, message, want) => {
    expect(parseEvictionMessage(message)).toEqual(want);
  });
});

describe('evicted-pods over the demo cluster', () => {
  it('finds the memory burst on demo-worker-2 (critical) and the disk evictions on demo-worker-3 (warning), nothing else', async () => {
    const { result, findings } = await runCheck(check, { objects: loadDemoObjects(), now: demoNow() });
    expect(result.status).toBe('fail');
    expect(findings.map(summary)).toEqual([
      { severity: 'critical', target: { kind: 'Node', name: 'demo-worker-2' }, resource: 'memory', last24h: 6 },
      { severity: 'warning', target: { kind: 'Node', name: 'demo-worker-3' }, resource: 'ephemeral-storage', last24h: 3 },
    ]);
    const [w2, w3] = findings;
    expect(w2!.evidence).toMatchObject({
      lastHour: 6, newest: '2026-11-25T09:48:12Z',
      critical: ['6 evictions on this node within one hour', 'Deployment shop/cart evicted 4 times in 24 h'],
      workloads: [{ workload: 'Deployment shop/cart', evicted: 4 }, { workload: 'Deployment shop/catalog', evicted: 1 }, { workload: 'Deployment shop/frontend', evicted: 1 }],
      nodeConditions: expect.arrayContaining([{ type: 'MemoryPressure', status: 'True', since: '2026-11-25T09:44:03Z' }]),
    });
    expect(w2!.message).toContain('demo-worker-2 reports MemoryPressure now');
    expect(w3!.evidence).toMatchObject({
      lastHour: 0, causes: { 'over-limit': 1, 'node-pressure': 1, 'admission-rejected': 1 },
      workloads: expect.arrayContaining([{ workload: 'Deployment observability/grafana', evicted: 1 }, { workload: 'Deployment shop/catalog', evicted: 1 }, { workload: 'Deployment shop/frontend', evicted: 1 }]),
    });
    // the stale evictions on demo-worker-1 and the Failed pods that are not evictions never show up
    const named = JSON.stringify(findings);
    for (const absent of ['demo-worker-1', 'payments-worker', 'nightly-report', 'load-test-runner', 'gpu-smoke-test', 'catalog-qdjms2dk8f-vwrvr']) expect(named).not.toContain(absent);
  });
});

describeReal('evicted-pods cleanup command (real sh, jq and xargs; kubectl faked)', { commands: ['sh', 'jq', 'xargs'] }, () => {
  const list = { apiVersion: 'v1', kind: 'List', items: [
    pod({ name: 'evicted-1', ns: 'shop' }), pod({ name: 'evicted-2', ns: 'payments' }),
    pod({ name: 'job-failed', job: 'nightly-1', reason: '' }), pod({ name: 'outofcpu', reason: 'OutOfcpu' }),
  ] };

  function runCleanup(items: unknown[]): { get: string; deleted: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'evicted-cleanup-'));
    try {
      writeFileSync(join(dir, 'list.json'), JSON.stringify({ ...list, items }));
      // Stands in for the cluster: `get` prints the list, `delete` records its arguments.
      writeFileSync(join(dir, 'kubectl'), `#!/bin/sh\nif [ "$1" = get ]; then echo "$*" > "${dir}/get.log"; cat "${dir}/list.json"; else echo "$*" >> "${dir}/delete.log"; fi\n`);
      chmodSync(join(dir, 'kubectl'), 0o755);
      execFileSync('sh', ['-c', cleanupCommand({ node: 'node-1' })], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      const deleted = existsSync(join(dir, 'delete.log')) ? readFileSync(join(dir, 'delete.log'), 'utf8').trim().split('\n') : [];
      return { get: readFileSync(join(dir, 'get.log'), 'utf8').trim(), deleted };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('deletes exactly the evicted pods, one kubectl call each, in their namespaces', () => {
    const { get, deleted } = runCleanup(list.items);
    expect(get).toBe('get pods -A --field-selector=status.phase=Failed,spec.nodeName=node-1 -o json');
    expect(deleted).toEqual(['delete pod -n shop evicted-1', 'delete pod -n payments evicted-2']);
  });

  it('runs no delete at all when nothing was evicted', () => {
    expect(runCleanup([list.items[2], list.items[3]]).deleted).toEqual([]);
  });
});

describe('evicted-pods: correlation with the node\'s disks (issue 4)', () => {
  const GiB = 1024 ** 3;
  const fs = (capacity: number, available: number) => ({ time: '2026-11-25T11:59:50Z', capacityBytes: capacity, availableBytes: available, usedBytes: capacity - available, inodes: 6553600, inodesFree: 6000000, inodesUsed: 553600 });
  const stats = { node: { nodeName: 'node-1', fs: fs(100 * GiB, 8 * GiB), runtime: { imageFs: fs(100 * GiB, 8 * GiB) } }, pods: [] };
  const config = { kubeletconfig: { evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'imagefs.available': '15%' } } };

  it('a disk eviction cites the node\'s filesystems against its eviction thresholds; a memory one does not', async () => {
    const { findings } = await runCheck(check, {
      objects: { Pod: [pod({ name: 'a', rs: 'web-5c8b', message: DISK }), pod({ name: 'b', node: 'node-2', rs: 'web-5c8b' })], ReplicaSet: [rs('web-5c8b', 'web')], Node: [node('node-1'), node('node-2')] },
      now: NOW,
      nodeProxy: { 'node-1': { configz: config, 'stats/summary': stats }, 'node-2': { configz: config, 'stats/summary': stats } },
    });
    const disk = findings.find((f) => f.target.name === 'node-1')!;
    expect(disk.evidence?.nodeDisk).toMatchObject({
      usageSource: 'stats/summary',
      nodefs: { capacityBytes: 100 * GiB, availableBytes: 8 * GiB },
      signals: expect.arrayContaining([expect.objectContaining({ signal: 'nodefs.available', threshold: '10%', state: 'met' })]),
    });
    expect(disk.evidence?.seeAlso).toBe('kubectl checkup --checks kubelet-gc,hostpath-log-growth --nodes node-1');
    const memory = findings.find((f) => f.target.name === 'node-2')!;
    expect(memory.evidence?.nodeDisk).toBeUndefined();
  });

  it('wants the kubelet answers of exactly the nodes with recent disk evictions, also for pods seen after a question', () => {
    const v = check.create({ now: NOW, settings: { sampleIntervalSeconds: 0 }, options: {}, report: () => {} });
    const wanted = () => ['node-1', 'node-2', 'node-3'].filter((n) => v.wantsNodeFacts!(n));
    v.Pod!(pod({ name: 'a', message: DISK }));
    v.Pod!(pod({ name: 'b', node: 'node-2' })); // memory
    v.Pod!(pod({ name: 'c', node: 'node-3', message: DISK, minutesAgo: 3 * 24 * 60 })); // disk, but stale
    expect(wanted()).toEqual(['node-1']);
    v.Pod!(pod({ name: 'd', node: 'node-2', message: DISK }));
    expect(wanted()).toEqual(['node-1', 'node-2']);
  });

  it('says so when the node proxy could not be read', async () => {
    const { findings, result } = await runCheck(check, {
      objects: { Pod: [pod({ name: 'a', rs: 'web-5c8b', message: DISK })], ReplicaSet: [rs('web-5c8b', 'web')], Node: [node('node-1')] },
      now: NOW, nodeProxy: 'forbidden',
    });
    expect(result.status).toBe('fail');
    expect(findings[0]!.evidence?.nodeDisk).toBe('not collected (nodes/proxy stats/summary unavailable)');
  });
});

describe('isDiskResource', () => {
  it.each([
    ['ephemeral-storage', true], ['nodefs.available', true], ['imagefs.inodesFree', true], ['inodes', true],
    ['memory+ephemeral-storage', true], ['memory', false], ['pids', false], ['unknown', false],
  ])('%s → %s', (resource, expected) => {
    expect(isDiskResource(resource)).toBe(expected);
  });
});
