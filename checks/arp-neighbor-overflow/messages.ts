// The rules of arp-neighbor-overflow and their words; index.ts decides, this file speaks.
import type { Remediation, Wording } from '../../src/check.js';

export type Family = 'ipv4' | 'ipv6';
export const TABLE: Record<Family, string> = { ipv4: 'arp_cache', ipv6: 'ndisc_cache' };
/** aks-engine's large-cluster gc_thresh3, applied to every node size after CoreDNS failures. */
const LARGE_GC_THRESH3 = 16384;
const KERNEL_DEFAULT_GC_THRESH1 = 128;

/** What a node's numbers show, each a reason for the finding (in this order in the message). */
export type Observation =
  | { kind: 'nearFull'; entries: number; t3: number; ratio: number }
  | { kind: 'refused'; delta: number; interval: number }
  | { kind: 'logged'; lines: number; suppressed: number }
  | { kind: 'forcedGc'; entries: number; t2: number; runs: number; interval: number }
  | { kind: 'fullBefore'; total: number; reset: boolean; interval: number };

export interface TableState {
  node: string;
  family: Family;
  observations: Observation[];
  entries?: number;
  t1?: number; t2?: number; t3?: number;
  /** Entries of the host namespace itself (the rest are pods'). */
  hostView?: number;
  /** A kernel with the gc_entries leak that reports overflow without a full table. */
  leakyKernel?: string;
  /** The warning line, for the expected value. */
  warningRatio: number;
}

export const rules = {
  defaultTableSize: {
    description: 'A large cluster still runs nodes with the kernel\'s default neighbour-table size.',
    message: (d: { onDefaults: number; nodes: number; largeCluster: number; defaultThresh3: number }): Wording => {
      const sizes = suggestion(0, KERNEL_DEFAULT_GC_THRESH1);
      return {
        message: `${d.onDefaults} of ${d.nodes} nodes still have the kernel's default neighbour-table size (gc_thresh3 ≤ ${d.defaultThresh3}): ` +
          `clusters past ~${d.largeCluster} nodes fill it in flat networks (host-gw, VPC CNIs, flannel), and the first symptom is usually CoreDNS failing intermittently.`,
        expected: `gc_thresh3 ≥ ${LARGE_GC_THRESH3} on clusters of ${d.largeCluster}+ nodes`, actual: `gc_thresh3 ≤ ${d.defaultThresh3} on ${d.onDefaults} nodes`,
        remediation: {
          summary: 'Raise the neighbour-table limits in the node image or node bootstrap',
          steps: [
            `Set in /etc/sysctl.d/99-neigh.conf on every node: ${sizes.lines('ipv4').join(', ')} (and the same for net.ipv6.neigh.default.*), then \`sysctl --system\`.`,
            'Managed node pools: put it in the node image / launch template, or a privileged DaemonSet init container that runs sysctl on the host.',
            'Keep gc_thresh1 small: below it nothing is garbage-collected, so stale entries linger.',
          ],
        },
      };
    },
  },
  neighborTableOverflow: {
    description: 'A node\'s neighbour table is near gc_thresh3, refused allocations, or logged an overflow.',
    message: (d: TableState): Wording => {
      const name = `${d.family === 'ipv4' ? 'IPv4 (ARP)' : 'IPv6 (NDP)'} neighbour table`;
      const parts = d.observations.map(phrase);
      return {
        message: `${d.node}: ${name}: ${parts.join('; ')}.` +
          (d.entries !== undefined && d.hostView !== undefined ? ` The table is shared by every network namespace on the node: the host namespace itself holds ${d.hostView}, pod namespaces the other ${Math.max(0, d.entries - d.hostView)}.` : '') +
          (d.leakyKernel ? ` Kernel ${d.leakyKernel} has a known gc_entries counter leak that reports overflow without a full table: update the kernel before tuning.` : ''),
        expected: d.t3 ? `entries below ${Math.floor(d.warningRatio * d.t3)} (80 % of gc_thresh3 ${d.t3}) and no refused allocations` : 'no neighbour-table overflow',
        actual: parts.join('; '),
        remediation: remedy(d.node, d.family, suggestion(d.entries ?? 0, d.t1), d.t1, d.t2, d.t3, d.entries),
      };
    },
  },
};

function phrase(o: Observation): string {
  switch (o.kind) {
    case 'nearFull': return `${o.entries} of ${o.t3} entries in use (${pct(o.ratio)} % of gc_thresh3)`;
    case 'refused': return `${o.delta} neighbour allocations refused in ${round(o.interval, 1)} s (table_fulls)`;
    case 'logged': return `the kernel logged "neighbor table overflow" ${o.lines} time${o.lines > 1 ? 's' : ''} in the last hour` +
      (o.suppressed ? ` (plus ${o.suppressed} rate-limited network messages suppressed)` : '');
    case 'forcedGc': return `${o.entries} entries are above gc_thresh2 (${o.t2}) and forced garbage collection ran ${o.runs} times in ${round(o.interval, 1)} s: every new entry pays for a synchronous GC`;
    case 'fullBefore': return `the table was full ${o.total} times since boot${o.reset ? ' (counter reset between samples)' : o.interval > 0 ? `, none during the ${round(o.interval, 1)} s sample` : ''}`;
  }
}

function remedy(node: string, family: Family, sizes: ReturnType<typeof suggestion>, t1?: number, t2?: number, t3?: number, entries?: number): Remediation {
  return {
    summary: `Raise the ${family === 'ipv4' ? 'IPv4' : 'IPv6'} neighbour-table limits on ${node} (host sysctls; they govern every pod namespace)`,
    steps: [
      `Confirm on ${node}: \`cat /proc/net/stat/${TABLE[family]}\` (hex; first column entries, last column table_fulls, summed over the CPU rows) and ` +
        `\`journalctl -k --since=-1h | grep -i 'table overflow'\`.`,
      `Write /etc/sysctl.d/99-neigh.conf on ${node}: ${sizes.lines(family).join(', ')}` +
        `${t3 !== undefined ? ` (now ${t1 ?? '?'}/${t2 ?? '?'}/${t3}${entries !== undefined ? ` with ${entries} entries` : ''})` : ''}; then \`sysctl --system\`. ` +
        'Only the host (initial) network namespace can set them.',
      'Apply the same on every node of the pool (node image, launch template, or a privileged DaemonSet init container that runs sysctl on the host).',
      'Keep gc_thresh1 small (0–1024): below it nothing is garbage-collected, so stale entries linger.',
      'Fewer neighbours: avoid one huge flat L2 segment (use overlay or routed mode); if the entries are INCOMPLETE/FAILED from a scan or dead peers, find their source.',
    ],
  };
}

/** gc_thresh3 at least twice the current use and at least the large-cluster value; gc_thresh2 half of it. */
function suggestion(entries: number, t1: number | undefined) {
  let t3 = LARGE_GC_THRESH3;
  while (t3 < 2 * entries) t3 *= 2;
  const g1 = t1 !== undefined && t1 <= 1024 ? t1 : 1024;
  return {
    t3, t2: t3 / 2, t1: g1,
    lines: (family: Family) => [`net.${family}.neigh.default.gc_thresh1 = ${g1}`, `net.${family}.neigh.default.gc_thresh2 = ${t3 / 2}`, `net.${family}.neigh.default.gc_thresh3 = ${t3}`],
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
// Rounded down to a tenth, so 94.8 % never reads as the 95 % critical line.
const pct = (r: number) => Math.floor(r * 1000) / 10;
