// Neighbour entries visible in the SSH session's own network namespace (`ip neigh show nud all`,
// else /proc/net/arp). Context only: pod namespaces hold the rest of the global table, so this
// undercounts on pod-dense nodes; /proc/net/stat/arp_cache `entries` is the number that is compared.
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';
import { dict } from '../../util/dict.js';

export interface NeighCounts {
  ipv4: number;
  /** Undefined when only /proc/net/arp was available. */
  ipv6?: number;
  source: 'ip' | 'proc-net-arp';
}

export const neighCounts = defineProbe<NeighCounts>({
  script: [
    'if command -v ip >/dev/null 2>&1 && ip -4 neigh show nud all >/dev/null 2>&1; then',
    `  echo "${MARK}ip"`,
    '  echo "ipv4 $(ip -4 neigh show nud all | wc -l)"',
    '  echo "ipv6 $(ip -6 neigh show nud all | wc -l)"',
    'elif [ -r /proc/net/arp ]; then',
    `  echo "${MARK}proc-net-arp"`,
    '  echo "ipv4 $(($(wc -l </proc/net/arp) - 1))"',
    `else echo "${MARK}none"; fi`,
    `echo "${MARK}end"`,
  ].join('\n'),
  parse([s]) {
    const { sections } = splitMarked(s!.stdout, 'neighCounts');
    const sec = sections[0];
    if (sections.length !== 1 || !sec) throw new ProbeError('neighCounts: unexpected output');
    if (sec.marker === 'none') throw new ProbeError('neighCounts: neither `ip neigh` nor /proc/net/arp is available');
    if (sec.marker !== 'ip' && sec.marker !== 'proc-net-arp') throw new ProbeError(`neighCounts: unexpected marker ${sec.marker}`);
    const counts = dict<number>();
    for (const line of sec.lines) {
      const m = /^(ipv4|ipv6) (\d+)$/.exec(line.trim());
      if (!m) throw new ProbeError(`neighCounts: unexpected line ${JSON.stringify(line.slice(0, 60))}`);
      counts[m[1]!] = Number(m[2]);
    }
    if (counts.ipv4 === undefined) throw new ProbeError('neighCounts: no IPv4 count');
    return { ipv4: counts.ipv4, ipv6: counts.ipv6, source: sec.marker };
  },
});
