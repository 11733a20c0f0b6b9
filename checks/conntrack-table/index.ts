// Upstream: Linux net/netfilter/nf_conntrack_core.c (__nf_conntrack_alloc: per-namespace count against
// the global nf_conntrack_max, early_drop, "table full, dropping packet"), nf_conntrack_standalone.c;
// kubernetes cmd/kube-proxy/app (getConntrackMax, setIntSysCtl), pkg/proxy/apis/config/v1alpha1/defaults.go; check-facts §14.
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import { defineCheck, optional, type CheckContext, type FindingInput, type Severity } from '../../src/check.js';
import {
  kubeProxyConntrackFromConfigMap, kubeProxyConntrackFromDaemonSet, kubeProxyMax, DEFAULT_MAX_PER_CORE, DEFAULT_MIN, type KubeProxyConntrack,
} from '../../src/kube/kube-proxy-config.js';
import { counterChange, type CounterChange } from '../../src/node/parsers/counters.js';
import { conntrackFullLine, inWindow } from '../../src/node/parsers/kernel-log.js';
import type { Conntrack, ConntrackSample } from '../../src/node/probes/conntrack.js';
import { KERNEL_LOG_WINDOW_SECONDS, type KernelLog } from '../../src/node/probes/kernelLog.js';

const SCOPE = 'These are the host network namespace\'s entries (NAT for Services, hostNetwork pods, node traffic); each pod namespace ' +
  'has its own count, checked against the same global nf_conntrack_max.';

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
  rules: {
    tableNearlyFull: { description: 'A node\'s conntrack table is at least 75 % full (critical at 95 %).' },
    tableFull: { description: 'The conntrack table is full and new flows are being dropped (drop/early_drop rising).' },
    insertFailed: { description: 'Conntrack inserts fail (insert_failed rising): the DNS/UDP race, not a full table.' },
    tableFullLogged: { description: 'The kernel logged "nf_conntrack: table full, dropping packet" within the last hour.' },
    notLoaded: { description: 'The conntrack module is not loaded on some nodes: nothing to judge there.' },
  },
  needs: {
    api: ['Node', { kind: 'ConfigMap', optional: true, allNamespaces: true }, { kind: 'DaemonSet', optional: true, allNamespaces: true }],
    probes: ['conntrack', ...optional('kernelLog')],
  },
  create(ctx) {
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
        evaluateNode(ctx, results.node, ct.value, log, fromConfigMap ?? fromFlags);
      },
      finish() {
        if (!notLoaded.length) return;
        ctx.report({
          rule: 'notLoaded',
          severity: 'info',
          target: { kind: 'Cluster', name: 'cluster' },
          message: `nf_conntrack is not loaded on ${notLoaded.join(', ')}: nothing tracks connections there, so there is no table to fill ` +
            '(a kube-proxy-free data plane such as Cilium with its own BPF connection table is not judged by this check).',
          evidence: { nodes: notLoaded },
          remediation: { summary: 'Nothing to do' },
        });
      },
    };
  },
});

type Rates = { drop?: CounterChange; earlyDrop?: CounterChange; insertFailed?: CounterChange };

function evaluateNode(ctx: CheckContext, node: string, ct: Extract<Conntrack, { loaded: true }>, log: KernelLog | undefined, kp: KubeProxyConntrack | undefined): void {
  const last = ct.samples.at(-1)!;
  const first = ct.samples[0]!;
  const peak = Math.max(...ct.samples.map((s) => s.count));
  const fill = last.max > 0 ? Math.round((peak / last.max) * 1000) / 10 : 0;
  const rates = changes(first, last, ct.samples.length, ct.intervalSeconds);
  const fullLines = (log?.lines ?? []).filter((l) => conntrackFullLine(l) && (log!.windowSeconds || inWindow(l, ctx.now, KERNEL_LOG_WINDOW_SECONDS)));
  const fix = remedy(node, last, peak, ct.cpus, kp);
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
    const parts = [
      dropped > 0 ? `${dropped} packets dropped because the table was full (drop, ${rate(rates.drop!)})` : '',
      evicted > 0 ? `${evicted} unreplied entries evicted to make room (early_drop, ${rate(rates.earlyDrop!)}) — new flows are pushing out others` : '',
    ].filter(Boolean);
    ctx.report({
      rule: 'tableFull',
      severity: 'critical',
      target: { kind: 'Node', name: node },
      message: `${node}: the conntrack table is full now — in the ${fmt(ct.intervalSeconds)} s between two samples, ${parts.join('; ')}. ` +
        `${peak} of ${last.max} entries (${fill} %). Dropped packets surface as connect timeouts, NoRouteToHost-like errors and DNS failures that look like ARP or network faults. ${SCOPE}`,
      evidence, expected: 'no conntrack drops or evictions between the samples', actual: parts.join('; '), remediation: fix,
    });
    return;
  }
  if (fill >= warnAt) {
    const severity: Severity = fill >= critAt ? 'critical' : 'warning';
    ctx.report({
      rule: 'tableNearlyFull',
      severity,
      target: { kind: 'Node', name: node },
      message: `${node}: the conntrack table holds ${peak} of ${last.max} entries (${fill} %${severity === 'critical' ? `, ≥ ${critAt} %` : `, ≥ ${warnAt} %`}); ` +
        `at 100 % the kernel drops new connections ("nf_conntrack: table full, dropping packet"). ${SCOPE}`,
      evidence, expected: `below ${warnAt} % of nf_conntrack_max`, actual: `${fill} % (${peak}/${last.max})`, remediation: fix,
    });
  } else if (fullLines.length) {
    ctx.report({
      rule: 'tableFullLogged',
      severity: 'warning',
      target: { kind: 'Node', name: node },
      message: `${node}: the kernel logged "nf_conntrack: table full, dropping packet" ${fullLines.length} time${fullLines.length === 1 ? '' : 's'} within the last hour; ` +
        `the table is at ${fill} % now, so it filled up in a burst (the line is rate-limited: one line can stand for many drops). ${SCOPE}`,
      evidence, expected: 'no table-full messages', actual: fullLines.at(-1)!.text, remediation: fix,
    });
  }
  const failed = rates.insertFailed?.delta ?? 0;
  if (failed > 0) {
    ctx.report({
      rule: 'insertFailed',
      severity: 'warning',
      target: { kind: 'Node', name: node },
      message: `${node}: ${failed} conntrack inserts failed in ${fmt(ct.intervalSeconds)} s (insert_failed, ${rate(rates.insertFailed!)}) with the table at ${fill} %: ` +
        'two packets of the same new flow raced (classically the A and AAAA DNS queries a resolver sends from one socket), and one was dropped — ' +
        'the 5-second DNS timeouts. This is not a full table; a bigger table does not help.',
      evidence, expected: 'no failed inserts', actual: `${failed} insert_failed`,
      remediation: { summary: `Stop DNS conntrack races on ${node}`, steps: [
        'Run NodeLocal DNSCache (node-local-dns), which talks to the cluster DNS over TCP and avoids the UDP race.',
        'Or in pod specs: dnsConfig.options [{name: single-request-reopen}] (glibc) / use-vc; musl (Alpine) ignores these — prefer NodeLocal DNSCache there.',
        'Kernels ≥ 5.0 resolve most of these clashes (clashres counter); upgrade old node kernels.',
      ] },
    });
  }
}

