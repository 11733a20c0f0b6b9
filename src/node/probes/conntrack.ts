// The connection-tracking table of the node's network namespace (check-facts §14; Linux
// net/netfilter/nf_conntrack_standalone.c, nf_conntrack_core.c): nf_conntrack_count (this namespace's
// entries), nf_conntrack_max (one global value, writable only in the initial namespace; the limit is
// checked against each namespace's own count), and the per-CPU statistics in /proc/net/stat/nf_conntrack
// (hex, one row per possible CPU, header names the columns; `entries` is the namespace's count on every
// row, the others are per-CPU counters to sum). Sampled: drop/early_drop/insert_failed are cumulative.
// No /proc/sys/net/netfilter/nf_conntrack_count means nf_conntrack is not loaded: nothing to judge.
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';

export interface ConntrackStats {
  /** Summed over CPUs. */
  drop: number;
  earlyDrop: number;
  insertFailed: number;
  /** Absent on kernels before the column existed. */
  clashResolved?: number;
}

export interface ConntrackSample {
  count: number;
  max: number;
  buckets?: number;
  stats?: ConntrackStats;
}

export type Conntrack =
  | { loaded: false }
  | { loaded: true; samples: ConntrackSample[]; intervalSeconds: number; cpus?: number };

const D = '/proc/sys/net/netfilter';

export const conntrack = defineProbe<Conntrack>({
  script: [
    `if [ ! -e ${D}/nf_conntrack_count ]; then echo "${MARK}absent"; else`,
    `  echo "${MARK}count"; cat ${D}/nf_conntrack_count`,
    `  echo "${MARK}max"; cat ${D}/nf_conntrack_max`,
    `  echo "${MARK}buckets"; cat ${D}/nf_conntrack_buckets`,
    `  echo "${MARK}stat"; cat /proc/net/stat/nf_conntrack`,
    // kube-proxy scales its limit by the logical CPUs (cmd/kube-proxy/app detectNumCPU).
    `  echo "${MARK}cpus"; grep -c '^processor' /proc/cpuinfo`,
    'fi',
    `echo "${MARK}end"`,
  ].join('\n'),
  sampled: true,
  parse(samples, intervalSeconds) {
    if (!samples.length) throw new ProbeError('conntrack: no sample');
    const parsed = samples.map(parseOne);
    if (parsed.some((p) => p === 'absent')) return { loaded: false };
    const ok = parsed as { sample: ConntrackSample; cpus?: number }[];
    return { loaded: true, samples: ok.map((p) => p.sample), intervalSeconds, cpus: ok[0]!.cpus };
  },
});

function parseOne(s: RawSample): { sample: ConntrackSample; cpus?: number } | 'absent' {
  const { sections } = splitMarked(s.stdout, 'conntrack');
  if (sections.some((x) => x.marker === 'absent')) return 'absent';
  const get = (name: string) => sections.find((x) => x.marker === name)?.lines.filter((l) => l.trim() !== '');
  const int = (name: string, required: boolean) => {
    const text = get(name)?.join(' ').trim();
    if (!text || !/^\d+$/.test(text)) {
      if (required) throw new ProbeError(`conntrack: ${D}/nf_conntrack_${name} unreadable or not a number`);
      return undefined;
    }
    return Number(text);
  };
  const count = int('count', true)!;
  const max = int('max', true)!;
  const stat = get('stat');
  return {
    sample: { count, max, buckets: int('buckets', false), stats: stat?.length ? parseStat(stat) : undefined },
    cpus: int('cpus', false),
  };
}

/** /proc/net/stat/nf_conntrack: a header of column names, then one hex row per possible CPU. */
export function parseStat(lines: readonly string[]): ConntrackStats {
  const rows = lines.map((l) => l.trim().split(/\s+/));
  const header = rows.shift()!;
  const col = (name: string) => header.indexOf(name);
  const need = ['drop', 'early_drop', 'insert_failed'];
  const lost = need.filter((n) => col(n) < 0);
  if (lost.length) throw new ProbeError(`conntrack: /proc/net/stat/nf_conntrack header lacks ${lost.join(', ')}`);
  if (!rows.length) throw new ProbeError('conntrack: /proc/net/stat/nf_conntrack has no per-CPU rows');
  const out: ConntrackStats = { drop: 0, earlyDrop: 0, insertFailed: 0, ...(col('clashres') >= 0 ? { clashResolved: 0 } : {}) };
  rows.forEach((row, n) => {
    if (row.length !== header.length || !row.every((v) => /^[0-9a-fA-F]+$/.test(v))) {
      throw new ProbeError(`conntrack: /proc/net/stat/nf_conntrack row ${n + 1} is not ${header.length} hex values`);
    }
    const v = (name: string) => parseInt(row[col(name)]!, 16);
    out.drop += v('drop');
    out.earlyDrop += v('early_drop');
    out.insertFailed += v('insert_failed');
    if (out.clashResolved !== undefined) out.clashResolved += v('clashres');
  });
  return out;
}
