// Upstream: Linux net/core/neighbour.c neigh_alloc()/neigh_forced_gc(), Documentation/networking/ip-sysctl.rst (gc_thresh*); check-facts §2.
import { defineCheck, optional, reporter, type Reporter, type Severity } from '../../src/check.js';
import { rules, TABLE, type Family, type Observation } from './messages.js';
import { counterChange, type CounterChange } from '../../src/node/parsers/counters.js';
import { inWindow, neighOverflowFamily, suppressedCallbacks } from '../../src/node/parsers/kernel-log.js';
import { KERNEL_LOG_WINDOW_SECONDS, type KernelLog } from '../../src/node/probes/kernelLog.js';
import type { NeighCounts } from '../../src/node/probes/neighCounts.js';
import type { NeighStats, NeighTableStats } from '../../src/node/probes/neighStats.js';
import type { SysctlKey, Sysctls } from '../../src/node/probes/sysctls.js';

/** The lines a table is judged by (the check's settings, from the config file). */
interface Limits { warning: number; critical: number }
const DEFAULT_GC_THRESH3 = 1024;

type Say = Reporter<typeof rules>;

export default defineCheck({
  id: 'arp-neighbor-overflow',
  title: 'Neighbour (ARP/NDP) tables on the nodes have room',
  severity: 'critical',
  description: 'Compares the global neighbour-table entry count of each node (/proc/net/stat/arp_cache and ndisc_cache, which include every ' +
    'pod namespace) with net.ipv4/ipv6.neigh.default.gc_thresh3, samples table_fulls twice for allocations refused now, and looks for ' +
    '"neighbor table overflow" kernel messages from the last hour. Large clusters still on the kernel defaults get sizing advice.',
  rules,
  settings: {
    warningPercent: { type: 'number', default: 80, min: 0, max: 100, description: 'Entries as a share of gc_thresh3 at which a node is a warning' },
    criticalPercent: { type: 'number', default: 95, min: 0, max: 100, description: 'Entries as a share of gc_thresh3 at which a node is critical' },
    // Kernel defaults 128/512/1024 stop being enough around this many nodes in flat networks (check-facts §2.3).
    largeClusterNodes: { type: 'number', default: 500, min: 1, description: 'Cluster size from which nodes still on the kernel default table size are reported' },
  },
  needs: { api: ['Node'], probes: ['neighStats', ...optional('sysctls', 'neighCounts', 'kernelLog', 'uname')] },
  create(ctx) {
    const say = reporter(ctx, rules);
    const limits: Limits = { warning: Number(ctx.options.warningPercent) / 100, critical: Number(ctx.options.criticalPercent) / 100 };
    const largeCluster = Number(ctx.options.largeClusterNodes);
    let nodeCount = 0;
    const onDefaults: string[] = [];
    return {
      Node() { nodeCount++; },
      NodeProbes({ node, probes: p }) {
        const thresh3 = evaluateNode(say, limits, ctx.now, node, {
          stats: p.neighStats?.ok ? p.neighStats.value : undefined,
          sysctls: p.sysctls?.ok ? p.sysctls.value : undefined,
          counts: p.neighCounts?.ok ? p.neighCounts.value : undefined,
          log: p.kernelLog?.ok ? p.kernelLog.value : undefined,
          kernel: p.uname?.ok ? p.uname.value.release : undefined,
        });
        if (thresh3 !== undefined && thresh3 <= DEFAULT_GC_THRESH3) onDefaults.push(node);
      },
      finish() {
        if (nodeCount < largeCluster || !onDefaults.length) return;
        say('defaultTableSize', {
          severity: 'warning',
          target: { kind: 'Cluster', name: 'cluster' },
          evidence: { nodes: nodeCount, nodesOnDefaults: onDefaults.length, examples: onDefaults.slice(0, 10) },
        }, { onDefaults: onDefaults.length, nodes: nodeCount, largeCluster, defaultThresh3: DEFAULT_GC_THRESH3 });
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
function evaluateNode(say: Say, limits: Limits, now: Date, node: string, d: NodeData): number | undefined {
  const overflowLines = { ipv4: [] as string[], ipv6: [] as string[] };
  let suppressed = 0;
  for (const line of d.log?.lines ?? []) {
    if (!d.log!.windowSeconds && !inWindow(line, now, KERNEL_LOG_WINDOW_SECONDS)) continue;
    const fam = neighOverflowFamily(line);
    // Old kernels print "Neighbour table overflow." without naming the table: count it as IPv4.
    if (fam) overflowLines[fam === 'ipv6' ? 'ipv6' : 'ipv4'].push(line.text);
    suppressed += suppressedCallbacks(line) ?? 0;
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    evaluateFamily(say, limits, node, family, d, overflowLines[family], suppressed);
  }
  return d.stats ? d.sysctls?.values['net.ipv4.neigh.default.gc_thresh3'] : undefined;
}

function evaluateFamily(say: Say, limits: Limits, node: string, family: Family, d: NodeData, logLines: string[], suppressed: number): void {
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

  const seen: Observation[] = [];
  let severity: Severity | undefined;
  const raise = (s: Severity) => { if (!severity || rank(s) > rank(severity)) severity = s; };
  if (ratio !== undefined && ratio >= limits.warning) {
    raise(ratio >= limits.critical ? 'critical' : 'warning');
    seen.push({ kind: 'nearFull', entries: last!.entries, t3: t3!, ratio });
  }
  if ((fulls?.delta ?? 0) > 0) {
    raise('critical');
    seen.push({ kind: 'refused', delta: fulls!.delta!, interval });
  }
  if (logLines.length) {
    raise('critical');
    seen.push({ kind: 'logged', lines: logLines.length, suppressed });
  }
  if (!severity && last && t2 !== undefined && last.entries > t2 && (forced?.delta ?? 0) > 0) {
    raise('info');
    seen.push({ kind: 'forcedGc', entries: last.entries, t2, runs: forced!.delta!, interval });
  }
  if (!severity && (fulls?.total ?? 0) > 0) {
    raise('info');
    seen.push({ kind: 'fullBefore', total: fulls!.total, reset: !!fulls!.reset, interval });
  }
  if (!severity) return;

  const hostView = family === 'ipv4' ? d.counts?.ipv4 : d.counts?.ipv6;
  say('neighborTableOverflow', {
    severity,
    target: { kind: 'Node', name: node },
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
  }, {
    node, family, observations: seen, entries: last?.entries, t1, t2, t3, hostView: last ? hostView : undefined,
    leakyKernel: leakyKernel(d.kernel, ratio, limits.warning), warningRatio: limits.warning,
  });
}

function leakyKernel(kernel: string | undefined, ratio: number | undefined, warning: number): string | undefined {
  return kernel && /^5\.[01]\./.test(kernel) && (ratio === undefined || ratio < warning) ? kernel : undefined;
}

function changeEvidence(c: CounterChange) {
  return { sinceBoot: c.total, ...(c.delta !== undefined ? { delta: c.delta } : {}), ...(c.reset ? { reset: true } : {}) };
}

const rank = (s: Severity) => ({ info: 0, warning: 1, critical: 2 })[s];
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