function changes(first: ConntrackSample, last: ConntrackSample, samples: number, seconds: number): Rates {
  const c = (k: 'drop' | 'earlyDrop' | 'insertFailed') => counterChange(first.stats?.[k], last.stats?.[k], samples, seconds);
  return { drop: c('drop'), earlyDrop: c('earlyDrop'), insertFailed: c('insertFailed') };
}

function remedy(node: string, s: ConntrackSample, peak: number, cpus: number | undefined, kp: KubeProxyConntrack | undefined): FindingInput['remediation'] {
  // Room for twice the peak at the warning mark, never less than double today's limit.
  const target = Math.max(s.max * 2, Math.ceil((peak * 2) / 0.75));
  const perCore = cpus ? Math.ceil(target / cpus / 1024) * 1024 : undefined;
  const memMiB = Math.ceil((target * 320) / 1024 / 1024);
  const steps: string[] = [];
  steps.push(`Find what fills it on ${node}: \`conntrack -S\` and \`conntrack -L -o extended | awk '{print $3, $4}' | sort | uniq -c | sort -rn | head\` ` +
    '(by protocol and state); many TIME_WAIT/CLOSE or UNREPLIED UDP entries point at a client opening a connection per request or a scan.');
  if (kp && (kp.maxPerCore ?? DEFAULT_MAX_PER_CORE) > 0) {
    const now = cpus ? kubeProxyMax(kp, cpus) : undefined;
    steps.push(`Raise it where it sticks: kube-proxy sets nf_conntrack_max when it starts to max(maxPerCore × CPUs, min) — from ${kp.source}: ` +
      `maxPerCore ${kp.maxPerCore ?? `${DEFAULT_MAX_PER_CORE} (default)`}, min ${kp.min ?? `${DEFAULT_MIN} (default)`}` +
      `${now !== undefined ? `, ${now} on this ${cpus}-CPU node` : ''}. ` +
      `Set conntrack.maxPerCore: ${perCore ?? '<target ÷ CPUs>'} (≈ ${target} entries${cpus ? ` on ${cpus} CPUs` : ''}) there, then ` +
      '`kubectl -n kube-system rollout restart daemonset kube-proxy`. A sysctl set by hand is rewritten by the next kube-proxy start and lost at reboot.');
    if (now !== undefined && now !== s.max) {
      steps.push(`Note: this node's nf_conntrack_max (${s.max}) is not what kube-proxy computes (${now}): someone set it by hand or kube-proxy runs with other flags — it will not survive a kube-proxy restart.`);
    }
  } else if (kp) {
    steps.push(`kube-proxy leaves the sysctl alone here (maxPerCore 0 in ${kp.source}): set it on the node — ` +
      `\`echo 'net.netfilter.nf_conntrack_max = ${target}' > /etc/sysctl.d/90-conntrack.conf && sysctl --system\` — and in the node image, so new nodes get it.`);
  } else {
    steps.push('No kube-proxy configuration was found (kube-proxy-free data plane, managed add-on, or ConfigMaps not readable): whoever owns the sysctl must raise it — ' +
      `kube-proxy's conntrack.maxPerCore/min if it runs, else \`net.netfilter.nf_conntrack_max = ${target}\` in /etc/sysctl.d and the node image.`);
  }
  steps.push(`Memory: each entry takes about 300 bytes of kernel memory (≈ ${memMiB} MiB at ${target}); kube-proxy also sets the hash size to max/4. ` +
    'Shorter timeouts free entries sooner: conntrack.tcpEstablishedTimeout (default 24h) and tcpCloseWaitTimeout (1h) in the same config.');
  return { summary: `Give the conntrack table on ${node} room (kube-proxy conntrack.maxPerCore), and find what fills it`, steps };
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
const fmt = (n: number) => String(round(n, 1));
const rate = (c: CounterChange) => `${round(c.perSecond ?? 0, 2)}/s`;
