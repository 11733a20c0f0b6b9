import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import check from '../../checks/cpu-throttling-kernel/index.js';
import { hasMainlineCfsFix, parseKernelRelease } from '../../checks/cpu-throttling-kernel/kernel.js';
import { ProbeError, type RawSample } from '../../src/node/probe-types.js';
import { cgroupCpuStat, podUid } from '../../src/node/probes/cgroupCpuStat.js';
import { runCheck } from '../../src/check.js';
import { describeReal } from '../support/real.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'probes', 'cgroup-cpu-stat');
const sample = (dir: string, n: 1 | 2): RawSample => ({ stdout: readFileSync(join(FIXTURES, dir, `${n}.txt`), 'utf8'), exitCode: 0 });
const samples = (dir: string): RawSample[] => [sample(dir, 1), sample(dir, 2)];

const BUSY = '1f2e3d4c-5b6a-4789-8abc-0123456789ab';
const IDLE = '9a8b7c6d-5e4f-4321-8fed-cba987654321';
const BEST_EFFORT = '0c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5';

function node(name: string, kernelVersion: string | undefined, os = 'linux'): V1Node {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name },
    status: {
      addresses: [{ type: 'InternalIP', address: '198.18.0.11' }],
      nodeInfo: {
        kernelVersion: kernelVersion as string, operatingSystem: os, architecture: 'amd64', osImage: 'x', containerRuntimeVersion: 'containerd://1.7.20',
        kubeletVersion: 'v1.30.4', kubeProxyVersion: '', machineID: 'm', systemUUID: 's', bootID: 'b',
      },
    },
  };
}

function pod(name: string, nodeName: string, uid: string, cpuLimits: (string | undefined)[], phase = 'Running'): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'checkout', uid },
    spec: {
      nodeName,
      containers: cpuLimits.map((cpu, i) => ({
        name: `c${i}`, image: 'registry.example/checkout/api:4.2',
        resources: { requests: { cpu: '100m' }, ...(cpu ? { limits: { cpu } } : {}) },
      })),
    },
    status: { phase },
  };
}

interface Group { path: string; quotaUs: number; at: [periods: number, throttled: number, usageNs: number][] }
/** cgroupCpuStat output (v1, two samples) for the given pod cgroups, as the probe fragment prints it. */
function v1Samples(groups: Group[]): RawSample[] {
  return [0, 1].map((i) => ({
    exitCode: 0,
    stdout: '@@ cgroup 1\n@@ group kubepods\nnr_periods 0\nnr_throttled 0\nthrottled_time 0\ncfs_quota_us -1\ncfs_period_us 100000\nusage_ns 90418833018877\n' +
      groups.map((g) => {
        const [periods, throttled, usage] = g.at[i]!;
        return `@@ group ${g.path}\nnr_periods ${periods}\nnr_throttled ${throttled}\nthrottled_time ${throttled * 90_000_000}\n` +
          `cfs_quota_us ${g.quotaUs}\ncfs_period_us 100000\nusage_ns ${usage}\n`;
      }).join('') + '@@ end\n',
  }));
}
/** 30 of 50 periods throttled while using 5 % of a 4-CPU quota (1 s of CPU over 50 periods of 0.4 s). */
const lowUsageThrottled = (path: string, quotaUs = 400_000): Group => ({ path, quotaUs, at: [[1000, 10, 5e9], [1050, 40, 6e9]] });
const noQuota = (path: string): Group => ({ path, quotaUs: -1, at: [[0, 0, 5e9], [0, 0, 6e9]] });

type ContainerSpec = { name: string; cpu?: string; sidecar?: boolean };
function podWith(name: string, uid: string, containers: ContainerSpec[], init: ContainerSpec[] = [], extra: Partial<V1Pod['metadata']> = {}): V1Pod {
  const c = (x: ContainerSpec) => ({
    name: x.name, image: 'registry.example/checkout/api:4.2', ...(x.sidecar ? { restartPolicy: 'Always' } : {}),
    resources: { requests: { cpu: '100m' }, ...(x.cpu ? { limits: { cpu: x.cpu } } : {}) },
  });
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'checkout', uid, ...extra },
    spec: { nodeName: 'node-a', containers: containers.map(c), ...(init.length ? { initContainers: init.map(c) } : {}) },
    status: { phase: 'Running' },
  };
}

