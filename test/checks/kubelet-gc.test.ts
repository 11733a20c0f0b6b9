import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import check from '../../checks/kubelet-gc/index.js';
import { runCheck, type CheckCase } from '../../src/check.js';
import { forgetful } from './forgetful.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const GiB = 1024 ** 3;
const fixture = (p: string) => readFileSync(`fixtures/probes/${p}`, 'utf8');

function node(name: string, opts: { version?: string; runtime?: string; diskPressure?: 'True' | 'False' } = {}): V1Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name },
    status: {
      nodeInfo: {
        kubeletVersion: opts.version ?? 'v1.31.4', containerRuntimeVersion: opts.runtime ?? 'containerd://1.7.24',
        architecture: 'amd64', bootID: '', kernelVersion: '6.1.0', kubeProxyVersion: '', machineID: '', operatingSystem: 'linux', osImage: 'Debian', systemUUID: '',
      },
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'DiskPressure', status: opts.diskPressure ?? 'False', lastTransitionTime: '2026-11-25T11:40:00Z' as unknown as Date,
          message: opts.diskPressure === 'True' ? 'kubelet has disk pressure' : 'kubelet has no disk pressure' },
      ],
      addresses: [{ type: 'InternalIP', address: '10.0.0.11' }],
    },
  };
}

interface Fs { capacity: number; available: number; inodes?: number; inodesFree?: number }
function summary(nodefs: Fs, imagefs: Fs = nodefs) {
  const fs = (f: Fs) => ({
    time: '2026-11-25T11:59:50Z', capacityBytes: f.capacity, availableBytes: f.available, usedBytes: f.capacity - f.available,
    inodes: f.inodes ?? 6553600, inodesFree: f.inodesFree ?? 6000000, inodesUsed: (f.inodes ?? 6553600) - (f.inodesFree ?? 6000000),
  });
  return { node: { nodeName: 'n', fs: fs(nodefs), runtime: { imageFs: fs(imagefs) } }, pods: [] };
}

