import { describe, expect, it } from '@jest/globals';
import type { V1Node, V1Pod, V1ReplicaSet, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import check, { MAX_PATHS_PER_NODE, POD_LOGS } from '../../checks/hostpath-log-growth/index.js';
import { sshCommand } from '../../checks/hostpath-log-growth/findings.js';
import { isLogLike, isNodeDirectory, shQuote, validateHostPath } from '../../checks/hostpath-log-growth/paths.js';
import type { CheckContext, FindingInput, Visitors } from '../../src/engine/types.js';
import type { RawSample } from '../../src/node/probe-types.js';
import { runCheck, type CheckCase } from '../../src/check.js';
import { forgetful } from './forgetful.js';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const NOW = new Date('2026-11-25T12:00:00Z');
const noKubelet = readFileSync('fixtures/probes/kubeletConfig/no-kubelet.txt', 'utf8');

function node(name: string): V1Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } };
}

const rs: V1ReplicaSet = {
  apiVersion: 'apps/v1', kind: 'ReplicaSet',
  metadata: { name: 'cart-5d8f9c7b6', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart', uid: 'd1', controller: true }] },
};

interface Vol { name?: string; path: string; type?: string; readOnly?: boolean; unmounted?: boolean }
function pod(name: string, nodeName: string, vols: Vol[], owner: 'rs' | 'ds' | 'none' = 'rs'): V1Pod {
  const volumes: V1Volume[] = vols.map((v, i) => ({ name: v.name ?? `vol${i}`, hostPath: { path: v.path, ...(v.type ? { type: v.type } : {}) } }));
  const mounts: V1VolumeMount[] = vols.flatMap((v, i) => (v.unmounted ? [] : [{ name: v.name ?? `vol${i}`, mountPath: `/mnt/${i}`, readOnly: v.readOnly }]));
  const ownerReferences = owner === 'rs' ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-5d8f9c7b6', uid: 'r1', controller: true }]
    : owner === 'ds' ? [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'collector', uid: 'ds1', controller: true }] : undefined;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'shop', ownerReferences, labels: { 'pod-template-hash': '5d8f9c7b6' } },
    spec: { nodeName, volumes, containers: [{ name: 'app', image: 'shop/cart:1', volumeMounts: mounts }] },
    status: { phase: 'Running' },
  };
}

interface Entry { path: string; kib?: number; at?: number; fs?: { size: number; avail: number; mount: string }; state?: string; resolved?: string; logrotate?: string[]; rc?: number }
/** hostpathUsage output as the fragment prints it. Sizes in bytes here, KiB in the output. */
function sample(entries: Entry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`P ${e.path}`);
    if (e.state) { lines.push(`M ${e.state}`); continue; }
    if (e.resolved) lines.push(`R ${e.resolved}`);
    lines.push(`S ${e.rc ?? 0} ${(e.at ?? 100).toFixed(2)} ${e.kib ?? ''}`);
    if (e.fs) {
      const size = e.fs.size / 1024;
      const avail = e.fs.avail / 1024;
      lines.push(`F /dev/vdb1 ${size} ${size - avail} ${avail} ${Math.ceil(((size - avail) * 100) / size)}% ${e.fs.mount}`);
    }
    for (const l of e.logrotate ?? []) lines.push(`L ${l}`);
  }
  lines.push('E', '');
  return lines.join('\n');
}

const dataFs = { size: 100 * GiB, avail: 50 * GiB, mount: '/data' };
const rootFs = { size: 40 * GiB, avail: 30 * GiB, mount: '/' };

/** Two samples `dt` seconds apart; `grow` bytes added to each path between them. */
function samples(entries: Entry[], dt = 60, grow: Record<string, number> = {}): RawSample[] {
  const second = entries.map((e) => (e.kib === undefined ? e : { ...e, kib: e.kib + Math.round((grow[e.path] ?? 0) / 1024), at: (e.at ?? 100) + dt }));
  return [{ stdout: sample(entries), exitCode: 0 }, { stdout: sample(second), exitCode: 0 }];
}

const podLogs: Entry = { path: POD_LOGS, kib: (300 * MiB) / 1024, fs: rootFs };

async function run(c: CheckCase) {
  return runCheck(check, { now: NOW, sampleIntervalSeconds: 60, ...c });
}

