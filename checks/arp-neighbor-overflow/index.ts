// Upstream: Linux net/core/neighbour.c neigh_alloc()/neigh_forced_gc(), Documentation/networking/ip-sysctl.rst (gc_thresh*); check-facts §2.
import { defineCheck, optional, type CheckContext, type FindingInput, type Severity } from '../../src/check.js';
import { counterChange, type CounterChange } from '../../src/node/parsers/counters.js';
import { inWindow, neighOverflowFamily, suppressedCallbacks } from '../../src/node/parsers/kernel-log.js';
import { KERNEL_LOG_WINDOW_SECONDS, type KernelLog } from '../../src/node/probes/kernelLog.js';
import type { NeighCounts } from '../../src/node/probes/neighCounts.js';
import type { NeighStats, NeighTableStats } from '../../src/node/probes/neighStats.js';
import type { SysctlKey, Sysctls } from '../../src/node/probes/sysctls.js';

const WARNING_RATIO = 0.8;
const CRITICAL_RATIO = 0.95;
/** Kernel defaults 128/512/1024 stop being enough around this many nodes in flat networks (check-facts §2.3). */
const LARGE_CLUSTER_NODES = 500;
const DEFAULT_GC_THRESH3 = 1024;
const KERNEL_DEFAULT_GC_THRESH1 = 128;
/** aks-engine's large-cluster gc_thresh3, applied to every node size after CoreDNS failures. */
const LARGE_GC_THRESH3 = 16384;

type Family = 'ipv4' | 'ipv6';
const TABLE: Record<Family, string> = { ipv4: 'arp_cache', ipv6: 'ndisc_cache' };

export default defineCheck({
  id: 'arp-neighbor-overflow',
  title: 'Neighbour (ARP/NDP) tables on the nodes have room',
  severity: 'critical',
  description: 'Compares the global neighbour-table entry count of each node (/proc/net/stat/arp_cache and ndisc_cache, which include every ' +
    'pod namespace) with net.ipv4/ipv6.neigh.default.gc_thresh3, samples table_fulls twice for allocations refused now, and looks for ' +
    '"neighbor table overflow" kernel messages from the last hour. Large clusters still on the kernel defaults get sizing advice.',
  rules: {
    defaultTableSize: { description: 'A large cluster still runs nodes with the kernel\'s default neighbour-table size.' },
    neighborTableOverflow: { description: 'A node\'s neighbour table is near gc_thresh3, refused allocations, or logged an overflow.' },
  },
  needs: { api: ['Node'], probes: ['neighStats', ...optional('sysctls', 'neighCounts', 'kernelLog', 'uname')] },
  create(ctx) {
    let nodeCount = 0;
    const onDefaults: string[] = [];
    return {
      Node() { nodeCount++; },
      NodeProbes({ node, probes: p }) {
        const thresh3 = evaluateNode(ctx, node, {
          stats: p.neighStats?.ok ? p.neighStats.value : undefined,
          sysctls: p.sysctls?.ok ? p.sysctls.value : undefined,
          counts: p.neighCounts?.ok ? p.neighCounts.value : undefined,
          log: p.kernelLog?.ok ? p.kernelLog.value : undefined,
          kernel: p.uname?.ok ? p.uname.value.release : undefined,
        });
        if (thresh3 !== undefined && thresh3 <= DEFAULT_GC_THRESH3) onDefaults.push(node);
      },
      finish() {
        if (nodeCount < LARGE_CLUSTER_NODES || !onDefaults.length) return;
        const sizes = suggestion(0, KERNEL_DEFAULT_GC_THRESH1);
        ctx.report({
          rule: 'defaultTableSize',
          severity: 'warning',
          target: { kind: 'Cluster', name: 'cluster' },
          message: `${onDefaults.length} of ${nodeCount} nodes still have the kernel's default neighbour-table size (gc_thresh3 ≤ ${DEFAULT_GC_THRESH3}): ` +
            `clusters past ~${LARGE_CLUSTER_NODES} nodes fill it in flat networks (host-gw, VPC CNIs, flannel), and the first symptom is usually CoreDNS failing intermittently.`,
          evidence: { nodes: nodeCount, nodesOnDefaults: onDefaults.length, examples: onDefaults.slice(0, 10) },
          expected: `gc_thresh3 ≥ ${LARGE_GC_THRESH3} on clusters of ${LARGE_CLUSTER_NODES}+ nodes`, actual: `gc_thresh3 ≤ ${DEFAULT_GC_THRESH3} on ${onDefaults.length} nodes`,
          remediation: {
            summary: 'Raise the neighbour-table limits in the node image or node bootstrap',
            steps: [
              `Set in /etc/sysctl.d/99-neigh.conf on every node: ${sizes.lines('ipv4').join(', ')} (and the same for net.ipv6.neigh.default.*), then \`sysctl --system\`.`,
              'Managed node pools: put it in the node image / launch template, or a privileged DaemonSet init container that runs sysctl on the host.',
              'Keep gc_thresh1 small: below it nothing is garbage-collected, so stale entries linger.',
            ],
          },
        });
      },
    };
  },
});

