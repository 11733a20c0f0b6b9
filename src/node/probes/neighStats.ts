// Neighbour-table statistics: /proc/net/stat/arp_cache (IPv4) and ndisc_cache (IPv6). Both exist only
// in the initial network namespace and count the one global table that every pod's namespace fills
// (check-facts §2.2, Appendix A). Hex values, one row per possible CPU: per-CPU counters are summed,
// `entries` is the global count repeated on every row. Sampled for Δtable_fulls and Δforced_gc_runs.
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';
import { catFilesScript, readFiles, unreadableReason } from '../parsers/marked.js';

export interface NeighTableStats {
  entries: number;
  /** Summed over CPUs. */
  tableFulls: number;
  forcedGcRuns: number;
  periodicGcRuns: number;
  allocs: number;
  destroys: number;
  unresolvedDiscards: number;
}

export interface NeighStatsSample {
  ipv4: NeighTableStats;
  /** Undefined when the kernel has no IPv6 neighbour table (IPv6 disabled or not built). */
  ipv6?: NeighTableStats;
}

export interface NeighStats {
  samples: NeighStatsSample[];
  intervalSeconds: number;
}

const ARP = '/proc/net/stat/arp_cache';
const NDISC = '/proc/net/stat/ndisc_cache';

export const neighStats = defineProbe<NeighStats>({
  script: catFilesScript([ARP, NDISC]),
  sampled: true,
  parse(samples, intervalSeconds) {
    if (!samples.length) throw new ProbeError('neighStats: no sample');
    return { samples: samples.map(parseOne), intervalSeconds };
  },
});

function parseOne(s: RawSample): NeighStatsSample {
  const files = readFiles(s.stdout, 'neighStats');
  const arp = files.get(ARP);
  if (arp?.state !== 'ok') {
    const reason = unreadableReason(ARP, arp);
    throw new ProbeError(arp?.state === 'missing'
      ? `${reason}: it exists only in the host's initial network namespace (is the SSH session inside a container or another network namespace?)`
      : reason);
  }
  const ndisc = files.get(NDISC);
  return {
    ipv4: parseNeighTable(arp.lines, ARP),
    ipv6: ndisc?.state === 'ok' ? parseNeighTable(ndisc.lines, NDISC) : undefined,
  };
}

const COLUMNS = {
  entries: 'entries', allocs: 'allocs', destroys: 'destroys', forcedGcRuns: 'forced_gc_runs',
  periodicGcRuns: 'periodic_gc_runs', unresolvedDiscards: 'unresolved_discards', tableFulls: 'table_fulls',
} as const;

export function parseNeighTable(lines: readonly string[], what: string): NeighTableStats {
  const rows = lines.filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
  const header = rows.shift();
  if (!header) throw new ProbeError(`${what}: empty`);
  const index = Object.fromEntries(Object.entries(COLUMNS).map(([k, col]) => [k, header.indexOf(col)])) as Record<keyof typeof COLUMNS, number>;
  const lost = Object.entries(index).filter(([, i]) => i < 0).map(([k]) => COLUMNS[k as keyof typeof COLUMNS]);
  if (lost.length) throw new ProbeError(`${what}: header lacks ${lost.join(', ')}`);
  if (!rows.length) throw new ProbeError(`${what}: no per-CPU rows (truncated?)`);
  const out: NeighTableStats = { entries: 0, tableFulls: 0, forcedGcRuns: 0, periodicGcRuns: 0, allocs: 0, destroys: 0, unresolvedDiscards: 0 };
  rows.forEach((row, n) => {
    if (row.length !== header.length || !row.every((v) => /^[0-9a-fA-F]+$/.test(v))) {
      throw new ProbeError(`${what}: row ${n + 1} is not ${header.length} hex values (truncated?)`);
    }
    for (const key of Object.keys(COLUMNS) as (keyof typeof COLUMNS)[]) {
      const v = parseInt(row[index[key]]!, 16);
      // `entries` is one global atomic read per row; the others are per-CPU counters.
      if (key === 'entries') out.entries = Math.max(out.entries, v);
      else out[key] += v;
    }
  });
  return out;
}