describe('kernel releases', () => {
  it.each<[string, number, number, number, string | undefined, boolean]>([
    ['3.10.0-1160.el7.x86_64', 3, 10, 0, 'Red Hat Enterprise Linux / CentOS', false],
    ['4.14.152-127.182.amzn2.x86_64', 4, 14, 152, 'Amazon Linux', false],
    ['4.14.35-1902.300.11.el7uek.x86_64', 4, 14, 35, 'Oracle Linux UEK', false],
    ['4.15.0-1050-aws', 4, 15, 0, 'Ubuntu', false],
    ['5.0.0-1027-azure', 5, 0, 0, 'Ubuntu', false],
    ['4.19.0-6-amd64', 4, 19, 0, 'Debian', false],
    ['4.19.112+', 4, 19, 112, 'a custom build (e.g. Container-Optimized OS)', false],
    ['4.19.106-coreos', 4, 19, 106, 'Container Linux / Flatcar', false],
    ['4.12.14-122.37-default', 4, 12, 14, 'SUSE', false],
    ['5.3.18', 5, 3, 18, undefined, false],
    ['5.4.0-1029-aws', 5, 4, 0, 'Ubuntu', true],
    ['5.10.192-183.736.amzn2.x86_64', 5, 10, 192, 'Amazon Linux', true],
    ['6.1.0-13-cloud-amd64', 6, 1, 0, 'Debian', true],
    ['4.18.0-553.el8_10.x86_64', 4, 18, 0, 'Red Hat Enterprise Linux / CentOS', false],
  ])('%s → %d.%d.%d, %s, fixed in mainline: %s', (raw, major, minor, patch, vendor, fixed) => {
    const k = parseKernelRelease(raw)!;
    expect(k).toMatchObject({ raw, major, minor, patch });
    expect(k.vendor).toBe(vendor);
    expect(hasMainlineCfsFix(k)).toBe(fixed);
  });

  it('treats every 5.4 release candidate as fixed (de53fd7aedb1 was merged for 5.4) and earlier ones as not', () => {
    expect(parseKernelRelease('5.4.0-rc3')).toMatchObject({ major: 5, minor: 4, rc: 3 });
    expect(hasMainlineCfsFix(parseKernelRelease('5.4.0-rc3')!)).toBe(true);
    expect(hasMainlineCfsFix(parseKernelRelease('5.3.0-rc8')!)).toBe(false);
  });

  it.each(['', 'unknown', 'Linux', 'v5.4'])('rejects %j', (raw) => {
    expect(parseKernelRelease(raw)).toBeUndefined();
  });
});

