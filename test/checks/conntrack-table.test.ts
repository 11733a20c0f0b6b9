import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import check from '../../checks/conntrack-table/index.js';
import type { RawNodes } from '../../src/engine/memory-source.js';
import type { KubeObject } from '../../src/kube/resources.js';
import { kubeProxyMax } from '../../src/kube/kube-proxy-config.js';
import type { RawSample } from '../../src/node/probe-types.js';
import { runCheck } from '../../src/check.js';
import { fixture } from '../node/probes-fixture.js';

const NOW = new Date('2026-11-25T19:00:00Z');
const nodeObj = (name: string) => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } }) as unknown as KubeObject;
const raw = (stdout: string): RawSample => ({ stdout, exitCode: 0 });
const HEADER = 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart';
/** A probe sample in this kernel's format: two CPUs, the counters split across them. */
function ct(count: number, max: number, c: { drop?: number; earlyDrop?: number; insertFailed?: number } = {}, cpus = 2): RawSample {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const row = (share: (n: number) => number) => [count, 0, 0, 0, 0, 0, 0, 0, 0, share(c.insertFailed ?? 0), share(c.drop ?? 0), share(c.earlyDrop ?? 0), 0, 0, 0, 0, 0].map(hex).join(' ');
  return raw(`@@ count\n${count}\n@@ max\n${max}\n@@ buckets\n${max / 4}\n@@ stat\n${HEADER}\n${row((n) => Math.floor(n / 2))}\n${row((n) => n - Math.floor(n / 2))}\n@@ cpus\n${cpus}\n@@ end\n`);
}
const noLog = raw('@@ source dmesg-iso\n@@ end\n');
const kubeadmProxy = (conntrack: string): V1ConfigMap => ({
  metadata: { name: 'kube-proxy', namespace: 'kube-system' },
  data: { 'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nbindAddress: 0.0.0.0\n${conntrack}mode: iptables\n`, kubeconfig: 'apiVersion: v1\nkind: Config\n' },
});

async function run(nodes: RawNodes, extra: { ConfigMap?: V1ConfigMap[]; DaemonSet?: V1DaemonSet[] } = {}, interval = 10) {
  return runCheck(check, {
    objects: { Node: Object.keys(nodes).map(nodeObj), ConfigMap: (extra.ConfigMap ?? []) as unknown as KubeObject[], DaemonSet: (extra.DaemonSet ?? []) as unknown as KubeObject[] },
    nodes, now: NOW, sampleIntervalSeconds: interval,
  });
}

describe('conntrack-table', () => {
  it('passes on a quiet table (real sample of this kernel in a test netns)', async () => {
    const { result, findings } = await run({ n1: { conntrack: [raw(fixture('conntrack/quiet.txt')), raw(fixture('conntrack/quiet.txt'))], kernelLog: [noLog] } });
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('is critical for a real full table evicting entries between the samples (real samples: 240000 → 262143 entries)', async () => {
    const { result, findings } = await run({ n1: { conntrack: [raw(fixture('conntrack/full.1.txt')), raw(fixture('conntrack/full.2.txt'))], kernelLog: [noLog] } },
      { ConfigMap: [kubeadmProxy('conntrack:\n  maxPerCore: 32768\n  min: 131072\n')] });
    expect(result.status).toBe('fail');
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['tableFull', 'critical']]);
    const f = findings[0]!;
    expect(f.message).toMatch(/n1: the conntrack table is full now — in the 10 s between two samples, \d+ unreplied entries evicted to make room \(early_drop/);
    expect(f.evidence).toMatchObject({ count: 262143, max: 262144, kubeProxy: { source: 'ConfigMap kube-system/kube-proxy (config.conf)', maxPerCore: 32768, min: 131072 } });
    expect((f.evidence!.counters as any).earlyDrop.delta).toBeGreaterThan(1000);
    expect(f.remediation.steps!.join('\n')).toContain('Set conntrack.maxPerCore');
  });

  it.each([
    ['74.9 % is quiet', 196_345, []],
    ['75 % is a warning', 196_608, [['tableNearlyFull', 'warning']]],
    ['95 % is critical', 249_037, [['tableNearlyFull', 'critical']]],
  ])('fill: %s', async (_name, count, expected) => {
    const { findings } = await run({ n1: { conntrack: [ct(count as number, 262_144), ct(count as number, 262_144)], kernelLog: [noLog] } });
    expect(findings.map((f) => [f.rule, f.severity])).toEqual(expected);
  });

  it('is critical for drops between the samples, not for drops since boot', async () => {
    const before = await run({ n1: { conntrack: [ct(1000, 262_144, { drop: 5000 }), ct(1000, 262_144, { drop: 5000 })], kernelLog: [noLog] } });
    expect(before.findings).toEqual([]);
    const now = await run({ n1: { conntrack: [ct(262_100, 262_144, { drop: 5000 }), ct(262_144, 262_144, { drop: 5400 })], kernelLog: [noLog] } });
    expect(now.findings.map((f) => [f.rule, f.severity])).toEqual([['tableFull', 'critical']]);
    expect(now.findings[0]!.message).toContain('400 packets dropped because the table was full (drop, 40/s)');
  });

  it('tells a DNS insert race from a full table', async () => {
    const { findings } = await run({ n1: { conntrack: [ct(900, 262_144, { insertFailed: 10 }), ct(900, 262_144, { insertFailed: 30 })], kernelLog: [noLog] } });
    expect(findings.map((f) => f.rule)).toEqual(['insertFailed']);
    expect(findings[0]!.message).toContain('a bigger table does not help');
    expect(findings[0]!.remediation.steps!.join(' ')).toContain('NodeLocal DNSCache');
  });

  it('reports table-full kernel lines from the last hour when the table has room again', async () => {
    const log = raw('@@ source dmesg-iso\n2026-11-25T18:40:00,000000+00:00 nf_conntrack: nf_conntrack: table full, dropping packet\n2026-11-25T16:00:00,000000+00:00 nf_conntrack: table full, dropping packet\n@@ end\n');
    const { findings } = await run({ n1: { conntrack: [ct(1000, 262_144), ct(1000, 262_144)], kernelLog: [log] } });
    expect(findings.map((f) => f.rule)).toEqual(['tableFullLogged']);
    expect(findings[0]!.message).toContain('1 time within the last hour');
  });

  it('passes with a note when nf_conntrack is not loaded (not a gap, not a skip)', async () => {
    const absent = raw('@@ absent\n@@ end\n');
    const { result, findings } = await run({ n1: { conntrack: [absent, absent], kernelLog: [noLog] }, n2: { conntrack: [ct(10, 262_144), ct(10, 262_144)], kernelLog: [noLog] } });
    expect(result.status).toBe('pass');
    expect(findings.map((f) => [f.rule, f.severity, f.target.kind])).toEqual([['notLoaded', 'info', 'Cluster']]);
    expect(findings[0]!.message).toContain('nf_conntrack is not loaded on n1');
  });

  it('says a hand-set sysctl will not stick, from the kube-proxy ConfigMap or the DaemonSet flags', async () => {
    const nodes = { n1: { conntrack: [ct(200_000, 262_144, {}, 4), ct(200_000, 262_144, {}, 4)], kernelLog: [noLog] } };
    const viaConfig = await run(nodes, { ConfigMap: [kubeadmProxy('conntrack:\n  maxPerCore: 16384\n  min: 65536\n')] });
    const steps = viaConfig.findings[0]!.remediation.steps!.join('\n');
    expect(steps).toContain('maxPerCore 16384, min 65536, 65536 on this 4-CPU node');
    expect(steps).toContain("this node's nf_conntrack_max (262144) is not what kube-proxy computes (65536)");
    expect(steps).toContain('conntrack.maxPerCore: 134144 (≈ 533334 entries on 4 CPUs)'); // room for 2 × 200000 at 75 %, per 4 CPUs, rounded up to 1024
    const ds = { metadata: { name: 'kube-proxy', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ name: 'kube-proxy', command: ['kube-proxy', '--conntrack-max-per-core=0'] }] } } } } as unknown as V1DaemonSet;
    const viaFlags = await run(nodes, { DaemonSet: [ds] });
    expect(viaFlags.findings[0]!.remediation.steps!.join('\n')).toContain('kube-proxy leaves the sysctl alone here (maxPerCore 0 in DaemonSet kube-system/kube-proxy flags)');
    const none = await run(nodes);
    expect(none.findings[0]!.remediation.steps!.join('\n')).toContain('No kube-proxy configuration was found');
  });

  it('computes kube-proxy\'s limit as upstream does', () => {
    expect(kubeProxyMax({}, 2)).toBe(131072);
    expect(kubeProxyMax({}, 8)).toBe(262144);
    expect(kubeProxyMax({ maxPerCore: 0 }, 8)).toBe(0);
    expect(kubeProxyMax({ maxPerCore: 65536, min: 0 }, 3)).toBe(196608);
  });

  it('a garbled stat file is a gap (probe error), never a pass', async () => {
    const bad = raw(`@@ count\n5\n@@ max\n100\n@@ stat\n${HEADER}\nzz\n@@ end\n`);
    const { result } = await run({ n1: { conntrack: [bad, bad], kernelLog: [noLog] } });
    expect(result.status).toBe('skip');
    expect(result.reason).toMatch(/conntrack: .*row 1 is not 17 hex values/);
  });
});