describe('hostpath-log-growth', () => {
  describe('findings', () => {
    it('passes a small, steady hostPath', async () => {
      const { result, findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('cart-5d8f9c7b6-x1', 'node-a', [{ path: '/data/cart-cache' }])] },
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/data/cart-cache', kib: 1024, fs: dataFs }, podLogs]), kubeletConfig: noKubelet } },
      });
      expect(result.status).toBe('pass');
      expect(findings).toEqual([]);
    });

    it('warns when a hostPath takes more than 10 % of its filesystem, naming the owning Deployment', async () => {
      const { result, findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('cart-5d8f9c7b6-x1', 'node-a', [{ name: 'cache', path: '/data/cart-cache/' }])] },
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/data/cart-cache', kib: (15 * GiB) / 1024, fs: dataFs }, podLogs]), kubeletConfig: noKubelet } },
      });
      expect(result.status).toBe('fail');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: 'warning',
        target: { kind: 'Deployment', name: 'cart', namespace: 'shop' },
        evidence: {
          node: 'node-a', path: '/data/cart-cache', sizeBytes: 15 * GiB, sharePercent: 15,
          filesystem: { mount: '/data', capacityBytes: 100 * GiB, availableBytes: 50 * GiB, usedPercent: 50 },
          pod: 'shop/cart-5d8f9c7b6-x1', volume: 'cache', logLike: false,
          podLogs: { path: '/var/log/pods', sizeBytes: 300 * MiB, containerLogMaxSize: '10Mi', containerLogMaxFiles: 5 },
        },
      });
      expect(findings[0]!.message).toBe('Deployment shop/cart keeps 15 GiB in hostPath /data/cart-cache on node-a: 15% of its filesystem');
      expect(findings[0]!.remediation.steps!.join('\n')).toContain('emptyDir with sizeLimit');
    });

    it('takes its lines from the config file settings', async () => {
      const c = (options: Record<string, number>) => run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('cart-5d8f9c7b6-x1', 'node-a', [{ name: 'cache', path: '/data/cart-cache/' }])] },
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/data/cart-cache', kib: (15 * GiB) / 1024, fs: dataFs }, podLogs]), kubeletConfig: noKubelet } },
        options,
      });
      expect((await c({ sharePercent: 20 })).findings).toEqual([]);
      const strict = await c({ fullPercent: 40 });
      expect(strict.findings.map((f) => f.severity)).toEqual(['critical']);
      expect(strict.findings[0]!.expected).toContain('on a filesystem under 40% full');
    });

    it('warns on fast growth and is critical when it fills the filesystem within 24 h', async () => {
      const slowFill = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('p', 'node-a', [{ path: '/data/spool' }])] },
        // +2.5 MiB in 60 s = 150 MiB/h; 50 GiB left → 341 h
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/data/spool', kib: 1024, fs: dataFs }, podLogs], 60, { '/data/spool': 2.5 * MiB }), kubeletConfig: noKubelet } },
      });
      expect(slowFill.findings).toHaveLength(1);
      expect(slowFill.findings[0]).toMatchObject({ severity: 'warning', evidence: { growthBytesPerHour: 150 * MiB, measuredOverSeconds: 60, hoursToFull: 340 } });
      expect(slowFill.findings[0]!.message).toContain('growing 150 MiB/h');

      const fastFill = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('p', 'node-a', [{ path: '/data/spool' }])] },
        // +50 MiB in 60 s = 2.9 GiB/h; 50 GiB left → 17 h
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/data/spool', kib: 1024, fs: dataFs }, podLogs], 60, { '/data/spool': 50 * MiB }), kubeletConfig: noKubelet } },
      });
      expect(fastFill.findings[0]).toMatchObject({ severity: 'critical', evidence: { hoursToFull: 17 } });
      expect(fastFill.findings[0]!.message).toContain('fills /data in about 17.1 h');
    });

    it('is critical when a significant hostPath sits on a filesystem 90 % full', async () => {
      const full = { size: 100 * GiB, avail: 8 * GiB, mount: '/' };
      const { findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('p', 'node-a', [{ path: '/srv/uploads' }])] },
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/srv/uploads', kib: (30 * GiB) / 1024, fs: full }, podLogs]), kubeletConfig: noKubelet } },
      });
      expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { filesystem: { usedPercent: 92 } } });
      expect(findings[0]!.message).toContain('/ is 92% full');
      expect(findings[0]!.remediation.steps![1]).toContain('/ on node-a has 8 GiB left');
    });

    it('does not blame a small hostPath for a full filesystem (false-positive trap)', async () => {
      const full = { size: 100 * GiB, avail: 3 * GiB, mount: '/' };
      const { findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('p', 'node-a', [{ path: '/srv/pidfile-dir' }])] },
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/srv/pidfile-dir', kib: 8, fs: full }, podLogs]), kubeletConfig: noKubelet } },
      });
      expect(findings).toEqual([]);
    });

    it('does not extrapolate du noise (under 1 MiB between samples) into a fill time', async () => {
      const nearlyFull = { size: 10 * GiB, avail: 20 * MiB, mount: '/data' };
      const { findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('p', 'node-a', [{ path: '/data/state' }])] },
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/data/state', kib: 64, fs: nearlyFull }, podLogs], 5, { '/data/state': 8 * 1024 }), kubeletConfig: noKubelet } },
      });
      expect(findings).toEqual([]);
    });

    it('calls out log directories that nothing rotates, with the kubelet\'s own rotation for contrast', async () => {
      const configz = { kubeletconfig: { containerLogMaxSize: '50Mi', containerLogMaxFiles: 3 } };
      const { findings } = await run({
        objects: { Node: [node('node-a'), node('node-b')], ReplicaSet: [rs], Pod: [pod('p1', 'node-a', [{ path: '/var/log/cart' }]), pod('p2', 'node-b', [{ path: '/var/log/cart' }])] },
        nodeProxy: { 'node-a': { configz }, 'node-b': { configz } },
        nodes: {
          'node-a': { hostpathUsage: samples([{ path: '/var/log/cart', kib: (9 * GiB) / 1024, fs: rootFs }, podLogs], 60, { '/var/log/cart': 5 * MiB }), kubeletConfig: noKubelet },
          'node-b': { hostpathUsage: samples([{ path: '/var/log/cart', kib: (6 * GiB) / 1024, fs: rootFs, logrotate: ['/etc/logrotate.d/cart'] }, podLogs]), kubeletConfig: noKubelet },
        },
      });
      expect(findings).toHaveLength(1); // one per workload and path, however many nodes
      const f = findings[0]!;
      expect(f.message).toBe('Deployment shop/cart keeps 9 GiB in hostPath /var/log/cart on node-a: 22.5% of its filesystem, growing 300 MiB/h (and on 1 more node); Kubernetes never rotates files written there and no logrotate config on the node mentions it');
      expect(f.evidence).toMatchObject({
        logLike: true, logrotateConfigs: [],
        podLogs: { containerLogMaxSize: '50Mi', containerLogMaxFiles: 3, configSource: expect.stringContaining('configz') },
        nodes: [expect.objectContaining({ node: 'node-a', growthBytesPerHour: 300 * MiB }), expect.objectContaining({ node: 'node-b', sizeBytes: 6 * GiB })],
      });
      expect(f.remediation.steps!.join('\n')).toContain('containerLogMaxSize 50Mi × containerLogMaxFiles 3');
    });

    it('reports hostPaths it could not measure as info on the node', async () => {
      const { result, findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('p', 'node-a', [{ path: '/data/huge' }, { path: '/data/late' }])] },
        nodes: { 'node-a': { hostpathUsage: [{ stdout: sample([{ path: '/data/huge', rc: 124, fs: dataFs }, { path: '/data/late', state: 'budget' }, podLogs]), exitCode: 0 }], kubeletConfig: noKubelet } },
        sampleIntervalSeconds: 0,
      });
      expect(result.status).toBe('pass');
      expect(findings).toEqual([expect.objectContaining({
        severity: 'info', target: { kind: 'Node', name: 'node-a' },
        message: 'node-a: 2 hostPaths not measured (1 too large to measure in 4 s)',
        evidence: { node: 'node-a', paths: [{ path: '/data/huge', state: 'timeout' }, { path: '/data/late', state: 'budget' }] },
      })]);
    });

    it('says how many hostPaths beyond the per-node limit were not measured', async () => {
      const paths = Array.from({ length: MAX_PATHS_PER_NODE + 3 }, (_, i) => `/data/p${String(i).padStart(3, '0')}`);
      const measuredPaths = paths.slice(0, MAX_PATHS_PER_NODE);
      const { result, findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: paths.map((path, i) => pod(`p${i}`, 'node-a', [{ path }])) },
        nodes: { 'node-a': { hostpathUsage: [{ stdout: sample([...measuredPaths.map((path) => ({ path, kib: 4, fs: dataFs })), podLogs]), exitCode: 0 }], kubeletConfig: noKubelet } },
        sampleIntervalSeconds: 0,
      });
      expect(result.status).toBe('pass');
      expect(findings).toEqual([expect.objectContaining({
        severity: 'info', target: { kind: 'Node', name: 'node-a' },
        message: `node-a: 3 hostPaths not measured: pods mount more than ${MAX_PATHS_PER_NODE} writable hostPaths there, and only the first ${MAX_PATHS_PER_NODE} (by path) are measured per node`,
        evidence: { node: 'node-a', notMeasured: 3, limit: MAX_PATHS_PER_NODE, firstNotMeasured: ['/data/p200', '/data/p201', '/data/p202'] },
      })]);
      expect(findings[0]!.remediation.steps![0]).toBe("ssh node-a 'sudo du -xsh /data/p200'");
    });

    it('keeps only the measurements and resolved settings of each node: the same findings when the raw results are gone after delivery', async () => {
      const c: CheckCase = {
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('cart-5d8f9c7b6-x1', 'node-a', [{ path: '/var/log/cart' }])] },
        nodeProxy: { 'node-a': { configz: { kubeletconfig: { containerLogMaxSize: '50Mi', containerLogMaxFiles: 3 } } } },
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/var/log/cart', kib: (20 * GiB) / 1024, fs: dataFs }, podLogs]), kubeletConfig: noKubelet } },
      };
      const plain = await run(c);
      expect(plain.findings).toHaveLength(1);
      expect((await runCheck(forgetful(check), { now: NOW, sampleIntervalSeconds: 60, ...c })).findings).toEqual(plain.findings);
      const refused = { ...c, nodeProxy: 'forbidden' };
      expect((await runCheck(forgetful(check), { now: NOW, sampleIntervalSeconds: 60, ...refused })).findings).toEqual((await run(refused)).findings);
    });

    it('skips when no node can be reached (the sizes only exist on the nodes)', async () => {
      const { result } = await run({ objects: { Node: [node('node-a')], Pod: [pod('p', 'node-a', [{ path: '/data/x' }])] } });
      expect(result.status).toBe('skip');
    });
  });

  describe('data that lives on a hostPath by design', () => {
    /** kubeadm's etcd: a static pod (mirror, owned by its Node) mounting /var/lib/etcd writable. */
    const etcdPod = (nodeName: string): V1Pod => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: `etcd-${nodeName}`, namespace: 'kube-system', annotations: { 'kubernetes.io/config.mirror': 'abc' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: 'n1', controller: true }] },
      spec: {
        nodeName, volumes: [{ name: 'etcd-data', hostPath: { path: '/var/lib/etcd', type: 'DirectoryOrCreate' } }],
        containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.5.15-0', command: ['etcd', '--data-dir=/var/lib/etcd'], volumeMounts: [{ name: 'etcd-data', mountPath: '/var/lib/etcd' }] }],
      },
    });
    const provisioner = (nodeName: string, image = 'rancher/local-path-provisioner:v0.0.30'): V1Pod => ({
      ...pod('local-path-x', nodeName, [{ path: '/opt/local-path-provisioner' }], 'ds'),
      spec: { nodeName, volumes: [{ name: 'data', hostPath: { path: '/opt/local-path-provisioner' } }], containers: [{ name: 'p', image, volumeMounts: [{ name: 'data', mountPath: '/opt/local-path-provisioner' }] }] },
    });
    const etcdDisk = { size: 20 * GiB, avail: 6 * GiB, mount: '/var/lib/etcd' };

    it('a control-plane node with etcd on its own disk (70 % of it) is not a finding, nor is a WAL preallocation seen for 5 s', async () => {
      const still = await run({
        objects: { Node: [node('cp1')], Pod: [etcdPod('cp1')] },
        nodes: { cp1: { hostpathUsage: samples([{ path: '/var/lib/etcd', kib: (14 * GiB) / 1024, fs: etcdDisk }, podLogs]), kubeletConfig: noKubelet } },
      });
      expect(still.findings).toEqual([]);
      // 64 MiB in 5 s is 45 GiB/h: "fills in 8 min" for scratch data, a WAL segment for etcd.
      const wal = { '/var/lib/etcd': 64 * MiB };
      const burst = await run({
        objects: { Node: [node('cp1')], Pod: [etcdPod('cp1')] }, sampleIntervalSeconds: 5,
        nodes: { cp1: { hostpathUsage: samples([{ path: '/var/lib/etcd', kib: (14 * GiB) / 1024, fs: etcdDisk }, podLogs], 5, wal), kubeletConfig: noKubelet } },
      });
      expect(burst.findings).toEqual([]);
      const scratch = await run({
        objects: { Node: [node('cp1')], ReplicaSet: [rs], Pod: [pod('p', 'cp1', [{ path: '/data/spool' }])] }, sampleIntervalSeconds: 5,
        nodes: { cp1: { hostpathUsage: samples([{ path: '/data/spool', kib: 1024, fs: dataFs }, podLogs], 5, { '/data/spool': 64 * MiB }), kubeletConfig: noKubelet } },
      });
      expect(scratch.findings.map((f) => [f.rule, f.severity])).toEqual([['hostPathFillsDisk', 'critical']]);
      expect(scratch.findings[0]!.message).toContain('growing 45 GiB/h, fills /data in about 1.1 h (from 64 MiB written in 5 s: low confidence');
    });

    it('etcd on a nearly full disk is critical, with etcd\'s own remedies and never an emptyDir', async () => {
      const { findings } = await run({
        objects: { Node: [node('cp1')], Pod: [etcdPod('cp1')] },
        nodes: { cp1: { hostpathUsage: samples([{ path: '/var/lib/etcd', kib: (18 * GiB) / 1024, fs: { ...etcdDisk, avail: 1 * GiB } }, podLogs]), kubeletConfig: noKubelet } },
      });
      expect(findings.map((f) => [f.rule, f.severity, f.target])).toEqual([['dataDirFillsDisk', 'critical', { kind: 'Pod', name: 'etcd-cp1', namespace: 'kube-system' }]]);
      const f = findings[0]!;
      expect(f.message).toBe('Pod kube-system/etcd-cp1 keeps etcd data (18 GiB) in hostPath /var/lib/etcd on cp1: /var/lib/etcd is 95% full. Data belongs there by design; what matters is the room left for it.');
      expect(f.evidence).toMatchObject({ purpose: 'etcd', system: 'etcd', sharePercent: 90 });
      const steps = f.remediation.steps!.join('\n');
      expect(steps).toMatch(/--checks etcd-health/);
      expect(steps).toMatch(/etcdctl defrag/);
      expect(steps).toMatch(/quota-backend-bytes/);
      expect(steps).not.toMatch(/use an emptyDir/);
    });

    it('a storage provisioner\'s directory: its share is never the problem; growth measured long enough is', async () => {
      const disk = { size: 200 * GiB, avail: 30 * GiB, mount: '/' };
      const big = await run({
        objects: { Node: [node('w1')], Pod: [provisioner('w1')] },
        nodes: { w1: { hostpathUsage: samples([{ path: '/opt/local-path-provisioner', kib: (160 * GiB) / 1024, fs: disk }, podLogs], 600, { '/opt/local-path-provisioner': 200 * MiB }), kubeletConfig: noKubelet } },
        sampleIntervalSeconds: 600,
      });
      expect(big.findings).toEqual([]); // 80 % of the disk, 1.2 GiB/h: 25 h of room
      const filling = await run({
        objects: { Node: [node('w1')], Pod: [provisioner('w1')] },
        nodes: { w1: { hostpathUsage: samples([{ path: '/opt/local-path-provisioner', kib: (160 * GiB) / 1024, fs: disk }, podLogs], 600, { '/opt/local-path-provisioner': 6 * GiB }), kubeletConfig: noKubelet } },
        sampleIntervalSeconds: 600,
      });
      expect(filling.findings.map((f) => [f.rule, f.severity, f.target.name])).toEqual([['dataDirFillsDisk', 'critical', 'collector']]);
      const f = filling.findings[0]!;
      expect(f.message).toContain('keeps local-path-provisioner data');
      expect(f.message).toContain('fills / in about 50 min (from 6 GiB written in 10 min: high confidence)');
      expect(f.evidence).toMatchObject({ projection: { confidence: 'high', overSeconds: 600 }, hoursToFull: 0.83 });
      expect(f.remediation.summary).toMatch(/^Add capacity where local-path-provisioner keeps volumes on w1/);
    });

    it('a data directory\'s growth from a short sample is not projected, and says why in the evidence of a full-disk finding', async () => {
      const full = { size: 100 * GiB, avail: 5 * GiB, mount: '/' };
      const { findings } = await run({
        objects: { Node: [node('w1')], Pod: [{ ...provisioner('w1'), spec: { ...provisioner('w1').spec!, volumes: [{ name: 'data', hostPath: { path: '/var/lib/longhorn' } }] } }] },
        nodes: { w1: { hostpathUsage: samples([{ path: '/var/lib/longhorn', kib: (60 * GiB) / 1024, fs: full }, podLogs], 10, { '/var/lib/longhorn': 200 * MiB }), kubeletConfig: noKubelet } },
        sampleIntervalSeconds: 10,
      });
      expect(findings.map((f) => [f.rule, f.severity])).toEqual([['dataDirFillsDisk', 'critical']]);
      expect(findings[0]!.message).not.toMatch(/fills/);
      expect(String(findings[0]!.evidence!.notProjected)).toMatch(/200 MiB in 10 s is too little to project/);
    });

    it('knows Prometheus by its image wherever its data is, but a log directory stays a log directory', async () => {
      const prom = (path: string): V1Pod => ({
        ...pod('prom-0', 'w1', [{ path }]),
        spec: { nodeName: 'w1', volumes: [{ name: 'd', hostPath: { path } }], containers: [{ name: 'prometheus', image: 'quay.io/prometheus/prometheus:v2.53.0', volumeMounts: [{ name: 'd', mountPath: '/prometheus' }] }] },
      });
      const c = (path: string) => run({
        objects: { Node: [node('w1')], ReplicaSet: [rs], Pod: [prom(path)] },
        nodes: { w1: { hostpathUsage: samples([{ path, kib: (40 * GiB) / 1024, fs: dataFs }, podLogs]), kubeletConfig: noKubelet } },
      });
      expect((await c('/mnt/disk1/tsdb')).findings).toEqual([]);
      expect((await c('/mnt/disk1/logs')).findings.map((f) => f.rule)).toEqual(['hostPathFillsDisk']);
    });

    it('says how sure a projection for scratch data is', async () => {
      const nearlyFull = { size: 10 * GiB, avail: 200 * MiB, mount: '/data' };
      const { findings } = await run({
        objects: { Node: [node('node-a')], ReplicaSet: [rs], Pod: [pod('p', 'node-a', [{ path: '/data/spool' }])] }, sampleIntervalSeconds: 5,
        nodes: { 'node-a': { hostpathUsage: samples([{ path: '/data/spool', kib: 1024, fs: nearlyFull }, podLogs], 5, { '/data/spool': 4 * MiB }), kubeletConfig: noKubelet } },
      });
      expect(findings[0]!.severity).toBe('critical');
      expect(findings[0]!.message).toContain('fills /data in about 4 min (from 4 MiB written in 5 s: low confidence: a short sample can be one burst; confirm with --sample-interval 300)');
      expect(findings[0]!.evidence).toMatchObject({ projection: { grownBytes: 4 * MiB, overSeconds: 5, confidence: 'low' } });
    });
  });

  describe('volume directories nothing uses any more (seed 004: hostPath survives deletion)', () => {
    const NOW_S = Date.parse('2026-11-25T12:00:00Z') / 1000;
    const dirs = (...entries: [string, number][]) => ({ stdout: `T ${NOW_S}\nR /opt/local-path-provisioner\n${entries.map(([n, age]) => `D ${NOW_S - age} ${n}\n`).join('')}N ${entries.length}\nE\n`, exitCode: 0 });
    const pv = (name: string, path: string, kind: 'hostPath' | 'local' = 'hostPath') => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { [kind]: { path }, persistentVolumeReclaimPolicy: 'Retain' } });
    const base = (localVolumeDirs: ReturnType<typeof dirs>, pvs: unknown[]) => run({
      objects: { Node: [node('w1')], PersistentVolume: pvs, Pod: [] } as never,
      nodes: { w1: { hostpathUsage: samples([podLogs]), kubeletConfig: noKubelet, localVolumeDirs: [localVolumeDirs] } },
    });
    const DAY = 86400;

    it('reports provisioner directories whose PersistentVolume is gone, not young ones or ones still backed', async () => {
      const { findings } = await base(
        dirs(['pvc-11111111-aaaa-4aaa-8aaa-111111111111_shop_data-db-0', 3 * DAY], ['pvc-22222222-bbbb-4bbb-8bbb-222222222222_shop_old-uploads', 40 * DAY],
          ['pvc-33333333-cccc-4ccc-8ccc-333333333333_shop_fresh', 120]),
        [pv('pvc-11111111-aaaa-4aaa-8aaa-111111111111', '/opt/local-path-provisioner/pvc-11111111-aaaa-4aaa-8aaa-111111111111_shop_data-db-0', 'local')],
      );
      expect(findings.map((f) => [f.rule, f.severity, f.target])).toEqual([['orphanedVolumeDirectories', 'info', { kind: 'Node', name: 'w1' }]]);
      expect(findings[0]!.message).toBe('w1: 1 volume directory under /opt/local-path-provisioner belongs to no PersistentVolume (pvc-22222222-bbbb-4bbb-8bbb-222222222222_shop_old-uploads): ' +
        'the data outlived its volume (reclaimPolicy Retain and the PersistentVolume deleted, or a failed cleanup) and stays on the node until removed by hand');
      expect(findings[0]!.remediation.steps![0]).toContain('kubectl get pv pvc-22222222-bbbb-4bbb-8bbb-222222222222');
      expect(findings[0]!.remediation.steps![2]).toContain("ssh w1 'sudo rm -rf -- /opt/local-path-provisioner/pvc-22222222-bbbb-4bbb-8bbb-222222222222_shop_old-uploads'");
    });

    it('says nothing when no listed PersistentVolume points under the root (the list may have failed)', async () => {
      expect((await base(dirs(['pvc-22222222-bbbb-4bbb-8bbb-222222222222_shop_old-uploads', 40 * DAY]), [])).findings).toEqual([]);
      expect((await base(dirs(['pvc-22222222-bbbb-4bbb-8bbb-222222222222_shop_old-uploads', 40 * DAY]), [pv('pv-nfs', '/mnt/nfs/x')])).findings).toEqual([]);
    });
  });

  describe('which paths are sent to a node', () => {
    function visitors(pods: V1Pod[]): Visitors & { reported: FindingInput[] } {
      const reported: FindingInput[] = [];
      const ctx: CheckContext = { now: NOW, settings: { sampleIntervalSeconds: 5 }, options: {}, report: (f) => reported.push(f) };
      const v = check.create(ctx);
      v.ReplicaSet!(rs);
      for (const p of pods) v.Pod!(p);
      return Object.assign(v, { reported });
    }

    it('sends each writable, measurable, workload-owned path once per node, plus /var/log/pods', () => {
      const v = visitors([
        pod('a1', 'node-a', [{ path: '/data/app' }, { path: '/data/app/' }, { path: '//data//other/./x' }]),
        pod('a2', 'node-a', [{ path: '/data/app' }]),
        pod('ro', 'node-a', [{ path: '/etc/ssl/certs', readOnly: true }, { path: '/data/unmounted', unmounted: true }]),
        pod('sock', 'node-a', [{ path: '/run/containerd/containerd.sock', type: 'Socket' }, { path: '/dev/fuse', type: 'CharDevice' }]),
        pod('fluent', 'node-a', [{ path: '/var/log' }, { path: '/var/lib/docker/containers' }, { path: '/' }, { path: '/proc/1' }], 'ds'),
        pod('b', 'node-b', [{ path: '/data/b' }]),
        { ...pod('pending', '', [{ path: '/data/pending' }]), spec: { ...pod('x', '', []).spec!, nodeName: undefined, volumes: [{ name: 'v', hostPath: { path: '/data/pending' } }] } },
      ]);
      expect(v.probeInputs!('node-a')).toEqual({ hostpathUsage: ['/data/app', '/data/other/x', '/var/log/pods'] });
      expect(v.probeInputs!('node-b')).toEqual({ hostpathUsage: ['/data/b', '/var/log/pods'] });
      expect(v.probeInputs!('node-c')).toEqual({ hostpathUsage: [] });
    });

    it('passes hostile but valid paths as data, and rejects the rest without sending them', () => {
      const quote = "/var/log/x'; touch /tmp/pwned; '";
      const subst = '/$(touch /tmp/pwned)';
      const newline = '/var/log/app\ntouch /tmp/pwned';
      const v = visitors([pod('evil', 'node-a', [
        { path: quote }, { path: subst }, { path: newline }, { path: '$(touch /tmp/pwned)' },
        { path: '/var/log/../../etc' }, { path: `/x${'a'.repeat(4100)}` }, { path: '/var/log/\u001b[2Jclear' },
      ])]);
      expect(v.probeInputs!('node-a')).toEqual({ hostpathUsage: [subst, quote, '/var/log/pods'] });
      for (const line of v.probeInputs!('node-a').hostpathUsage!) expect(line).not.toMatch(/[\n\r\u0000-\u001f]/);
      v.finish!();
      expect(v.reported.map((f) => f.evidence!.reason)).toEqual([
        'contains a control character (U+000A)', 'not an absolute path', 'contains a ".." segment', 'longer than 4096 bytes', 'contains a control character (U+001B)',
      ]);
      expect(v.reported[0]).toMatchObject({
        severity: 'warning', target: { kind: 'Deployment', name: 'cart', namespace: 'shop' },
        evidence: { path: JSON.stringify(newline), node: 'node-a', pod: 'shop/evil' },
      });
      expect(v.reported[0]!.message).toContain('was never sent to the node');
    });
  });

  describe('paths', () => {
    it.each([
      ['/var/log/app', '/var/log/app'], ['/var/log/app/', '/var/log/app'], ['//var//log/./app', '/var/log/app'], ['/', '/'],
      ['/data/..hidden', '/data/..hidden'], ['/data/with space/ünï', '/data/with space/ünï'],
    ])('normalises %j to %j', (raw, want) => {
      expect(validateHostPath(raw)).toEqual({ ok: true, path: want });
    });

    it.each([['', 'empty or not a string'], [42, 'empty or not a string'], ['relative/x', 'not an absolute path'], ['/a/\u0085b', 'contains a control character (U+0085)'], ['/a/\u0000', 'contains a control character (U+0000)']])('rejects %j', (raw, reason) => {
      expect(validateHostPath(raw)).toEqual({ ok: false, reason });
    });

    it('accepts exactly 4096 bytes and no more (multi-byte characters count as bytes)', () => {
      expect(validateHostPath(`/${'a'.repeat(4095)}`).ok).toBe(true);
      expect(validateHostPath(`/${'a'.repeat(4096)}`).ok).toBe(false);
      expect(validateHostPath(`/${'é'.repeat(2048)}`).ok).toBe(false);
    });

    it('knows node directories and log-like paths', () => {
      expect(isNodeDirectory('/var/log')).toBe(true);
      expect(isNodeDirectory('/sys/fs/cgroup')).toBe(true);
      expect(isNodeDirectory('/var/log/app')).toBe(false);
      expect(isNodeDirectory('/system')).toBe(false);
      expect(['/var/log/app', '/data/app-logs', '/srv/nginx_log', '/opt/Logs'].every(isLogLike)).toBe(true);
      expect(['/data/catalog', '/srv/blogs', '/var/lib/app'].some(isLogLike)).toBe(false);
    });

    it('leaves plain paths readable and quotes the rest', () => {
      expect(shQuote('/srv/app-logs/v1.2')).toBe('/srv/app-logs/v1.2');
      expect(shQuote('/srv/my logs')).toBe("'/srv/my logs'");
      expect(shQuote("/x/it's")).toBe("'/x/it'\\''s'");
      expect(sshCommand('node-a', `sudo du -xsh ${shQuote('/srv/app-logs')}`)).toBe("ssh node-a 'sudo du -xsh /srv/app-logs'");
    });

    it('quotes paths in the commands it suggests so that pasting one runs nothing else', () => {
      const hostile = "/x/'$(touch PWNED)'\"`touch PWNED`\"; touch PWNED";
      const cmd = sshCommand('node-a', `sudo du -xsh ${shQuote(hostile)}`);
      // What ssh would send: the words the local shell makes of the command, joined by spaces.
      const words = execFileSync('sh', ['-c', `printf '%s\\n' ${cmd.slice('ssh '.length)}`], { encoding: 'utf8', cwd: tmpdir() }).trimEnd().split('\n');
      expect(words[0]).toBe('node-a');
      const remote = words.slice(1).join(' ');
      // And what the remote shell makes of that: exactly three words, the path intact.
      const remoteWords = execFileSync('sh', ['-c', `printf '%s\\n' ${remote}`], { encoding: 'utf8', cwd: tmpdir() }).trimEnd().split('\n');
      expect(remoteWords).toEqual(['sudo', 'du', '-xsh', hostile]);
    });
  });
});
