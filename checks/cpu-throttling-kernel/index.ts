// Upstream: https://github.com/kubernetes/kubernetes/issues/67577 (fix: Linux de53fd7aedb1, CVE-2019-19922)
import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import { defineCheck, optional, reporter, type NodeProbeResults } from '../../src/check.js';
import { quantityMilliValue } from '../../src/kube/quantity.js';
import type { CgroupCpu, CpuCounters } from '../../src/node/probes/cgroupCpuStat.js';
import { hasMainlineCfsFix, parseKernelRelease } from './kernel.js';
import { rules, type Measurement } from './messages.js';

interface LimitedPod {
  namespace: string;
  name: string;
  /** Every container, init containers and native sidecars included, has a CPU limit: the kubelet must put a CFS quota on the pod cgroup. */
  podQuota: boolean;
  /** Containers (init ones included) without a CPU limit: the reason the pod cgroup may have no quota. */
  unlimited: string[];
}

interface NodeState {
  name: string;
  nodeInfoKernel?: string;
  /** The reported kernel has the fix: its pods need not be kept (judged once per node, not per pod). */
  fixedByNodeInfo: boolean;
  windows: boolean;
  limitedPods: Map<string, LimitedPod>;
  unameKernel?: string;
  measured?: Measurement;
}

/** Enough periods for a ratio to mean something (2 s of activity at the default 100 ms period). */
const MIN_PERIODS = 20;
/** The lines a pod cgroup is judged by (the check's settings, from the config file). */
interface Limits { throttledRatio: number; lowUsageRatio: number }
const EXAMPLES = 5;

export default defineCheck({
  id: 'cpu-throttling-kernel',
  title: 'Nodes running CPU-limited pods have the CFS quota throttling fix',
  severity: 'critical',
  description:
    'Finds nodes on Linux kernels older than 5.4 — the release with de53fd7aedb1 (CVE-2019-19922), which stopped ' +
    'CFS quotas from throttling multi-threaded apps that use a fraction of their CPU limit — that run pods with CPU ' +
    'limits (warning: possibly affected, verify the vendor backport). With SSH, the pod cgroups\' cpu.stat decide: ' +
    'a high share of throttled periods at low CPU usage is the bug at work (critical). Runs from the API alone when ' +
    'nodes cannot be reached.',
  rules,
  settings: {
    throttledPercent: { type: 'number', default: 25, min: 0, max: 100, description: 'Share of periods throttled above which a pod counts as throttled' },
    lowUsagePercent: { type: 'number', default: 50, min: 0, max: 100, description: 'CPU use as a share of the quota below which such throttling is the kernel bug, not a busy pod' },
  },
  needs: { api: ['Node', 'Pod'], probes: optional('uname', 'cgroupCpuStat') },
  create(ctx) {
    const say = reporter(ctx, rules);
    const limits: Limits = { throttledRatio: Number(ctx.options.throttledPercent) / 100, lowUsageRatio: Number(ctx.options.lowUsagePercent) / 100 };
    const nodes = new Map<string, NodeState>();

    return {
      Node(node: V1Node) {
        const name = node.metadata?.name;
        if (!name) return;
        const info = node.status?.nodeInfo;
        const k = parseKernelRelease(info?.kernelVersion);
        nodes.set(name, {
          name, nodeInfoKernel: info?.kernelVersion, fixedByNodeInfo: k !== undefined && hasMainlineCfsFix(k),
          windows: info?.operatingSystem === 'windows', limitedPods: new Map(),
        });
      },

      Pod(pod: V1Pod) {
        const node = nodes.get(pod.spec?.nodeName ?? '');
        // Pods are kept only for nodes that may be affected.
        if (!node || node.windows || node.fixedByNodeInfo || pod.status?.phase !== 'Running') return;
        const regular = pod.spec?.containers ?? [];
        const init = pod.spec?.initContainers ?? [];
        // A finished init container's limit throttles nothing now: only containers that keep running count.
        const running = [...regular, ...init.filter((c) => c.restartPolicy === 'Always')];
        const podLevel = (quantityMilliValue(pod.spec?.resources?.limits?.cpu) ?? 0) > 0;
        if (!podLevel && !running.some(hasCpuLimit)) return;
        const unlimited = [...regular, ...init].filter((c) => !hasCpuLimit(c)).map((c) => c.name);
        node.limitedPods.set(cgroupKey(pod), {
          namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '', podQuota: unlimited.length === 0, unlimited,
        });
      },

      NodeProbes(results: NodeProbeResults) {
        const node = nodes.get(results.node);
        if (!node) return;
        const uname = results.probes.uname;
        if (uname?.ok) node.unameKernel = uname.value.release;
        const cg = results.probes.cgroupCpuStat;
        if (cg?.ok) node.measured = measure(node, cg.value.version, cg.value.pods, limits);
      },

      finish() {
        for (const node of nodes.values()) evaluate(node);
      },
    };

    function evaluate(node: NodeState) {
      if (node.windows) return;
      const kernelText = node.unameKernel ?? node.nodeInfoKernel;
      const k = parseKernelRelease(kernelText);
      if (!k || hasMainlineCfsFix(k) || !node.limitedPods.size) return;
      const m = node.measured;
      // cpuCFSQuota: false — pods that must have a quota have none, and no pod cgroup has one: no quota, no bug.
      if (m && m.unenforced > 0 && m.podsMeasured === 0) return;
      const pods = [...node.limitedPods.values()];
      const evidence = {
        kernel: k.raw,
        kernelSource: node.unameKernel ? 'uname -r' : 'node.status.nodeInfo.kernelVersion',
        ...(k.vendor ? { vendor: k.vendor } : {}),
        podsWithCpuLimits: pods.length,
        examplePods: pods.slice(0, EXAMPLES).map((p) => `${p.namespace}/${p.name}`),
        ...(m ? { cgroup: cgroupEvidence(m) } : {}),
      };
      if (m?.throttledAtLowUsage.length) {
        say('throttledBelowLimit', { severity: 'critical', target: { kind: 'Node', name: node.name }, evidence },
          { node: node.name, kernel: k, measured: m, worst: m.throttledAtLowUsage[0]!, limits });
        return;
      }
      say('oldKernelWithCpuLimits', { severity: 'warning', target: { kind: 'Node', name: node.name }, evidence }, { node: node.name, kernel: k, measured: m, pods: pods.length });
    }
  },
});

