import { describe, expect, it } from '@jest/globals';
import check from '../../checks/arp-neighbor-overflow/index.js';
import { memoryApiSource, memoryNodeSource, type RawNodes } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import type { RawSample } from '../../src/node/probe-types.js';
import { runCheck } from '../../src/check.js';
import { fixture } from '../node/probes-fixture.js';

const NOW = new Date('2026-11-25T19:00:00Z');
const nodeObj = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } });
const raw = (stdout: string): RawSample => ({ stdout, exitCode: 0 });

const HEADER = 'entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls';
const hex = (n: number) => n.toString(16).padStart(8, '0');
interface Table { entries: number; fulls?: number; forced?: number }
/** Two CPU rows; the per-CPU counters split over them the way the kernel keeps them. */
function table(t: Table): string {
  const row = (share: number) => [t.entries, 10, 5, 0, 100, 50, 1, 0, 0, 40, Math.floor((t.forced ?? 0) * share), 0, Math.floor((t.fulls ?? 0) * share)].map(hex).join(' ');
  return `${HEADER}\n${row(0.5)}\n${row(0.5)}`;
}
function stats(v4: Table, v6?: Table): RawSample {
  return raw(`@@ file /proc/net/stat/arp_cache\n${table(v4)}\n` +
    (v6 ? `@@ file /proc/net/stat/ndisc_cache\n${table(v6)}\n` : '@@ missing /proc/net/stat/ndisc_cache\n') + '@@ end\n');
}
function sysctls(v4 = [128, 512, 1024], v6 = [128, 512, 1024]): RawSample {
  const f = (fam: string, i: number, v: number) => `@@ file /proc/sys/net/${fam}/neigh/default/gc_thresh${i}\n${v}\n`;
  return raw(`@@ file /proc/sys/net/core/somaxconn\n4096\n${v4.map((v, i) => f('ipv4', i + 1, v)).join('')}${v6.map((v, i) => f('ipv6', i + 1, v)).join('')}@@ end\n`);
}
const counts = (v4: number, v6 = 3) => raw(`@@ ip\nipv4 ${v4}\nipv6 ${v6}\n@@ end\n`);
const log = (...lines: string[]) => raw(`@@ source dmesg-iso\n${lines.map((l) => `${l}\n`).join('')}@@ end\n`);
const uname = (r: string) => raw(`${r}\n`);

function node(o: Partial<Record<'neighStats' | 'sysctls' | 'neighCounts' | 'kernelLog' | 'uname', RawSample[]>> = {}) {
  return {
    neighStats: [stats({ entries: 40 }, { entries: 6 }), stats({ entries: 41 }, { entries: 6 })],
    sysctls: [sysctls()], neighCounts: [counts(3)], kernelLog: [log()], uname: [uname('6.1.0-27-amd64')],
    ...o,
  };
}

async function run(nodes: RawNodes, extraNodes = 0) {
  const names = [...Object.keys(nodes), ...Array.from({ length: extraNodes }, (_, i) => `idle-${i}`)];
  return runCheck(check, { objects: { Node: names.map(nodeObj) }, nodes, now: NOW, sampleIntervalSeconds: 30 });
}
async function runWithGaps(nodes: RawNodes) {
  return runChecks({
    checks: [check], api: memoryApiSource({ Node: Object.keys(nodes).map(nodeObj) }, { now: NOW }),
    nodes: memoryNodeSource(nodes, 30), scope: {}, settings: { sampleIntervalSeconds: 30 },
  });
}

