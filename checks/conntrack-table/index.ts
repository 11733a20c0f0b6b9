// Upstream: Linux net/netfilter/nf_conntrack_core.c (__nf_conntrack_alloc: per-namespace count against
// the global nf_conntrack_max, early_drop, "table full, dropping packet"), nf_conntrack_standalone.c;
// kubernetes cmd/kube-proxy/app (getConntrackMax, setIntSysCtl), pkg/proxy/apis/config/v1alpha1/defaults.go; check-facts §14.
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import { defineCheck, optional, reporter, type CheckContext, type Reporter } from '../../src/check.js';
import {
  kubeProxyConntrackFromConfigMap, kubeProxyConntrackFromDaemonSet, kubeProxyMax, type KubeProxyConntrack,
} from '../../src/kube/kube-proxy-config.js';
import { counterChange } from '../../src/node/parsers/counters.js';
import { conntrackFullLine, inWindow } from '../../src/node/parsers/kernel-log.js';
import type { Conntrack, ConntrackSample } from '../../src/node/probes/conntrack.js';
import { KERNEL_LOG_WINDOW_SECONDS, type KernelLog } from '../../src/node/probes/kernelLog.js';
import { rules, type Rates, type Table } from './messages.js';

export default defineCheck({
  id: 'conntrack-table',
  title: 'The connection-tracking table on each node has room',
  severity: 'critical',
  description:
    'Reads nf_conntrack_count against nf_conntrack_max on each node (warning at 75 %, critical at 95 %), and the per-CPU ' +
    '/proc/net/stat/nf_conntrack counters twice, --sample-interval apart: packets dropped (drop), entries evicted to make room ' +
    '(early_drop) and failed inserts (insert_failed) between the samples; "nf_conntrack: table full, dropping packet" kernel lines ' +
    'of the last hour. The fix names kube-proxy\'s conntrack.maxPerCore/min from its ConfigMap, because kube-proxy rewrites the ' +
    'sysctl when it starts. A node without nf_conntrack loaded passes with a note.',
  settings: {
    warningPercent: { type: 'number', default: 75, min: 1, max: 100, description: 'Table fill (count / max) that is a warning.' },
    criticalPercent: { type: 'number', default: 95, min: 1, max: 100, description: 'Table fill that is critical.' },
  },
  rules,
  needs: {
    api: ['Node', { kind: 'ConfigMap', optional: true, allNamespaces: true }, { kind: 'DaemonSet', optional: true, allNamespaces: true }],
    probes: ['conntrack', ...optional('kernelLog')],
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    let fromConfigMap: KubeProxyConntrack | undefined;
    let fromFlags: KubeProxyConntrack | undefined;
    const notLoaded: string[] = [];
    return {
      ConfigMap(cm: V1ConfigMap) { fromConfigMap ??= kubeProxyConntrackFromConfigMap(cm); },
      DaemonSet(ds: V1DaemonSet) { fromFlags ??= kubeProxyConntrackFromDaemonSet(ds); },
      NodeProbes(results) {
        const ct = results.probes.conntrack;
        if (!ct?.ok) return;
        if (!ct.value.loaded) { notLoaded.push(results.node); return; }
        const log = results.probes.kernelLog?.ok ? results.probes.kernelLog.value : undefined;
        evaluateNode(ctx, say, results.node, ct.value, log, fromConfigMap ?? fromFlags);
      },
      finish() {
        if (notLoaded.length) say('notLoaded', { severity: 'info', target: { kind: 'Cluster', name: 'cluster' }, evidence: { nodes: notLoaded } }, { nodes: notLoaded });
      },
    };
  },
});

type Say = Reporter<typeof rules>;

function evaluateNode(ctx: CheckContext, say: Say, node: string, ct: Extract<Conntrack, { loaded: true }>, log: KernelLog | undefined, kp: KubeProxyConntrack | undefined): void {
  const last = ct.samples.at(-1)!;
  const first = ct.samples[0]!;
  const peak = Math.max(...ct.samples.map((s) => s.count));
  const fill = last.max > 0 ? Math.round((peak / last.max) * 1000) / 10 : 0;
  const rates = changes(first, last, ct.samples.length, ct.intervalSeconds);
  const fullLines = (log?.lines ?? []).filter((l) => conntrackFullLine(l) && (log!.windowSeconds || inWindow(l, ctx.now, KERNEL_LOG_WINDOW_SECONDS)));
  const table: Table = { node, last, peak, fill, cpus: ct.cpus, intervalSeconds: ct.intervalSeconds, rates, kubeProxy: kp };
  const target = { kind: 'Node', name: node };
  const evidence = {
    count: last.count, peakCount: peak, max: last.max, fillPercent: fill, buckets: last.buckets, cpus: ct.cpus,
    intervalSeconds: ct.samples.length > 1 ? ct.intervalSeconds : 0,
    counters: counterEvidence(rates),
    kubeProxy: kp ? { ...kp, resultingMax: ct.cpus ? kubeProxyMax(kp, ct.cpus) : undefined } : undefined,
    kernelLog: fullLines.length ? fullLines.slice(-5).map((l) => l.text) : undefined,
  };
  const warnAt = Number(ctx.options.warningPercent);
  const critAt = Number(ctx.options.criticalPercent);

  const dropped = rates.drop?.delta ?? 0;
  const evicted = rates.earlyDrop?.delta ?? 0;
  if (dropped > 0 || evicted > 0) {
    say('tableFull', { severity: 'critical', target, evidence }, table);
    return;
  }
  if (fill >= warnAt) {
    const critical = fill >= critAt;
    say('tableNearlyFull', { severity: critical ? 'critical' : 'warning', target, evidence }, { ...table, warnAt, reached: critical ? critAt : warnAt });
  } else if (fullLines.length) {
    say('tableFullLogged', { severity: 'warning', target, evidence }, { ...table, lines: fullLines });
  }
  const failed = rates.insertFailed?.delta ?? 0;
  if (failed > 0) say('insertFailed', { severity: 'warning', target, evidence }, table);
}

function changes(first: ConntrackSample, last: ConntrackSample, samples: number, seconds: number): Rates {
  const c = (k: 'drop' | 'earlyDrop' | 'insertFailed') => counterChange(first.stats?.[k], last.stats?.[k], samples, seconds);
  return { drop: c('drop'), earlyDrop: c('earlyDrop'), insertFailed: c('insertFailed') };
}

function counterEvidence(r: Rates): Record<string, { sinceBoot: number; delta?: number; perSecond?: number; reset?: true }> {
  const out: Record<string, { sinceBoot: number; delta?: number; perSecond?: number; reset?: true }> = {};
  for (const [k, v] of Object.entries(r)) {
    if (!v) continue;
    out[k] = { sinceBoot: v.total, ...(v.delta !== undefined ? { delta: v.delta } : {}),
      ...(v.perSecond !== undefined ? { perSecond: round(v.perSecond, 2) } : {}), ...(v.reset ? { reset: true as const } : {}) };
  }
  return out;
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
