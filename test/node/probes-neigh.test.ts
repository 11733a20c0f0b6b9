import { describe, expect, it } from '@jest/globals';
import { ProbeError } from '../../src/node/probe-types.js';
import { neighStats } from '../../src/node/probes/neighStats.js';
import { neighCounts } from '../../src/node/probes/neighCounts.js';
import { fixture, sample } from './probes-fixture.js';

// check-facts §2.2 sample: two CPUs, hex.
const FACTS_ARP = [
  'entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls',
  '00000002 0000000d 0000000d 00000000   00000515 00000089 00000015   00000000         00000000         00000267         000003a1       00000023            0000039c',
  '00000002 0000001c 0000001a 00000000   00001675 00000374 00000093   00000000         00000000         000003bf         00000252       00000046            00000240',
].join('\n');

describe('neighStats probe', () => {
  it('sums per-CPU hex counters and keeps entries global (check-facts sample)', () => {
    const v = neighStats.parse([sample(`@@ file /proc/net/stat/arp_cache\n${FACTS_ARP}\n@@ missing /proc/net/stat/ndisc_cache\n@@ end\n`)], 0);
    expect(v.samples[0]!.ipv4).toEqual({
      entries: 2, allocs: 0x0d + 0x1c, destroys: 0x0d + 0x1a, periodicGcRuns: 0x267 + 0x3bf,
      forcedGcRuns: 0x3a1 + 0x252, unresolvedDiscards: 0x23 + 0x46, tableFulls: 0x39c + 0x240,
    });
    expect(v.samples[0]!.ipv6).toBeUndefined();
  });

  it('counts entries made in other network namespaces (real sample: 300 entries in a pod-like netns)', () => {
    const v = neighStats.parse([sample(fixture('neigh-other-netns/neighStats.txt'))], 0);
    expect(v.samples[0]!.ipv4.entries).toBe(0x12e);
    expect(v.samples[0]!.ipv6!.entries).toBe(7);
    // The host's own view of the same moment sees one entry: ip neigh undercounts.
    expect(neighCounts.parse([sample(fixture('neigh-other-netns/neighCounts.txt'))], 0)).toEqual({ ipv4: 1, ipv6: 4, source: 'ip' });
  });

  it('parses both samples of the host (real samples)', () => {
    const v = neighStats.parse([sample(fixture('host/neighStats.1.txt')), sample(fixture('host/neighStats.2.txt'))], 1);
    expect(v.samples).toHaveLength(2);
    expect(v.intervalSeconds).toBe(1);
    expect(v.samples[1]!.ipv4.tableFulls).toBe(0);
  });

  it('is a gap with the reason in a non-initial network namespace (real sample)', () => {
    expect(() => neighStats.parse([sample(fixture('netns/neighStats.txt'))], 0))
      .toThrow(/\/proc\/net\/stat\/arp_cache does not exist: it exists only in the host's initial network namespace/);
  });

  it.each([
    ['truncated rows', `@@ file /proc/net/stat/arp_cache\n${FACTS_ARP.slice(0, 300)}\n@@ end\n`, /not 13 hex values/],
    ['header only', `@@ file /proc/net/stat/arp_cache\n${FACTS_ARP.split('\n')[0]}\n@@ end\n`, /no per-CPU rows/],
    ['end marker lost', `@@ file /proc/net/stat/arp_cache\n${FACTS_ARP}\n`, /truncated/],
    ['unknown header', '@@ file /proc/net/stat/arp_cache\nfoo bar\n1 2\n@@ end\n', /header lacks/],
    ['permission denied', '@@ unreadable /proc/net/stat/arp_cache\n@@ end\n', /permission denied/],
    ['garbage', 'cat: write error\n', ProbeError],
  ])('throws ProbeError on %s', (_, out, reason) => {
    expect(() => neighStats.parse([sample(out)], 0)).toThrow(reason);
  });
});

describe('neighCounts probe', () => {
  it('reads the ip neigh counts (real sample) and the /proc/net/arp fallback', () => {
    expect(neighCounts.parse([sample(fixture('host/neighCounts.txt'))], 0).source).toBe('ip');
    expect(neighCounts.parse([sample('@@ proc-net-arp\nipv4 12\n@@ end\n')], 0)).toEqual({ ipv4: 12, ipv6: undefined, source: 'proc-net-arp' });
  });

  it.each([
    ['no source', '@@ none\n@@ end\n'],
    ['garbage', '@@ ip\nipv4 many\n@@ end\n'],
    ['truncated', '@@ ip\nipv4 3\n'],
  ])('throws ProbeError on %s', (_, out) => {
    expect(() => neighCounts.parse([sample(out)], 0)).toThrow(ProbeError);
  });
});
