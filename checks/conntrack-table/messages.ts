// The rules of conntrack-table and their words; index.ts decides, this file speaks.
import type { Remediation, Wording } from '../../src/check.js';
import { kubeProxyMax, DEFAULT_MAX_PER_CORE, DEFAULT_MIN, type KubeProxyConntrack } from '../../src/kube/kube-proxy-config.js';
import type { CounterChange } from '../../src/node/parsers/counters.js';
import type { ConntrackSample } from '../../src/node/probes/conntrack.js';
import type { KernelLog } from '../../src/node/probes/kernelLog.js';

const SCOPE = 'These are the host network namespace\'s entries (NAT for Services, hostNetwork pods, node traffic); each pod namespace ' +
  'has its own count, checked against the same global nf_conntrack_max.';

/** The /proc/net/stat/nf_conntrack counters between the first and the last sample. */
export type Rates = { drop?: CounterChange; earlyDrop?: CounterChange; insertFailed?: CounterChange };

/** One node's table as sampled, and what the fix has to name. */
export interface Table {
  node: string;
  /** The last sample (its nf_conntrack_max is the limit). */
  last: ConntrackSample;
  /** The highest count of all samples. */
  peak: number;
  /** peak / max in percent, one decimal. */
  fill: number;
  cpus?: number;
  intervalSeconds: number;
  rates: Rates;
  kubeProxy?: KubeProxyConntrack;
}

export const rules = {
  tableNearlyFull: {
    description: 'A node\'s conntrack table is at least 75 % full (critical at 95 %).',
    message: (t: Table & { warnAt: number; reached: number }): Wording => ({
      message: `${t.node}: the conntrack table holds ${t.peak} of ${t.last.max} entries (${t.fill} %, ≥ ${t.reached} %); ` +
        `at 100 % the kernel drops new connections ("nf_conntrack: table full, dropping packet"). ${SCOPE}`,
      expected: `below ${t.warnAt} % of nf_conntrack_max`, actual: `${t.fill} % (${t.peak}/${t.last.max})`, remediation: roomRemediation(t),
    }),
  },
  tableFull: {
    description: 'The conntrack table is full and new flows are being dropped (drop/early_drop rising).',
    message: (t: Table): Wording => {
      const dropped = t.rates.drop?.delta ?? 0;
      const evicted = t.rates.earlyDrop?.delta ?? 0;
      const parts = [
        dropped > 0 ? `${dropped} packets dropped because the table was full (drop, ${rate(t.rates.drop!)})` : '',
        evicted > 0 ? `${evicted} unreplied entries evicted to make room (early_drop, ${rate(t.rates.earlyDrop!)}) — new flows are pushing out others` : '',
      ].filter(Boolean);
      return {
        message: `${t.node}: the conntrack table is full now — in the ${fmt(t.intervalSeconds)} s between two samples, ${parts.join('; ')}. ` +
          `${t.peak} of ${t.last.max} entries (${t.fill} %). Dropped packets surface as connect timeouts, NoRouteToHost-like errors and DNS failures that look like ARP or network faults. ${SCOPE}`,
        expected: 'no conntrack drops or evictions between the samples', actual: parts.join('; '), remediation: roomRemediation(t),
      };
    },
  },
  insertFailed: {
    description: 'Conntrack inserts fail (insert_failed rising): the DNS/UDP race, not a full table.',
    message: (t: Table): Wording => {
      const failed = t.rates.insertFailed?.delta ?? 0;
      return {
        message: `${t.node}: ${failed} conntrack inserts failed in ${fmt(t.intervalSeconds)} s (insert_failed, ${rate(t.rates.insertFailed!)}) with the table at ${t.fill} %: ` +
          'two packets of the same new flow raced (classically the A and AAAA DNS queries a resolver sends from one socket), and one was dropped — ' +
          'the 5-second DNS timeouts. This is not a full table; a bigger table does not help.',
        expected: 'no failed inserts', actual: `${failed} insert_failed`,
        remediation: { summary: `Stop DNS conntrack races on ${t.node}`, steps: [
          'Run NodeLocal DNSCache (node-local-dns), which talks to the cluster DNS over TCP and avoids the UDP race.',
          'Or in pod specs: dnsConfig.options [{name: single-request-reopen}] (glibc) / use-vc; musl (Alpine) ignores these — prefer NodeLocal DNSCache there.',
          'Kernels ≥ 5.0 resolve most of these clashes (clashres counter); upgrade old node kernels.',
        ] },
      };
    },
  },
  tableFullLogged: {
    description: 'The kernel logged "nf_conntrack: table full, dropping packet" within the last hour.',
    message: (t: Table & { lines: KernelLog['lines'] }): Wording => ({
      message: `${t.node}: the kernel logged "nf_conntrack: table full, dropping packet" ${t.lines.length} time${t.lines.length === 1 ? '' : 's'} within the last hour; ` +
        `the table is at ${t.fill} % now, so it filled up in a burst (the line is rate-limited: one line can stand for many drops). ${SCOPE}`,
      expected: 'no table-full messages', actual: t.lines.at(-1)!.text, remediation: roomRemediation(t),
    }),
  },
  notLoaded: {
    description: 'The conntrack module is not loaded on some nodes: nothing to judge there.',
    message: ({ nodes }: { nodes: string[] }): Wording => ({
      message: `nf_conntrack is not loaded on ${nodes.join(', ')}: nothing tracks connections there, so there is no table to fill ` +
        '(a kube-proxy-free data plane such as Cilium with its own BPF connection table is not judged by this check).',
      remediation: { summary: 'Nothing to do' },
    }),
  },
};

/** How to give the table room where the setting sticks (kube-proxy rewrites the sysctl when it starts), and find what fills it. */
function roomRemediation({ node, last: s, peak, cpus, kubeProxy: kp }: Table): Remediation {
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

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
const fmt = (n: number) => String(round(n, 1));
const rate = (c: CounterChange) => `${round(c.perSecond ?? 0, 2)}/s`;