describe('arp-neighbor-overflow', () => {
  it('passes on this machine (real samples)', async () => {
    const { result, findings } = await run({
      'node-1': {
        neighStats: [raw(fixture('host/neighStats.1.txt')), raw(fixture('host/neighStats.2.txt'))],
        sysctls: [raw(fixture('host/sysctls.txt'))], neighCounts: [raw(fixture('host/neighCounts.txt'))], kernelLog: [raw(fixture('host/kernelLog.txt'))],
      },
    });
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('counts entries that live in pod namespaces although the host sees one (real sample, 302 entries)', async () => {
    const real = raw(fixture('neigh-other-netns/neighStats.txt'));
    const warn = await run({ 'node-1': node({ neighStats: [real, real], sysctls: [sysctls([128, 256, 320])], neighCounts: [raw(fixture('neigh-other-netns/neighCounts.txt'))] }) });
    expect(warn.findings).toHaveLength(1);
    expect(warn.findings[0]).toMatchObject({
      severity: 'warning', target: { kind: 'Node', name: 'node-1' },
      evidence: { family: 'ipv4', entries: 302, gcThresh3: 320, ratio: 0.944, hostNamespaceEntries: 1 },
    });
    expect(warn.findings[0]!.message).toContain('302 of 320 entries in use (94.3 % of gc_thresh3)');
    expect(warn.findings[0]!.message).toContain('the host namespace itself holds 1, pod namespaces the other 301');
    const crit = await run({ 'node-1': node({ neighStats: [real, real], sysctls: [sysctls([128, 256, 310])] }) });
    expect(crit.findings.map((f) => f.severity)).toEqual(['critical']);
  });

  it('is critical when table_fulls rises between the samples, whatever the ratio', async () => {
    const { findings } = await run({ 'node-1': node({ neighStats: [stats({ entries: 300, fulls: 0x39c + 0x240 }), stats({ entries: 300, fulls: 0x39c + 0x240 + 12 })] }) });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { tableFulls: { sinceBoot: 1512, delta: 12 } } });
    expect(findings[0]!.message).toContain('12 neighbour allocations refused in 30 s');
  });

  it('is critical for overflow messages from the last hour, per family, and ignores older ones', async () => {
    const { findings } = await run({
      'node-1': node({ kernelLog: [log(
        '2026-11-25T18:30:00,000000+00:00 neighbour: arp_cache: neighbor table overflow!',
        '2026-11-25T18:30:00,100000+00:00 net_ratelimit: 211 callbacks suppressed',
        '2026-11-25T18:31:00,000000+00:00 neighbour: ndisc_cache: neighbor table overflow!',
        '2026-11-25T12:00:00,000000+00:00 neighbour: arp_cache: neighbor table overflow!',
      )] }),
    });
    expect(findings.map((f) => [f.severity, f.evidence!.family])).toEqual([['critical', 'ipv4'], ['critical', 'ipv6']]);
    expect(findings[0]!.message).toContain('"neighbor table overflow" 1 time in the last hour (plus 211 rate-limited network messages suppressed)');
  });

  it('watches the IPv6 table on its own thresholds', async () => {
    const { findings } = await run({ 'node-1': node({ neighStats: [stats({ entries: 40 }, { entries: 900 }), stats({ entries: 40 }, { entries: 990 })] }) });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { family: 'ipv6', table: 'ndisc_cache', entries: 990, gcThresh3: 1024 } });
    expect(findings[0]!.remediation.steps!.join('\n')).toContain('net.ipv6.neigh.default.gc_thresh3 = 16384');
  });

  it('fills the remediation with the node\'s own numbers and sizes gc_thresh3 from its use', async () => {
    const { findings } = await run({ 'node-1': node({ neighStats: [stats({ entries: 15000 }), stats({ entries: 15800 })], sysctls: [sysctls([128, 8192, 16384])] }) });
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { entries: 15800, gcThresh3: 16384 } });
    const steps = findings[0]!.remediation.steps!.join('\n');
    expect(steps).toContain('net.ipv4.neigh.default.gc_thresh1 = 128, net.ipv4.neigh.default.gc_thresh2 = 16384, net.ipv4.neigh.default.gc_thresh3 = 32768 (now 128/8192/16384 with 15800 entries)');
  });

  it.each([
    ['GC thrashing above gc_thresh2 is info', [stats({ entries: 600, forced: 10 }), stats({ entries: 610, forced: 50 })], /forced garbage collection ran 40 times/],
    ['table_fulls since boot only is info', [stats({ entries: 100, fulls: 8 }), stats({ entries: 100, fulls: 8 })], /full 8 times since boot, none during the 30 s sample/],
  ])('%s', async (_, neighStats, message) => {
    const { result, findings } = await run({ 'node-1': node({ neighStats }) });
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    expect(findings[0]!.message).toMatch(message);
    expect(result.status).toBe('pass');
  });

  it('on a node whose SSH session is not in the host namespace: nothing reported, a gap with the reason (real samples)', async () => {
    const out = await runWithGaps({
      'node-1': node({ neighStats: [raw(fixture('netns/neighStats.txt')), raw(fixture('netns/neighStats.txt'))], sysctls: [raw(fixture('netns/sysctls.txt'))], neighCounts: [raw(fixture('netns/neighCounts.txt'))] }),
    });
    expect(out.findings).toEqual([]);
    expect(out.gaps).toEqual([{
      source: 'ssh', node: 'node-1', probe: 'neighStats',
      reason: "/proc/net/stat/arp_cache does not exist: it exists only in the host's initial network namespace (is the SSH session inside a container or another network namespace?)",
    }]);
  });

  it('still reports overflow messages when the tables could not be read', async () => {
    const out = await runWithGaps({ 'node-1': node({ neighStats: [raw('garbage'), raw('garbage')], kernelLog: [log('2026-11-25T18:59:00,000000+00:00 Neighbour table overflow.')] }) });
    expect(out.results[0]!.status).toBe('fail');
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({ severity: 'critical', evidence: { family: 'ipv4', statsUnavailable: true, kernelLog: ['Neighbour table overflow.'] } });
    expect(out.gaps.map((g) => (g as { probe?: string }).probe)).toEqual(['neighStats']);
  });

  it('turns garbage in every probe into gaps, not a crash', async () => {
    const out = await runWithGaps({ 'node-1': { neighStats: [raw('x'), raw('y')], sysctls: [raw('z')], neighCounts: [raw('')], kernelLog: [raw('@@ source none 1\n@@ end\n')], uname: [raw('')] } });
    expect(out.findings).toEqual([]);
    expect(out.gaps.map((g) => (g as { probe?: string }).probe).sort()).toEqual(['kernelLog', 'neighCounts', 'neighStats', 'sysctls', 'uname']);
  });

  it('names the 5.0/5.1 gc_entries leak when overflow is reported without a full table', async () => {
    const { findings } = await run({ 'node-1': node({ uname: [uname('5.1.0-generic')], neighStats: [stats({ entries: 50, fulls: 1 }), stats({ entries: 50, fulls: 3 })] }) });
    expect(findings[0]!.message).toContain('Kernel 5.1.0-generic has a known gc_entries counter leak');
  });

  it('gives cluster sizing advice at 500+ nodes on kernel defaults, not below', async () => {
    const big = await run({ 'node-1': node(), 'node-2': node({ sysctls: [sysctls([128, 8192, 16384])] }) }, 498);
    expect(big.findings).toHaveLength(1);
    expect(big.findings[0]).toMatchObject({ severity: 'warning', target: { kind: 'Cluster' }, evidence: { nodes: 500, nodesOnDefaults: 1, examples: ['node-1'] } });
    const small = await run({ 'node-1': node(), 'node-2': node() }, 497);
    expect(small.findings).toEqual([]);
  });
});