describe('cgroupCpuStat probe', () => {
  it('parses real cgroup v1 output (cgroupfs driver, separate cpuacct hierarchy)', () => {
    const v = cgroupCpuStat.parse(samples('v1-cgroupfs'), 2);
    expect(v.version).toBe(1);
    expect(v.intervalSeconds).toBe(2);
    expect(v.node).toMatchObject({ path: 'kubepods', quotaCores: null });
    expect(v.pods.map((p) => p.podUid).sort()).toEqual([BEST_EFFORT, BUSY, IDLE].sort());
    const busy = v.pods.find((p) => p.podUid === BUSY)!;
    expect(busy).toMatchObject({ path: `kubepods/burstable/pod${BUSY}`, quotaCores: 0.2, periodSeconds: 0.1, total: { periods: 31, throttledPeriods: 31 } });
    expect(busy.delta).toMatchObject({ periods: 21, throttledPeriods: 21 });
    expect(busy.delta!.usageSeconds).toBeCloseTo(0.405692531, 6);
    expect(busy.delta!.throttledSeconds).toBeCloseTo(1.677793914, 6);
    expect(v.pods.find((p) => p.podUid === IDLE)).toMatchObject({ quotaCores: 2, delta: { periods: 0, throttledPeriods: 0 } });
    expect(v.pods.find((p) => p.podUid === BEST_EFFORT)).toMatchObject({ quotaCores: null });
  });

  it('parses real cgroup v1 output (systemd driver: UIDs with underscores)', () => {
    const v = cgroupCpuStat.parse(samples('v1-systemd'), 2);
    expect(v.node?.path).toBe('kubepods.slice');
    expect(v.pods.find((p) => p.podUid === BUSY)).toMatchObject({
      path: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${BUSY.replace(/-/g, '_')}.slice`, quotaCores: 0.2,
    });
  });

  it('parses cgroup v2 output (cpu.max, microseconds, groups without the bandwidth keys)', () => {
    const v = cgroupCpuStat.parse(samples('v2-systemd'), 5);
    expect(v.version).toBe(2);
    expect(v.node).toMatchObject({ quotaCores: null, total: { periods: 0 } });
    const busy = v.pods.find((p) => p.podUid === BUSY)!;
    expect(busy).toMatchObject({ quotaCores: 4, periodSeconds: 0.1, delta: { periods: 50, throttledPeriods: 2 } });
    expect(busy.delta!.usageSeconds).toBeCloseTo(4.879216, 6);
    expect(v.pods.find((p) => p.podUid === BEST_EFFORT)).toMatchObject({ quotaCores: null, total: { periods: 0, throttledPeriods: 0 } });
  });

  it('gives totals only from one sample, and no delta across a counter reset', () => {
    const one = cgroupCpuStat.parse([sample('v1-cgroupfs', 2)], 0);
    expect(one.intervalSeconds).toBe(0);
    expect(one.pods.every((p) => p.delta === undefined)).toBe(true);
    const reset = cgroupCpuStat.parse([sample('v1-cgroupfs', 2), sample('v1-cgroupfs', 1)], 2);
    expect(reset.pods.find((p) => p.podUid === BUSY)!.delta).toBeUndefined();
  });

  it.each<[string, string]>([
    ['garbage', 'Permission denied\n'],
    ['output cut off before the end marker', '@@ cgroup 1\n@@ group kubepods\nnr_periods 0\n'],
    ['no kubepods cgroup', '@@ cgroup 1\n@@ no-kubepods /sys/fs/cgroup/cpu\n@@ end\n'],
    ['a v1 cpu.stat without nr_throttled', '@@ cgroup 1\n@@ group kubepods\nnr_periods 0\nthrottled_time 0\n@@ end\n'],
    ['a non-numeric counter', '@@ cgroup 2\n@@ group kubepods.slice\nusage_usec lots\n@@ end\n'],
    ['an unknown marker', '@@ cgroup 2\n@@ weird kubepods.slice\n@@ end\n'],
    ['no version line', '@@ group kubepods\nnr_periods 0\n@@ end\n'],
    ['no group at all', '@@ cgroup 2\n@@ end\n'],
  ])('throws ProbeError on %s', (_label, stdout) => {
    expect(() => cgroupCpuStat.parse([{ stdout, exitCode: 0 }], 0)).toThrow(ProbeError);
  });

  it('throws ProbeError when the cgroup version changes between samples', () => {
    expect(() => cgroupCpuStat.parse([sample('v1-cgroupfs', 1), sample('v2-systemd', 2)], 2)).toThrow(ProbeError);
  });

  it.each<[string, string | undefined]>([
    [`kubepods/burstable/pod${BUSY}`, BUSY],
    [`kubepods/pod${IDLE}`, IDLE],
    [`kubepods.slice/kubepods-pod${IDLE.replace(/-/g, '_')}.slice`, IDLE],
    [`kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${BEST_EFFORT.replace(/-/g, '_')}.slice`, BEST_EFFORT],
    ['kubepods.slice', undefined],
    ['kubepods/burstable', undefined],
    ['kubepods.slice/kubepods-burstable.slice', undefined],
  ])('pod UID of %s', (path, uid) => {
    expect(podUid(path)).toBe(uid);
  });
});

describe('cpu-throttling-kernel', () => {
  const limitedPods = [pod('api-7c9f-x2x4q', 'node-a', BUSY, ['4']), pod('worker-5d8-abcde', 'node-a', IDLE, ['2'])];

  it('warns from the API alone: an old kernel and pods with CPU limits', async () => {
    const { result, findings } = await runCheck(check, {
      objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: [...limitedPods, pod('batch-1', 'node-a', BEST_EFFORT, [undefined])] },
    });
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(/node checks not evaluated/);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'warning', target: { kind: 'Node', name: 'node-a' },
      evidence: { kernel: '4.15.0-1050-aws', kernelSource: 'node.status.nodeInfo.kernelVersion', vendor: 'Ubuntu', podsWithCpuLimits: 2, examplePods: ['checkout/api-7c9f-x2x4q', 'checkout/worker-5d8-abcde'] },
    });
    expect(findings[0]!.message).toContain('possibly affected; verify the vendor backport');
    expect(findings[0]!.message).toContain('de53fd7aedb1');
    expect(findings[0]!.evidence).not.toHaveProperty('cgroup');
  });

  it('critical when cpu.stat shows throttling at low usage (the bug at work)', async () => {
    const { result, findings } = await runCheck(check, {
      objects: { Node: [node('node-a', '3.10.0-1160.el7.x86_64')], Pod: limitedPods },
      nodes: { 'node-a': { uname: '3.10.0-1160.el7.x86_64\n', cgroupCpuStat: samples('v1-low-usage-throttling') } },
      sampleIntervalSeconds: 5,
    });
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'critical', target: { kind: 'Node', name: 'node-a' },
      evidence: {
        kernelSource: 'uname -r', vendor: 'Red Hat Enterprise Linux / CentOS',
        cgroup: { version: 1, podsMeasured: 2, throttledAtLowUsage: [{ pod: 'checkout/api-7c9f-x2x4q', throttledPercent: 60, usagePercentOfQuota: 5, quotaCores: 4, periods: 50, window: 'sample interval' }] },
      },
    });
    expect(findings[0]!.remediation.steps).toContain(`On the node, watch checkout/api-7c9f-x2x4q: cat /sys/fs/cgroup/cpu/kubepods/burstable/pod${BUSY}/cpu.stat (nr_throttled / nr_periods, twice a few seconds apart)`);
  });

  it('judges from the totals since pod start when only one sample was taken', async () => {
    const { findings } = await runCheck(check, {
      objects: { Node: [node('node-a', '3.10.0-1160.el7.x86_64')], Pod: limitedPods },
      nodes: { 'node-a': { cgroupCpuStat: [sample('v1-low-usage-throttling', 1)] } },
      sampleIntervalSeconds: 0,
    });
    // 1012877 of 1804432 periods (56.1 %) throttled; 38112 s over 1804432 periods of a 0.4 s quota = 5.3 %
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { cgroup: { throttledAtLowUsage: [{ throttledPercent: 56.1, usagePercentOfQuota: 5.3, window: 'since the pod started' }] } } });
  });

  it('ordinary throttling of a pod at its limit stays a warning (real cgroup v1 sample)', async () => {
    const { findings } = await runCheck(check, {
      objects: { Node: [node('node-a', '4.19.0-6-amd64')], Pod: [pod('api-7c9f-x2x4q', 'node-a', BUSY, ['200m']), pod('worker-5d8-abcde', 'node-a', IDLE, ['2'])] },
      nodes: { 'node-a': { uname: '4.19.0-6-amd64\n', cgroupCpuStat: samples('v1-cgroupfs') } },
      sampleIntervalSeconds: 2,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { cgroup: { podsMeasured: 2, worstThrottledPercent: 100, throttledAtLowUsage: [] } } });
  });

  it('a cgroup v2 node with little throttling stays a warning', async () => {
    const { findings } = await runCheck(check, {
      objects: { Node: [node('node-a', '5.3.18-59.19-default')], Pod: limitedPods },
      nodes: { 'node-a': { cgroupCpuStat: samples('v2-systemd') } },
    });
    expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { cgroup: { version: 2, worstThrottledPercent: 4 } } });
  });

  it('takes the kernel from uname when the node object has none', async () => {
    const { findings } = await runCheck(check, {
      objects: { Node: [node('node-a', undefined)], Pod: limitedPods },
      nodes: { 'node-a': { uname: '4.19.112+\n' } },
    });
    expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { kernel: '4.19.112+', kernelSource: 'uname -r', vendor: 'a custom build (e.g. Container-Optimized OS)' } });
  });

  it('still warns from the API when the cgroup probe returns garbage (a gap, not a crash)', async () => {
    const { result, findings } = await runCheck(check, {
      objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: limitedPods },
      nodes: { 'node-a': { uname: '4.15.0-1050-aws\n', cgroupCpuStat: 'cat: /sys/fs/cgroup/cpu/kubepods/cpu.stat: Permission denied\n' } },
    });
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence).not.toHaveProperty('cgroup');
  });

  it('still warns when the node cannot be reached over SSH', async () => {
    const { findings } = await runCheck(check, {
      objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: limitedPods },
      nodes: { 'node-a': 'connection timed out after 10s' },
    });
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
  });

  describe('which pods have a pod-level CFS quota (init containers and native sidecars count)', () => {
    const oldNode = node('node-a', '4.15.0-1050-aws');
    const run = (pods: V1Pod[], groups: Group[]) => runCheck(check, { objects: { Node: [oldNode], Pod: pods }, nodes: { 'node-a': { cgroupCpuStat: v1Samples(groups) } } });

    it.each<[string, ContainerSpec[], string[]]>([
      ['a native sidecar without a CPU limit', [{ name: 'mesh-proxy', sidecar: true }], ['mesh-proxy']],
      ['an init container without a CPU limit', [{ name: 'migrate' }], ['migrate']],
      ['both, next to a limited sidecar', [{ name: 'migrate' }, { name: 'log-shipper', cpu: '100m', sidecar: true }, { name: 'mesh-proxy', sidecar: true }], ['migrate', 'mesh-proxy']],
    ])('%s: no pod quota is expected, so its missing quota is not "limits not enforced" — the pod is reported as not judged', async (_label, init, unlimited) => {
      const { findings } = await run([podWith('api-7c9f-x2x4q', BUSY, [{ name: 'api', cpu: '4' }], init)], [noQuota(`kubepods/burstable/pod${BUSY}`)]);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: 'warning',
        evidence: {
          podsWithCpuLimits: 1,
          cgroup: {
            podsMeasured: 0, podsWithoutPodQuota: 1,
            podsWithoutPodQuotaExamples: [{ pod: 'checkout/api-7c9f-x2x4q', containersWithoutCpuLimit: unlimited, cgroup: `kubepods/burstable/pod${BUSY}` }],
          },
        },
      });
      expect(findings[0]!.evidence!.cgroup).not.toHaveProperty('podsWithUnenforcedLimits');
      expect(findings[0]!.message).toContain('no pod cgroup with a CFS quota was measured: 1 pod has no quota on the pod cgroup (a container without a CPU limit) and was not judged');
      expect(findings[0]!.remediation.steps).toContain(`checkout/api-7c9f-x2x4q have no pod-level quota; read the containers' own counters on the node: ` +
        `cat /sys/fs/cgroup/cpu/kubepods/burstable/pod${BUSY}/*/cpu.stat (nr_throttled / nr_periods, twice a few seconds apart).`);
    });

    it('every container limited, init container and sidecar included: the pod cgroup quota is judged (critical at low usage)', async () => {
      const { findings } = await run(
        [podWith('api-7c9f-x2x4q', BUSY, [{ name: 'api', cpu: '3500m' }], [{ name: 'migrate', cpu: '1' }, { name: 'mesh-proxy', cpu: '500m', sidecar: true }])],
        [lowUsageThrottled(`kubepods/burstable/pod${BUSY}`)],
      );
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: 'critical',
        evidence: { cgroup: { podsMeasured: 1, throttledAtLowUsage: [{ pod: 'checkout/api-7c9f-x2x4q', throttledPercent: 60, usagePercentOfQuota: 5, quotaCores: 4 }] } },
      });
      expect(findings[0]!.evidence!.cgroup).not.toHaveProperty('podsWithoutPodQuota');
    });

    it('every container limited, init container and sidecar included, and no quota on the pod cgroup: limits not enforced, no finding', async () => {
      const { findings } = await run(
        [podWith('api-7c9f-x2x4q', BUSY, [{ name: 'api', cpu: '4' }], [{ name: 'migrate', cpu: '1' }, { name: 'mesh-proxy', cpu: '500m', sidecar: true }]),
          podWith('worker-5d8-abcde', IDLE, [{ name: 'worker', cpu: '2' }], [{ name: 'mesh-proxy', sidecar: true }])],
        [noQuota(`kubepods/burstable/pod${BUSY}`), noQuota(`kubepods/burstable/pod${IDLE}`)],
      );
      expect(findings).toEqual([]);
    });

    it('a pod cgroup that has a quota anyway (an older kubelet that ignored init containers) is judged by it', async () => {
      const { findings } = await run([podWith('api-7c9f-x2x4q', BUSY, [{ name: 'api', cpu: '4' }], [{ name: 'migrate' }])], [lowUsageThrottled(`kubepods/burstable/pod${BUSY}`)]);
      expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { cgroup: { podsMeasured: 1, throttledAtLowUsage: [{ pod: 'checkout/api-7c9f-x2x4q' }] } } });
    });

    it('a limit on a finished init container only limits nothing now: not a pod with CPU limits', async () => {
      const { findings } = await run([podWith('api-7c9f-x2x4q', BUSY, [{ name: 'api' }], [{ name: 'migrate', cpu: '1' }])], [noQuota(`kubepods/burstable/pod${BUSY}`)]);
      expect(findings).toEqual([]);
    });

    it('counts a pod-level CPU limit (spec.resources) as a CPU limit and judges its pod cgroup', async () => {
      const pod = podWith('api-7c9f-x2x4q', BUSY, [{ name: 'api' }, { name: 'mesh-proxy' }]);
      pod.spec!.resources = { limits: { cpu: '4' } };
      const { findings } = await run([pod], [lowUsageThrottled(`kubepods/burstable/pod${BUSY}`)]);
      expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { podsWithCpuLimits: 1, cgroup: { podsMeasured: 1 } } });
    });
  });

  describe('static pods: the cgroup is named after the config hash, not the mirror pod\'s uid', () => {
    const HASH = '5f0c8a2d9e7b41c3a6d8e2f1b0c9a7d4';
    const MIRROR_UID = '7d3e9f1a-2b4c-4d5e-8f6a-9b0c1d2e3f4a';
    const staticPod = podWith('haproxy-node-a', MIRROR_UID, [{ name: 'haproxy', cpu: '4' }], [], {
      namespace: 'kube-system', annotations: { 'kubernetes.io/config.hash': HASH, 'kubernetes.io/config.mirror': HASH, 'kubernetes.io/config.source': 'file' },
    });

    it.each<[string, string]>([
      ['cgroupfs', `kubepods/pod${HASH}`],
      ['systemd', `kubepods.slice/kubepods-pod${HASH}.slice`],
    ])('finds the mirror pod\'s cgroup by its config hash (%s driver)', async (_driver, path) => {
      const { findings } = await runCheck(check, {
        objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: [staticPod] },
        nodes: { 'node-a': { cgroupCpuStat: v1Samples([lowUsageThrottled(path), lowUsageThrottled(`kubepods/pod${MIRROR_UID}`, 100_000)]) } },
      });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: 'critical',
        evidence: { cgroup: { podsMeasured: 1, throttledAtLowUsage: [{ pod: 'kube-system/haproxy-node-a', quotaCores: 4, cgroup: path }] } },
      });
      expect(findings[0]!.evidence!.cgroup).not.toHaveProperty('podsWithoutCgroup');
    });

    it('an ordinary pod is still found by its uid, and a pod with no cgroup is counted as not found', async () => {
      const { findings } = await runCheck(check, {
        objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: [staticPod, pod('api-7c9f-x2x4q', 'node-a', BUSY, ['4'])] },
        nodes: { 'node-a': { cgroupCpuStat: v1Samples([lowUsageThrottled(`kubepods/burstable/pod${BUSY}`)]) } },
      });
      expect(findings[0]).toMatchObject({
        severity: 'critical', evidence: { podsWithCpuLimits: 2, cgroup: { podsMeasured: 1, podsWithoutCgroup: 1, throttledAtLowUsage: [{ pod: 'checkout/api-7c9f-x2x4q' }] } },
      });
    });
  });

  describe('passes', () => {
    const unenforced = `@@ cgroup 1\n@@ group kubepods\nnr_periods 0\nnr_throttled 0\nthrottled_time 0\ncfs_quota_us -1\ncfs_period_us 100000\n` +
      `@@ group kubepods/burstable/pod${BUSY}\nnr_periods 0\nnr_throttled 0\nthrottled_time 0\ncfs_quota_us -1\ncfs_period_us 100000\n@@ end\n`;
    it.each<[string, Parameters<typeof runCheck>[1]]>([
      ['kernel 5.4 (Ubuntu)', { objects: { Node: [node('node-a', '5.4.0-1029-aws')], Pod: limitedPods } }],
      ['a 5.4 release candidate', { objects: { Node: [node('node-a', '5.4.0-rc3')], Pod: limitedPods } }],
      ['kernel 5.10 (Amazon Linux 2)', { objects: { Node: [node('node-a', '5.10.192-183.736.amzn2.x86_64')], Pod: limitedPods } }],
      ['an old kernel and pods with requests but no CPU limits', { objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: [pod('api', 'node-a', BUSY, [undefined]), pod('web', 'node-a', IDLE, [undefined, undefined])] } }],
      ['an old kernel and only finished or pending pods with limits', { objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: [pod('job-1', 'node-a', BUSY, ['1'], 'Succeeded'), pod('web', 'node-a', IDLE, ['1'], 'Pending')] } }],
      ['CPU-limited pods only on the new-kernel node', { objects: { Node: [node('node-a', '4.15.0-1050-aws'), node('node-b', '6.1.0-13-cloud-amd64')], Pod: [pod('api', 'node-b', BUSY, ['2'])] } }],
      ['a Windows node', { objects: { Node: [node('win-1', '10.0.17763.2114', 'windows')], Pod: [pod('iis', 'win-1', BUSY, ['2'])] } }],
      ['CPU limits not enforced (kubelet cpuCFSQuota: false: no quota on the pod cgroup)', {
        objects: { Node: [node('node-a', '4.15.0-1050-aws')], Pod: [pod('api', 'node-a', BUSY, ['4'])] },
        nodes: { 'node-a': { cgroupCpuStat: unenforced } },
      }],
    ])('%s', async (_label, c) => {
      const { findings } = await runCheck(check, c);
      expect(findings).toEqual([]);
    });
  });
});

