// The rules of cpu-throttling-kernel and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';
import { formatKernel, type KernelRelease } from './kernel.js';

/** A pod with CPU limits whose pod cgroup has no quota, so the pod cgroup cannot show the bug. */
export interface NotJudged {
  pod: string;
  containersWithoutCpuLimit: string[];
  cgroup: string;
}

export interface Throttled {
  pod: string;
  cgroupVersion: 1 | 2;
  throttledPercent: number;
  usagePercentOfQuota: number;
  quotaCores: number;
  periods: number;
  window: 'sample interval' | 'since the pod started';
  cgroup: string;
}

export interface Measurement {
  cgroupVersion: 1 | 2;
  /** Pods whose pod cgroup has a CFS quota: the ones judged. */
  podsMeasured: number;
  /** Pods with a CPU limit on every container whose cgroup has no quota: the kubelet does not enforce limits. */
  unenforced: number;
  /** Pods with some CPU limits but no pod-level quota: only their containers' cgroups are limited, and those are not read. */
  notJudged: NotJudged[];
  /** Pods with CPU limits for which no pod cgroup was found (started after the probe, or an unknown cgroup name). */
  notFound: number;
  throttledAtLowUsage: Throttled[];
  worstThrottledPercent: number;
}

const FIX = 'de53fd7aedb1 (CVE-2019-19922, mainline 5.4)';

interface NodeKernel { node: string; kernel: KernelRelease; measured?: Measurement }

export const rules = {
  throttledBelowLimit: {
    description: 'Pods are throttled far below their CPU limit on a kernel without the CFS quota fix.',
    message: (d: NodeKernel & { measured: Measurement; worst: Throttled; limits: { throttledRatio: number; lowUsageRatio: number } }): Wording => {
      const { worst, measured: m } = d;
      return {
        message: `Node ${d.node} (kernel ${formatKernel(d.kernel)}) throttles ${m.throttledAtLowUsage.length} pod${m.throttledAtLowUsage.length === 1 ? '' : 's'} far below ` +
          `their CPU limit: ${worst.pod} was throttled in ${worst.throttledPercent}% of periods while using ${worst.usagePercentOfQuota}% of its ` +
          `${worst.quotaCores}-CPU quota — the CFS quota bug fixed by ${FIX}`,
        expected: `throttled periods ≤ ${d.limits.throttledRatio * 100}% while usage is under ${d.limits.lowUsageRatio * 100}% of the quota (kernel ≥ 5.4 or a patched vendor kernel)`,
        actual: `${worst.throttledPercent}% of periods throttled at ${worst.usagePercentOfQuota}% of the quota (${worst.window})`,
        remediation: remediation(d.node, d.kernel, true, m, worst),
      };
    },
  },
  oldKernelWithCpuLimits: {
    description: 'A node runs a kernel older than 5.4 and pods with CPU limits.',
    message: (d: NodeKernel & { pods: number }): Wording => ({
      message: `Node ${d.node} runs kernel ${formatKernel(d.kernel)}, older than 5.4 which has the CFS quota throttling fix ${FIX}, and ${d.pods} ` +
        `running pod${d.pods === 1 ? '' : 's'} with CPU limits: possibly affected; verify the vendor backport` +
        (d.measured ? ` (${measuredSummary(d.measured)})` : ''),
      expected: 'kernel ≥ 5.4, or a vendor kernel with the CVE-2019-19922 backport',
      actual: d.kernel.raw,
      remediation: remediation(d.node, d.kernel, false, d.measured),
    }),
  },
};

function measuredSummary(m: Measurement): string {
  const notJudged = m.notJudged.length
    ? `${m.notJudged.length} pod${m.notJudged.length === 1 ? ' has' : 's have'} no quota on the pod cgroup (a container without a CPU limit) and ${m.notJudged.length === 1 ? 'was' : 'were'} not judged`
    : '';
  if (!m.podsMeasured) return `no pod cgroup with a CFS quota was measured${notJudged ? `: ${notJudged}` : ''}`;
  return `no pod is throttled at low usage right now: worst ${m.worstThrottledPercent}% of periods throttled in ${m.podsMeasured} pod cgroup${m.podsMeasured === 1 ? '' : 's'}` +
    (notJudged ? `; ${notJudged}` : '');
}

/** /sys/fs/cgroup/cpu is the cpu hierarchy on v1 whether or not cpuacct is mounted with it. */
function cgroupFile(version: 1 | 2, cgroup: string): string {
  return version === 2 ? `/sys/fs/cgroup/${cgroup}/cpu.stat` : `/sys/fs/cgroup/cpu/${cgroup}/cpu.stat`;
}

function remediation(node: string, k: KernelRelease, measured: boolean, m?: Measurement, worst?: Throttled) {
  const unjudged = m?.notJudged[0];
  const advisory = k.vendor ? `${k.vendor}'s advisory for CVE-2019-19922` : 'your distribution\'s advisory for CVE-2019-19922';
  return {
    summary: measured
      ? `Move ${node} to a kernel with the CFS fix (≥ 5.4 or a patched vendor kernel); meanwhile lift CPU limits of the throttled pods`
      : `Check whether kernel ${k.raw} on ${node} carries the CFS quota fix (CVE-2019-19922); if not, upgrade it`,
    steps: [
      `Look up ${k.raw} in ${advisory} (e.g. Ubuntu USN-4226-1, Debian DLA-2068-1, Oracle ELSA-2020-5845): a kernel that lists it is fixed.`,
      ...(worst ? [`On the node, watch ${worst.pod}: cat ${cgroupFile(worst.cgroupVersion, worst.cgroup)} (nr_throttled / nr_periods, twice a few seconds apart)`] :
        [`Measure it: kubectl checkup --checks cpu-throttling-kernel --nodes ${node} --sample-interval 10 (needs SSH to the node)`]),
      ...(unjudged ? [`${unjudged.pod}${m!.notJudged.length > 1 ? ` and ${m!.notJudged.length - 1} more pod${m!.notJudged.length > 2 ? 's' : ''}` : ''} ` +
        `have no pod-level quota; read the containers' own counters on the node: cat ${cgroupFile(m!.cgroupVersion, `${unjudged.cgroup}/*`)} (nr_throttled / nr_periods, twice a few seconds apart).`] : []),
      `Upgrade: kubectl cordon ${node} && kubectl drain ${node} --ignore-daemonsets --delete-emptydir-data, install a kernel ≥ 5.4 (or the patched vendor kernel), reboot, kubectl uncordon ${node}.`,
      'Until then, remove resources.limits.cpu from latency-sensitive pods on this node (keep requests.cpu), or run them as Guaranteed pods with the kubelet\'s static CPU manager policy.',
    ],
  };
}