const FULL_DEFAULTS = { 'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'imagefs.available': '15%' };
function configz(overrides: Record<string, unknown> = {}) {
  return { kubeletconfig: { imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80, evictionHard: FULL_DEFAULTS,
    mergeDefaultEvictionSettings: false, containerLogMaxSize: '10Mi', containerLogMaxFiles: 5, ...overrides } };
}

const healthy = summary({ capacity: 100 * GiB, available: 60 * GiB });

function event(nodeName: string, reason: string, message: string, count = 3, last = '2026-11-25T11:55:00Z'): CoreV1Event {
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${nodeName}.${reason}`, namespace: 'default' },
    involvedObject: { kind: 'Node', name: nodeName, uid: nodeName },
    reason, message, count, lastTimestamp: last as unknown as Date, type: 'Warning',
  };
}

function evicted(name: string, nodeName: string, message: string, at: string, reason = 'Evicted'): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'shop', creationTimestamp: '2026-11-20T00:00:00Z' as unknown as Date },
    spec: { nodeName, containers: [{ name: 'app', image: 'shop/app:1' }] },
    status: { phase: 'Failed', reason, message, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: at as unknown as Date }] },
  };
}

async function run(c: CheckCase) {
  return runCheck(check, { now: NOW, ...c });
}

describe('kubelet-gc', () => {
  it('passes a healthy node (configz + Summary API, default thresholds)', async () => {
    const { result, findings } = await run({
      objects: { Node: [node('node-a')] },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': healthy } },
    });
    expect(result.status).toBe('pass');
    expect(findings).toEqual([]);
  });

  it('flags image GC that cannot reclaim (above the high threshold + FreeDiskSpaceFailed), citing the evictions', async () => {
    const imagefs = { capacity: 100 * GiB, available: 10 * GiB }; // 90 % used
    const { result, findings } = await run({
      objects: {
        Node: [node('node-a')],
        Event: [
          event('node-a', 'FreeDiskSpaceFailed', 'Failed to garbage collect required amount of images. Attempted to free 10737418240 bytes, but only found 0 bytes eligible to free.', 7),
          event('node-b', 'FreeDiskSpaceFailed', 'other node'),
        ],
        Pod: [
          evicted('web-1', 'node-a', 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. ', '2026-11-25T10:00:00Z'),
          evicted('web-2', 'node-a', 'The node was low on resource: ephemeral-storage. ', '2026-11-25T11:30:00Z'),
          evicted('old', 'node-a', 'The node was low on resource: memory. ', '2026-11-20T11:30:00Z'),
          evicted('cpu', 'node-a', 'Pod Node didn\'t have enough resource: cpu', '2026-11-25T11:50:00Z', 'OutOfcpu'),
          evicted('elsewhere', 'node-b', 'The node was low on resource: memory. ', '2026-11-25T11:59:00Z'),
        ],
      },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': summary({ capacity: 200 * GiB, available: 150 * GiB }, imagefs) } },
    });
    expect(result.status).toBe('fail');
    // With the defaults GC starts at 85 % used and imagefs.available<15 % evicts at 85 % too (check-facts
    // §4.3): the same filesystem is past both, and both are reported.
    expect(findings.map((x) => x.severity)).toEqual(['critical', 'critical']);
    expect(findings[0]!.evidence).toMatchObject({ signals: expect.arrayContaining([expect.objectContaining({ signal: 'imagefs.available', state: 'met' })]) });
    const f = findings[1]!;
    expect(f).toMatchObject({
      check: 'kubelet-gc', severity: 'critical', target: { kind: 'Node', name: 'node-a' },
      evidence: {
        usedPercent: 90, imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80,
        bytesToFree: 10 * GiB, configSource: expect.stringContaining('configz'), usageSource: 'stats/summary',
        events: [{ reason: 'FreeDiskSpaceFailed', count: 7, last: '2026-11-25T11:55:00Z' }],
        evictions: { count: 3, last24h: 2, byResource: { 'ephemeral-storage': 2, memory: 1 }, newest: { pod: 'shop/web-2', at: '2026-11-25T11:30:00Z', resource: 'ephemeral-storage' } },
      },
    });
    expect(f.message).toContain('image GC cannot reclaim space');
    expect(f.message).toContain('90% used');
    expect(f.remediation.summary).toContain('Free 10 GiB on the image filesystem of node-a');
    expect(f.remediation.steps!.join('\n')).toContain('ssh node-a sudo crictl rmi --prune');
  });

  it('only informs when imagefs is above the high threshold but GC reports no failure (it is working)', async () => {
    const { result, findings } = await run({
      objects: { Node: [node('node-a')] },
      nodeProxy: { 'node-a': {
        configz: configz({ evictionHard: { ...FULL_DEFAULTS, 'imagefs.available': '10%' } }),
        'stats/summary': summary({ capacity: 100 * GiB, available: 40 * GiB }, { capacity: 100 * GiB, available: 14 * GiB }),
      } },
    });
    // imagefs 86 % used: GC is due. 14 % available is within 5 points of imagefs.available<10% → that is the warning.
    expect(findings.map((f) => f.severity).sort()).toEqual(['info', 'warning']);
    expect(findings.find((f) => f.severity === 'info')!.message).toContain('image GC should be removing unused images now');
    expect(result.status).toBe('fail');
  });

  it('warns within 5 points of an eviction threshold, including inodes', async () => {
    const { findings } = await run({
      objects: { Node: [node('node-a')] },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': summary({ capacity: 100 * GiB, available: 13 * GiB, inodes: 1000000, inodesFree: 80000 }, { capacity: 500 * GiB, available: 400 * GiB }) } },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'warning',
      evidence: { signals: expect.arrayContaining([
        expect.objectContaining({ signal: 'nodefs.available', availablePercent: 13, thresholdPercent: 10, state: 'near' }),
        expect.objectContaining({ signal: 'nodefs.inodesFree', availablePercent: 8, thresholdPercent: 5, state: 'near', unit: 'inodes' }),
        expect.objectContaining({ signal: 'imagefs.available', state: 'ok' }),
      ]) },
    });
    expect(findings[0]!.message).toContain('within 5 points');
  });

  it('setting nearPoints moves the warning line', async () => {
    // nodefs 18 % available against nodefs.available<10%: 8 points of headroom, clear of the default 5.
    const c = (options?: Record<string, number>) => run({
      objects: { Node: [node('node-a')] },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': summary({ capacity: 100 * GiB, available: 18 * GiB }, { capacity: 500 * GiB, available: 400 * GiB }) } },
      options,
    });
    expect((await c()).findings).toEqual([]);
    const wide = (await c({ nearPoints: 10 })).findings;
    expect(wide.map((f) => [f.rule, f.severity])).toEqual([['diskPressure', 'warning']]);
    expect(wide[0]!.message).toContain('within 10 points');
    expect(wide[0]!.evidence).toMatchObject({ signals: expect.arrayContaining([expect.objectContaining({ signal: 'nodefs.available', availablePercent: 18, state: 'near' })]) });
    // 0 leaves only thresholds already crossed: the 13 %-available node of the test above is clear.
    const { findings } = await run({
      objects: { Node: [node('node-a')] },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': summary({ capacity: 100 * GiB, available: 13 * GiB }, { capacity: 500 * GiB, available: 400 * GiB }) } },
      options: { nearPoints: 0 },
    });
    expect(findings).toEqual([]);
  });

  it('is critical under DiskPressure and past a threshold; thresholds given as quantities count too', async () => {
    const { findings } = await run({
      objects: { Node: [node('node-a', { diskPressure: 'True' })] },
      nodeProxy: { 'node-a': {
        configz: configz({ evictionHard: { ...FULL_DEFAULTS, 'nodefs.available': '20Gi' } }),
        'stats/summary': summary({ capacity: 200 * GiB, available: 15 * GiB }, { capacity: 500 * GiB, available: 400 * GiB }),
      } },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'critical',
      evidence: { diskPressure: { status: 'True' }, signals: expect.arrayContaining([expect.objectContaining({ signal: 'nodefs.available', threshold: '20Gi', thresholdPercent: 10, availablePercent: 7.5, state: 'met' })]) },
    });
    expect(findings[0]!.message).toMatch(/^node-a reports DiskPressure: nodefs.available 7.5% available/);
    expect(findings[0]!.remediation.steps![0]).toBe('See what was evicted: kubectl get pods -A --field-selector spec.nodeName=node-a,status.phase=Failed');
  });

  describe('evictionHard that sets only some signals', () => {
    it('warns that the others are off (configz shows the effective map)', async () => {
      const { findings } = await run({
        objects: { Node: [node('node-a', { version: 'v1.30.2' })] },
        nodeProxy: { 'node-a': { configz: configz({ evictionHard: { 'memory.available': '200Mi' } }), 'stats/summary': healthy } },
      });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: 'warning',
        evidence: { notWatched: ['nodefs.available', 'nodefs.inodesFree', 'imagefs.available'], evictionHard: { 'memory.available': '200Mi' } },
      });
      expect(findings[0]!.message).toBe('node-a: evictionHard sets only memory.available, so nodefs.available, nodefs.inodesFree, imagefs.available are not watched');
      expect(findings[0]!.remediation.steps![0]).toContain('memory.available: "200Mi", nodefs.available: "10%"');
    });

    it('counts imagefs.inodesFree as a default from kubelet 1.33 on', async () => {
      const { findings } = await run({
        objects: { Node: [node('node-a', { version: 'v1.33.1' })] },
        nodeProxy: { 'node-a': { configz: configz({ evictionHard: FULL_DEFAULTS }), 'stats/summary': healthy } },
      });
      expect(findings[0]?.evidence).toMatchObject({ notWatched: ['imagefs.inodesFree'] });
    });

    it('does not call an older kubelet\'s four-signal default incomplete', async () => {
      const { findings } = await run({
        objects: { Node: [node('node-a', { version: 'v1.32.9' })] },
        nodeProxy: { 'node-a': { configz: configz({ evictionHard: FULL_DEFAULTS }), 'stats/summary': healthy } },
      });
      expect(findings).toEqual([]);
    });

    it('accepts a partial map in the file when mergeDefaultEvictionSettings is honoured (≥ 1.33), not when ignored', async () => {
      const file = (merge: boolean) => `@@ file /var/lib/kubelet/config.yaml\nkind: KubeletConfiguration\nevictionHard:\n  memory.available: 300Mi\n${merge ? 'mergeDefaultEvictionSettings: true\n' : ''}@@ endfile\n@@ end\n`;
      const nodes = (version: string, merge: boolean) => ({
        objects: { Node: [node('node-a', { version })] },
        nodeProxy: 'forbidden',
        nodes: { 'node-a': { kubeletConfig: file(merge), diskUsage: fixture('diskUsage/host.txt') } },
      });
      expect((await run(nodes('v1.33.0', true))).findings).toEqual([]);
      const older = await run(nodes('v1.31.0', true));
      expect(older.findings).toHaveLength(1);
      expect(older.findings[0]!.message).toContain('mergeDefaultEvictionSettings is set, but kubelet v1.31.0 is older than 1.33 and ignores it');
      const unmerged = await run(nodes('v1.33.0', false));
      expect(unmerged.findings[0]!.evidence).toMatchObject({ notWatched: ['nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree'] });
    });

    it('is critical when the disk is already past a threshold the kubelet no longer watches (real tmpfs df, kubeadm file over SSH)', async () => {
      // kubelet-tmpfs: /var/lib/kubelet 10.6 % available, /var/lib/containerd 13.6 % available;
      // the kubeadm file sets only memory.available, so neither disk is watched.
      const { result, findings } = await run({
        objects: { Node: [node('node-a', { version: 'v1.30.2' })] },
        nodeProxy: 'forbidden',
        nodes: { 'node-a': { kubeletConfig: fixture('kubeletConfig/kubeadm-file.txt'), diskUsage: fixture('diskUsage/kubelet-tmpfs.txt') } },
      });
      expect(result.status).toBe('fail');
      const partial = findings.find((f) => f.evidence?.notWatched)!;
      expect(partial.severity).toBe('critical');
      expect(partial.evidence).toMatchObject({
        configSource: '/var/lib/kubelet/config.yaml over SSH', usageSource: 'df',
        pastDefaultThresholds: [expect.objectContaining({ signal: 'imagefs.available', filesystem: '/var/lib/containerd', state: 'met' })],
      });
      expect(partial.message).toContain('the kubelet would already be evicting for imagefs.available 13.6% available on /var/lib/containerd (evicts below 15%)');
      // No eviction finding: the kubelet watches no disk signal here. GC is due on imagefs (86.4 % used).
      expect(findings.filter((f) => f !== partial).map((f) => f.severity)).toEqual(['info']);
    });

    it('names the --eviction-hard flag when it is the flag that replaced the map', async () => {
      const { findings } = await run({
        objects: { Node: [node('node-a', { version: 'v1.30.2' })] },
        nodeProxy: 'forbidden',
        nodes: { 'node-a': { kubeletConfig: fixture('kubeletConfig/flags.txt'), diskUsage: fixture('diskUsage/host.txt') } },
      });
      const f = findings.find((x) => x.evidence?.notWatched)!;
      expect(f.evidence).toMatchObject({ evictionHardFlag: 'memory.available<200Mi,nodefs.available<5%', notWatched: ['nodefs.inodesFree', 'imagefs.available'] });
      expect(f.evidence!.configSource).toBe('/etc/kubernetes/custom.yaml over SSH with --eviction-hard, --image-gc-high-threshold from the kubelet command line');
      expect(f.remediation.steps![0]).toContain('--eviction-hard=memory.available<200Mi,nodefs.available<5%,nodefs.inodesFree<5%,imagefs.available<15%');
    });
  });

  it('warns when image GC is disabled (high threshold 100)', async () => {
    const { findings } = await run({
      objects: { Node: [node('node-a')] },
      nodeProxy: { 'node-a': { configz: configz({ imageGCHighThresholdPercent: 100 }), 'stats/summary': healthy } },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { imageGCHighThresholdPercent: 100 } });
    expect(findings[0]!.message).toContain('image garbage collection by disk usage is disabled');
  });

  it('is critical when the low threshold is not below the high one (the kubelet will refuse to start)', async () => {
    const { findings } = await run({
      objects: { Node: [node('node-a')] },
      nodeProxy: 'forbidden',
      nodes: { 'node-a': { kubeletConfig: '@@ file /var/lib/kubelet/config.yaml\nimageGCHighThresholdPercent: 80\nimageGCLowThresholdPercent: 80\n@@ endfile\n@@ end\n', diskUsage: fixture('diskUsage/host.txt') } },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { imageGCHighThresholdPercent: 80, imageGCLowThresholdPercent: 80 } });
    expect(findings[0]!.remediation.summary).toBe('Set the low threshold below the high one in /var/lib/kubelet/config.yaml before the kubelet on node-a restarts');
  });

  it('falls back to SSH when nodes/proxy is forbidden and says so', async () => {
    const { findings } = await run({
      objects: { Node: [node('node-a')] },
      nodeProxy: 'forbidden',
      nodes: { 'node-a': { kubeletConfig: fixture('kubeletConfig/kubeadm-file.txt'), diskUsage: fixture('diskUsage/host.txt') } },
    });
    const f = findings[0]!;
    expect(f.evidence).toMatchObject({
      configSource: '/var/lib/kubelet/config.yaml over SSH',
      usageSource: 'unavailable', // host.txt has no /var/lib/kubelet
      notCollected: ['configz: nodes/proxy: forbidden', 'stats/summary: nodes/proxy: forbidden', 'df: /var/lib/kubelet not found on the node'],
    });
  });

  it('reads the same verdict from the Summary API and from df for the same filesystems', async () => {
    // The Summary API numbers are the df numbers of the real tmpfs fixture (1 KiB blocks → bytes).
    const kubelet = { capacity: 65536 * 1024, available: 6936 * 1024, inodes: 3085452, inodesFree: 3085449 };
    const image = { capacity: 32768 * 1024, available: 4444 * 1024, inodes: 2000, inodesFree: 498 };
    const config = fixture('kubeletConfig/kubeadm-file.txt').replace('  memory.available: 200Mi\n', '  memory.available: 200Mi\n  nodefs.available: 10%\n  nodefs.inodesFree: 5%\n  imagefs.available: 15%\n');
    const base = { objects: { Node: [node('node-a', { version: 'v1.30.2' })] } };
    const viaDf = await run({ ...base, nodeProxy: 'forbidden', nodes: { 'node-a': { kubeletConfig: config, diskUsage: fixture('diskUsage/kubelet-tmpfs.txt') } } });
    const viaSummary = await run({ ...base, nodeProxy: { 'node-a': { 'stats/summary': summary(kubelet, image) } }, nodes: { 'node-a': { kubeletConfig: config } } });
    const signals = (r: typeof viaDf) => (r.findings.find((f) => f.evidence?.signals)!.evidence!.signals as { signal: string; availablePercent: number; state: string }[])
      .map(({ signal, availablePercent, state }) => ({ signal, availablePercent, state }));
    expect(signals(viaDf)).toEqual(signals(viaSummary));
    expect(signals(viaDf)).toEqual([
      { signal: 'nodefs.available', availablePercent: 10.6, state: 'near' },
      { signal: 'nodefs.inodesFree', availablePercent: 100, state: 'ok' },
      { signal: 'imagefs.available', availablePercent: 13.6, state: 'met' },
    ]);
    expect(viaDf.findings.map((f) => f.severity)).toEqual(viaSummary.findings.map((f) => f.severity));
    expect(viaDf.findings[0]!.evidence).toMatchObject({ usageSource: 'df', imagefs: { path: '/var/lib/containerd', mount: '/var/lib/containerd', dfUsePercent: 87 } });
    expect(viaSummary.findings[0]!.evidence).toMatchObject({ usageSource: 'stats/summary' });
  });

  it('still reports DiskPressure from the API alone (no SSH, nodes/proxy forbidden), with defaults named as the source', async () => {
    const { result, findings } = await run({
      objects: { Node: [node('node-a', { diskPressure: 'True' }), node('node-b')] },
      nodeProxy: 'forbidden',
    });
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'critical', target: { name: 'node-a' }, evidence: { configSource: 'kubelet defaults (the config could not be read)', usageSource: 'unavailable' } });
    expect(findings[0]!.message).toBe('node-a reports DiskPressure');
  });

  it('warns on ContainerGCFailed', async () => {
    const { findings } = await run({
      objects: { Node: [node('node-a')], Event: [event('node-a', 'ContainerGCFailed', 'rpc error: code = DeadlineExceeded desc = context deadline exceeded', 4)] },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': healthy } },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', message: 'node-a: container garbage collection fails (ContainerGCFailed ×4): rpc error: code = DeadlineExceeded desc = context deadline exceeded' });
  });

  it('notes recent disk evictions on a node that is clear now (info: the check passes)', async () => {
    const { result, findings } = await run({
      objects: {
        Node: [node('node-a')],
        Pod: [evicted('web-1', 'node-a', 'The node was low on resource: ephemeral-storage. ', '2026-11-25T09:00:00Z')],
      },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': healthy } },
    });
    expect(result.status).toBe('pass');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'info', evidence: { evictions: { count: 1, last24h: 1 } } });
    expect(findings[0]!.message).toBe('node-a: 1 pod(s) were evicted for disk (ephemeral-storage); its filesystems are now clear of the thresholds');
    const blind = await run({
      objects: { Node: [node('node-a')], Pod: [evicted('web-1', 'node-a', 'The node was low on resource: ephemeral-storage. ', '2026-11-25T09:00:00Z')] },
      nodeProxy: 'forbidden',
    });
    expect(blind.findings[0]!.message).toBe('node-a: 1 pod(s) were evicted for disk (ephemeral-storage); its current disk usage could not be read (DiskPressure False)');
  });

  it('counts a pod evicted exactly 24 h ago as stale, as evicted-pods does', async () => {
    const msg = 'The node was low on resource: ephemeral-storage. ';
    const { findings } = await run({
      objects: { Node: [node('node-a', { diskPressure: 'True' })], Pod: [evicted('old', 'node-a', msg, '2026-11-24T12:00:00Z'), evicted('new', 'node-a', msg, '2026-11-24T12:00:01.500Z')] },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': healthy } },
    });
    expect(findings[0]!.evidence!.evictions).toEqual({ count: 2, last24h: 1, byResource: { 'ephemeral-storage': 2 }, newest: { pod: 'shop/new', at: '2026-11-24T12:00:01.500Z', resource: 'ephemeral-storage' } });
  });

  it('ignores memory-only evictions and events about other objects on a healthy node', async () => {
    const podEvent: CoreV1Event = { ...event('x', 'FreeDiskSpaceFailed', 'm'), involvedObject: { kind: 'Pod', name: 'node-a' } };
    const { findings } = await run({
      objects: {
        Node: [node('node-a')], Event: [podEvent],
        Pod: [evicted('web-1', 'node-a', 'The node was low on resource: memory. ', '2026-11-25T09:00:00Z')],
      },
      nodeProxy: { 'node-a': { configz: configz(), 'stats/summary': summary({ capacity: 100 * GiB, available: 60 * GiB }, { capacity: 100 * GiB, available: 10 * GiB }) } },
    });
    // imagefs 90 % used, but the FreeDiskSpaceFailed event is about a Pod: GC is not reported as failing.
    expect(findings.find((f) => f.evidence?.bytesToFree !== undefined)!.severity).toBe('info');
  });
});

describe('nodeDiskEvidence (for the evicted-pods check)', () => {
  it('summarises the node disk against the effective thresholds from the API alone', async () => {
    const { nodeDiskEvidence } = await import('../../src/node/node-disk.js');
    const { fromSummary } = await import('../../src/node/node-disk.js');
    const { resolveConfig } = await import('../../src/node/kubelet-config.js');
    const ev = nodeDiskEvidence(
      fromSummary(summary({ capacity: 100 * GiB, available: 8 * GiB }))!,
      resolveConfig({ configz: { ok: true, value: configz({ evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%' } }) }, kubeletVersion: 'v1.31.0' }),
    );
    expect(ev).toMatchObject({
      usageSource: 'stats/summary', thresholdsSource: expect.stringContaining('configz'), sameFilesystem: true,
      nodefs: { usedPercent: 92, availableBytes: 8 * GiB },
      signals: [{ signal: 'nodefs.available', threshold: '10%', availablePercent: 8, state: 'met' }],
      notWatched: ['nodefs.inodesFree', 'imagefs.available'],
    });
  });
});

describe('kubelet-gc keeps only what it derived from each node', () => {
  const file = fixture('kubeletConfig/kubeadm-file.txt');
  const df = fixture('diskUsage/kubelet-tmpfs.txt');
  it.each<[string, CheckCase]>([
    ['configz and the Summary API', { objects: { Node: [node('node-a', { diskPressure: 'True' })] }, nodeProxy: { 'node-a': { configz: configz({ imageGCHighThresholdPercent: 100 }), 'stats/summary': summary({ capacity: 100 * GiB, available: 8 * GiB }) } } }],
    ['configz refused: the file and df over SSH', { objects: { Node: [node('node-a', { version: 'v1.30.2' })] }, nodeProxy: 'forbidden', nodes: { 'node-a': { kubeletConfig: file, diskUsage: df } } }],
    ['configz without kubeletconfig, Summary API, file over SSH', { objects: { Node: [node('node-a', { version: 'v1.30.2' })] }, nodeProxy: { 'node-a': { configz: { other: 1 }, 'stats/summary': summary({ capacity: 100 * GiB, available: 9 * GiB }) } }, nodes: { 'node-a': { kubeletConfig: file, diskUsage: df } } }],
    ['node not reached over SSH, in DiskPressure', { objects: { Node: [node('node-a', { diskPressure: 'True' })] }, nodeProxy: { 'node-a': { configz: configz() } }, nodes: {} }],
  ])('%s: the same findings when the raw results are gone after delivery', async (_, c) => {
    const plain = await run(c);
    const reduced = await runCheck(forgetful(check), { now: NOW, ...c });
    expect(plain.findings.length).toBeGreaterThan(0);
    expect(reduced.findings).toEqual(plain.findings);
  });
});