const hasCgroupV1 = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') && existsSync('/sys/fs/cgroup/cpuacct/cpuacct.usage');

describeReal('cgroupCpuStat on a real cgroup v1 kubepods tree', { root: true, commands: ['unshare', 'mount'] }, () => {
  it('reads a throttled pod through the probe fragment and the check', async () => {
    if (!hasCgroupV1) {
      // The CI machines of this project run cgroup v1 with separate cpu and cpuacct hierarchies.
      if (process.env.CHECKUP_REQUIRE_REAL === '1') throw new Error('real-component test needs cgroup v1 cpu and cpuacct hierarchies');
      console.warn('skipping: no cgroup v1 cpu/cpuacct hierarchies');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'checkup-cg-'));
    try {
      writeFileSync(join(dir, 'frag.sh'), cgroupCpuStat.script);
      execFileSync('sh', [join(FIXTURES, 'collect.sh'), join(dir, 'frag.sh'), 'cgroupfs', '1', join(dir, 'out')], { stdio: 'pipe', timeout: 20000 });
      const raw = [1, 2].map((n) => ({ stdout: readFileSync(join(dir, 'out', `${n}.txt`), 'utf8'), exitCode: 0 }));
      const v = cgroupCpuStat.parse(raw, 1);
      const busy = v.pods.find((p) => p.podUid === BUSY)!;
      expect(busy.quotaCores).toBe(0.2);
      expect(busy.delta!.periods).toBeGreaterThanOrEqual(8);
      expect(busy.delta!.throttledPeriods / busy.delta!.periods).toBeGreaterThan(0.8);
      // A busy loop uses its whole quota: ~0.02 s of CPU per 0.1 s period.
      expect(busy.delta!.usageSeconds! / busy.delta!.periods / 0.02).toBeGreaterThan(0.8);

      const { findings } = await runCheck(check, {
        objects: { Node: [node('node-a', '4.19.0-6-amd64')], Pod: [pod('api', 'node-a', BUSY, ['200m'])] },
        nodes: { 'node-a': { cgroupCpuStat: raw } },
        sampleIntervalSeconds: 1,
      });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { cgroup: { podsMeasured: 1, throttledAtLowUsage: [] } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain('checkup-cgtest');
  });
});