function hasCpuLimit(c: V1Container): boolean {
  return (quantityMilliValue(c.resources?.limits?.cpu) ?? 0) > 0;
}

/**
 * The UID the kubelet names the pod cgroup after. A static pod's is the hash of its manifest
 * (kubelet pkg/kubelet/config/common.go applyDefaults sets UID and kubernetes.io/config.hash to it);
 * its mirror pod in the API (kubernetes.io/config.mirror, same hash) has a UID of its own.
 */
function cgroupKey(pod: V1Pod): string {
  const a = pod.metadata?.annotations ?? {};
  const mirror = a['kubernetes.io/config.mirror'];
  const uid = mirror !== undefined ? a['kubernetes.io/config.hash'] || mirror : pod.metadata?.uid;
  return uid ? uid.toLowerCase() : `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function measure(node: NodeState, version: 1 | 2, cgroups: CgroupCpu[], limits: Limits): Measurement {
  const out: Measurement = { cgroupVersion: version, podsMeasured: 0, unenforced: 0, notJudged: [], notFound: 0, throttledAtLowUsage: [], worstThrottledPercent: 0 };
  const seen = new Set<string>();
  for (const cg of cgroups) {
    const pod = cg.podUid ? node.limitedPods.get(cg.podUid) : undefined;
    if (!pod) continue;
    seen.add(cg.podUid!);
    // Only the pod cgroup is read. The kubelet gives it a quota only when every container, init containers
    // and native sidecars included, has a CPU limit (ResourceConfigForPod, pkg/kubelet/cm/helpers_linux.go;
    // init containers counted since kubernetes#103107, merged June 2021 for v1.22). Otherwise the limited containers are throttled
    // in their own cgroups, which this probe does not read: such a pod cannot be judged here, and its missing
    // quota says nothing about cpuCFSQuota. A pod cgroup that does have a quota is judged by it whatever the
    // spec suggests: kubelets before 1.22 ignored init containers, sidecar-aware ones (component-helpers
    // AggregateContainerLimits) count an init container together with the limits of the sidecars before it,
    // and pod-level resources (spec.resources) set the quota on their own.
    if (cg.quotaCores === null) {
      if (pod.podQuota) out.unenforced++;
      else out.notJudged.push({ pod: `${pod.namespace}/${pod.name}`, containersWithoutCpuLimit: pod.unlimited, cgroup: cg.path });
      continue;
    }
    if (cg.quotaCores === undefined) continue;
    out.podsMeasured++;
    const window = cg.delta && cg.delta.periods >= MIN_PERIODS ? { c: cg.delta, name: 'sample interval' as const }
      : cg.total.periods >= MIN_PERIODS ? { c: cg.total, name: 'since the pod started' as const } : undefined;
    if (!window || !cg.quotaCores || !cg.periodSeconds) continue;
    const throttled = window.c.throttledPeriods / window.c.periods;
    out.worstThrottledPercent = Math.max(out.worstThrottledPercent, percent(throttled));
    const usage = usageRatio(window.c, cg.quotaCores, cg.periodSeconds);
    if (usage === undefined || throttled <= limits.throttledRatio || usage >= limits.lowUsageRatio) continue;
    out.throttledAtLowUsage.push({
      pod: `${pod.namespace}/${pod.name}`, cgroupVersion: version, throttledPercent: percent(throttled), usagePercentOfQuota: percent(usage),
      quotaCores: cg.quotaCores, periods: window.c.periods, window: window.name, cgroup: cg.path,
    });
  }
  out.notFound = [...node.limitedPods.keys()].filter((k) => !seen.has(k)).length;
  out.throttledAtLowUsage.sort((a, b) => b.throttledPercent - a.throttledPercent);
  return out;
}

function cgroupEvidence(m: Measurement) {
  return {
    version: m.cgroupVersion, podsMeasured: m.podsMeasured, worstThrottledPercent: m.worstThrottledPercent, throttledAtLowUsage: m.throttledAtLowUsage.slice(0, EXAMPLES),
    ...(m.notJudged.length ? {
      podsWithoutPodQuota: m.notJudged.length,
      podsWithoutPodQuotaExamples: m.notJudged.slice(0, EXAMPLES),
      podsWithoutPodQuotaNote: 'not every container (init containers and sidecars included) has a CPU limit, so the kubelet sets no quota on the pod cgroup; ' +
        'the limited containers are throttled in their own cgroups, which are not read: these pods are not judged',
    } : {}),
    ...(m.unenforced ? { podsWithUnenforcedLimits: m.unenforced } : {}),
    ...(m.notFound ? { podsWithoutCgroup: m.notFound } : {}),
  };
}

/** CPU used per active period against the quota of one period. */
function usageRatio(c: CpuCounters, quotaCores: number, periodSeconds: number): number | undefined {
  if (c.usageSeconds === undefined || c.periods === 0) return undefined;
  return c.usageSeconds / c.periods / (quotaCores * periodSeconds);
}

function percent(ratio: number): number {
  return Math.round(ratio * 1000) / 10;
}