interface NodeData {
  stats?: NeighStats;
  sysctls?: Sysctls;
  counts?: NeighCounts;
  log?: KernelLog;
  kernel?: string;
}

/** Reports what the node's numbers show; returns its IPv4 gc_thresh3 for the cluster-size advice. */
function evaluateNode(ctx: CheckContext, node: string, d: NodeData): number | undefined {
  const overflowLines = { ipv4: [] as string[], ipv6: [] as string[] };
  let suppressed = 0;
  for (const line of d.log?.lines ?? []) {
    if (!d.log!.windowSeconds && !inWindow(line, ctx.now, KERNEL_LOG_WINDOW_SECONDS)) continue;
    const fam = neighOverflowFamily(line);
    // Old kernels print "Neighbour table overflow." without naming the table: count it as IPv4.
    if (fam) overflowLines[fam === 'ipv6' ? 'ipv6' : 'ipv4'].push(line.text);
    suppressed += suppressedCallbacks(line) ?? 0;
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    evaluateFamily(ctx, node, family, d, overflowLines[family], suppressed);
  }
  return d.stats ? d.sysctls?.values['net.ipv4.neigh.default.gc_thresh3'] : undefined;
}

function evaluateFamily(ctx: CheckContext, node: string, family: Family, d: NodeData, logLines: string[], suppressed: number): void {
  const samples = d.stats?.samples.map((s) => s[family]).filter((s): s is NeighTableStats => !!s) ?? [];
  const first = samples[0];
  const last = samples.at(-1);
  if (!last && !logLines.length) return; // nothing usable: the neighStats gap says why
  const key = (n: 1 | 2 | 3) => `net.${family}.neigh.default.gc_thresh${n}` as SysctlKey;
  const t1 = d.sysctls?.values[key(1)];
  const t2 = d.sysctls?.values[key(2)];
  const t3 = d.sysctls?.values[key(3)];
  const interval = d.stats?.intervalSeconds ?? 0;
  const fulls = last ? counterChange(first?.tableFulls, last.tableFulls, samples.length, interval) : undefined;
  const forced = last ? counterChange(first?.forcedGcRuns, last.forcedGcRuns, samples.length, interval) : undefined;
  const ratio = last && t3 ? last.entries / t3 : undefined;
  const name = `${family === 'ipv4' ? 'IPv4 (ARP)' : 'IPv6 (NDP)'} neighbour table`;

  const parts: string[] = [];
  let severity: Severity | undefined;
  const raise = (s: Severity) => { if (!severity || rank(s) > rank(severity)) severity = s; };
  if (ratio !== undefined && ratio >= WARNING_RATIO) {
    raise(ratio >= CRITICAL_RATIO ? 'critical' : 'warning');
    parts.push(`${last!.entries} of ${t3} entries in use (${pct(ratio)} % of gc_thresh3)`);
  }
  if ((fulls?.delta ?? 0) > 0) {
    raise('critical');
    parts.push(`${fulls!.delta} neighbour allocations refused in ${round(interval, 1)} s (table_fulls)`);
  }
  if (logLines.length) {
    raise('critical');
    parts.push(`the kernel logged "neighbor table overflow" ${logLines.length} time${logLines.length > 1 ? 's' : ''} in the last hour` +
      (suppressed ? ` (plus ${suppressed} rate-limited network messages suppressed)` : ''));
  }
  if (!severity && last && t2 !== undefined && last.entries > t2 && (forced?.delta ?? 0) > 0) {
    raise('info');
    parts.push(`${last.entries} entries are above gc_thresh2 (${t2}) and forced garbage collection ran ${forced!.delta} times in ${round(interval, 1)} s: every new entry pays for a synchronous GC`);
  }
  if (!severity && (fulls?.total ?? 0) > 0) {
    raise('info');
    parts.push(`the table was full ${fulls!.total} times since boot${fulls!.reset ? ' (counter reset between samples)' : interval > 0 ? `, none during the ${round(interval, 1)} s sample` : ''}`);
  }
  if (!severity) return;

  const hostView = family === 'ipv4' ? d.counts?.ipv4 : d.counts?.ipv6;
  const kernelBug = kernelBugNote(d.kernel, ratio);
  const message = `${node}: ${name}: ${parts.join('; ')}.` +
    (last && hostView !== undefined ? ` The table is shared by every network namespace on the node: the host namespace itself holds ${hostView}, pod namespaces the other ${Math.max(0, last.entries - hostView)}.` : '') +
    (kernelBug ? ` ${kernelBug}` : '');
  const sizes = suggestion(last?.entries ?? 0, t1);
  ctx.report({
    rule: 'neighborTableOverflow',
    severity,
    target: { kind: 'Node', name: node },
    message,
    evidence: {
      family, table: TABLE[family],
      ...(last ? { entries: last.entries } : {}),
      gcThresh1: t1, gcThresh2: t2, gcThresh3: t3,
      ...(ratio !== undefined ? { ratio: round(ratio, 3) } : {}),
      ...(fulls ? { tableFulls: changeEvidence(fulls) } : {}),
      ...(forced ? { forcedGcRuns: changeEvidence(forced) } : {}),
      ...(d.stats ? { intervalSeconds: interval } : { statsUnavailable: true }),
      ...(hostView !== undefined ? { hostNamespaceEntries: hostView, hostNamespaceCountSource: d.counts!.source } : {}),
      ...(logLines.length ? { kernelLog: logLines.slice(0, 20), suppressedCallbacks: suppressed } : {}),
      ...(d.kernel ? { kernel: d.kernel } : {}),
    },
    expected: t3 ? `entries below ${Math.floor(WARNING_RATIO * t3)} (80 % of gc_thresh3 ${t3}) and no refused allocations` : 'no neighbour-table overflow',
    actual: parts.join('; '),
    remediation: remedy(node, family, sizes, t1, t2, t3, last?.entries),
  });
}

function remedy(node: string, family: Family, sizes: ReturnType<typeof suggestion>, t1?: number, t2?: number, t3?: number, entries?: number): FindingInput['remediation'] {
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

/** Kernels 5.0/5.1 could leak the gc_entries counter and report overflow with a table that is not full (fixed by 64c6f4bbca74). */
function kernelBugNote(kernel: string | undefined, ratio: number | undefined): string | undefined {
  if (!kernel || !/^5\.[01]\./.test(kernel) || (ratio !== undefined && ratio >= WARNING_RATIO)) return undefined;
  return `Kernel ${kernel} has a known gc_entries counter leak that reports overflow without a full table: update the kernel before tuning.`;
}

function changeEvidence(c: CounterChange) {
  return { sinceBoot: c.total, ...(c.delta !== undefined ? { delta: c.delta } : {}), ...(c.reset ? { reset: true } : {}) };
}

const rank = (s: Severity) => ({ info: 0, warning: 1, critical: 2 })[s];
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
// Rounded down to a tenth, so 94.8 % never reads as the 95 % critical line.
const pct = (r: number) => Math.floor(r * 1000) / 10;
