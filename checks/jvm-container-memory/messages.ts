// The rules of jvm-container-memory and their words; index.ts decides, this file speaks.
import type { Target, Wording } from '../../src/check.js';
import { formatBytes } from '../../src/kube/quantity.js';
import { DEFAULT_MAX_RAM_PERCENTAGE } from './jvm-flags.js';

/** The heap share of the limit to suggest: room for metaspace, threads, code cache and buffers. */
const SUGGESTED_PERCENT = 75;
const MiB = 1024 * 1024;

/** The container a finding is about. */
export interface Subject {
  target: Target & { container: string };
  /** Pods of it that were OOMKilled. */
  oomPods: number;
  /** The container already sets JAVA_TOOL_OPTIONS (then `set env` would replace it). */
  javaToolOptions: boolean;
}

const where = (e: Subject) => `${e.target.kind} ${e.target.namespace}/${e.target.name}, container ${e.target.container}`;
const oomText = (e: Subject) => (e.oomPods ? `; ${e.oomPods} pod${e.oomPods === 1 ? ' was' : 's were'} OOMKilled` : '');

export const rules = {
  containerSupportDisabled: {
    description: 'The JVM is told to ignore the container\'s memory limit.',
    message: (d: { subject: Subject; flag: string; source: string; limit?: number; boundedHeap: boolean }): Wording => ({
      message: `${where(d.subject)}: ${d.flag} (${d.source}) makes the JVM ignore the container's ${d.limit !== undefined ? formatBytes(d.limit) + ' ' : ''}memory limit ` +
        `and CPU quota and size ${d.boundedHeap ? 'GC and thread pools' : 'its heap, GC and thread pools'} from the whole node${oomText(d.subject)}`,
      expected: '-XX:+UseContainerSupport (the default)',
      actual: d.flag,
      remediation: {
        summary: `Remove ${d.flag} from ${d.source} of ${d.subject.target.container}`,
        steps: [editStep(d.subject, d.source, `remove ${d.flag}`), ...restartSteps(d.subject, d.source)],
      },
    }),
  },
  heapNearLimit: {
    description: 'The maximum heap is at or near the container memory limit.',
    message: (d: { subject: Subject; heapBytes: number; basis: string; flag: { flag: string; source: string }; limit: number; warnRatio: number }): Wording => {
      const e = d.subject;
      const ratio = d.heapBytes / d.limit;
      const target = Math.floor((d.limit * SUGGESTED_PERCENT) / 100 / MiB);
      const raised = Math.ceil(d.heapBytes / (SUGGESTED_PERCENT / 100) / MiB);
      return {
        message: `${where(e)}: maximum heap ${formatBytes(d.heapBytes)} (${d.basis}, ${d.flag.source}) is ${Math.round(ratio * 100)}% of the ` +
          `${formatBytes(d.limit)} memory limit — ${ratio >= 1 ? 'the kernel OOM-kills the container before the heap is full' : `only ${formatBytes(d.limit - d.heapBytes)} is left for metaspace, thread stacks, code cache and direct buffers`}${oomText(e)}`,
        expected: `maximum heap ≤ ${Math.round(d.warnRatio * 100)}% of the limit (e.g. -Xmx${target}m or -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0)`,
        actual: `${d.basis} = ${formatBytes(d.heapBytes)}`,
        remediation: {
          summary: `Lower the heap of ${e.target.container} to -Xmx${target}m (${SUGGESTED_PERCENT}% of ${formatBytes(d.limit)}), or raise the memory limit to ${raised}Mi`,
          steps: [
            editStep(e, d.flag.source, `replace ${d.flag.flag} with -Xmx${target}m, or drop the heap flags and use -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 so the heap follows the limit`),
            ...restartSteps(e, d.flag.source),
            ...(e.target.kind === 'Pod' ? [] : [`Or raise the limit instead: kubectl -n ${e.target.namespace} set resources ${ref(e)} -c ${e.target.container} --limits=memory=${raised}Mi`]),
          ],
        },
      };
    },
  },
  heapSizingUnknown: {
    description: 'The heap size under the memory limit cannot be worked out from the spec.',
    message: (d: { subject: Subject; limit: number; reasons: string[] }): Wording => ({
      message: `${where(d.subject)}: heap sizing under the ${formatBytes(d.limit)} memory limit is unknown: ${d.reasons.join('; ')}${oomText(d.subject)}`,
      remediation: {
        summary: `Read the effective heap of ${d.subject.target.container} from the running JVM`,
        steps: [
          `kubectl -n ${d.subject.target.namespace} exec ${execRef(d.subject)} -c ${d.subject.target.container} -- java -XX:+PrintFlagsFinal -version | grep -E 'MaxHeapSize|MaxRAMPercentage|UseContainerSupport' (the same options apply to a new java process; or jcmd 1 VM.flags)`,
          'If ConfigMaps could not be read, re-run with permission to list configmaps in this namespace.',
        ],
      },
    }),
  },
  defaultHeapSizing: {
    description: 'A memory limit with no heap sizing: the JVM default share of the limit applies.',
    message: (d: { subject: Subject; limit: number }): Wording => {
      const e = d.subject;
      const defaultHeap = Math.floor((d.limit * DEFAULT_MAX_RAM_PERCENTAGE) / 100);
      return {
        message: `${where(e)}: ${formatBytes(d.limit)} memory limit and no heap sizing in the spec: a container-aware JVM uses ${DEFAULT_MAX_RAM_PERCENTAGE}% ` +
          `(${formatBytes(defaultHeap)}); JDKs before 8u191 (or before 8u372 / 11.0.16 on cgroup v2 nodes) size it from the node's memory instead${oomText(e)}`,
        expected: `-XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 (or -Xmx) so the heap is sized for the limit`,
        actual: 'no -Xmx, -XX:MaxHeapSize, -XX:MaxRAM or -XX:MaxRAMPercentage',
        remediation: {
          summary: `Size the heap of ${e.target.container} from its limit: -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 (${formatBytes(Math.floor((d.limit * SUGGESTED_PERCENT) / 100))} of ${formatBytes(d.limit)})`,
          steps: [
            `Check what the JVM sees: kubectl -n ${e.target.namespace} exec ${execRef(e)} -c ${e.target.container} -- java -XshowSettings:system -version (the image's entrypoint may already pass -Xmx)`,
            e.javaToolOptions || e.target.kind === 'Pod'
              ? `Add -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 to JAVA_TOOL_OPTIONS of ${e.target.container} in the manifest`
              : `kubectl -n ${e.target.namespace} set env ${ref(e)} -c ${e.target.container} JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0`,
            'Use a JDK ≥ 8u372, 11.0.16 or 17 on cgroup v2 nodes, and set the memory request equal to the limit for JVMs.',
          ],
        },
      };
    },
  },
  noMemoryLimit: {
    description: 'Java without a memory limit sizes its heap from the node\'s memory.',
    message: (d: { subject: Subject; request?: string }): Wording => {
      const e = d.subject;
      return {
        message: `${e.target.kind} ${e.target.namespace}/${e.target.name}, container ${e.target.container}: Java without a memory limit sizes its heap from the node's memory ` +
          `(${DEFAULT_MAX_RAM_PERCENTAGE}% of it) and can grow until the node runs short`,
        expected: 'a memory limit and a heap sized from it',
        actual: 'no memory limit',
        remediation: {
          summary: `Give ${e.target.container} a memory limit${d.request ? ` (e.g. equal to its ${d.request} request)` : ''} and -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0`,
          steps: e.target.kind === 'Pod' ? ['Set resources.limits.memory in the manifest and recreate the pod.'] : [
            `kubectl -n ${e.target.namespace} set resources ${ref(e)} -c ${e.target.container} --limits=memory=${d.request ?? '<size>'}`,
          ],
        },
      };
    },
  },
};

function ref(e: Subject): string {
  return `${e.target.kind.toLowerCase()}/${e.target.name}`;
}

function execRef(e: Subject): string {
  return e.target.kind === 'Pod' ? e.target.name : ref(e);
}

function editStep(e: Subject, source: string, change: string): string {
  const cm = /^ConfigMap (\S+) \(key (.+)\)$/.exec(source);
  if (cm) return `kubectl -n ${e.target.namespace} edit configmap ${cm[1]} → key ${cm[2]}: ${change}`;
  const where = source.startsWith('env ') ? `env ${source.slice(4)}` : source;
  return e.target.kind === 'Pod'
    ? `In the manifest of pod ${e.target.name}, ${where} of container ${e.target.container}: ${change}; then recreate the pod`
    : `kubectl -n ${e.target.namespace} edit ${ref(e)} → container ${e.target.container}, ${where}: ${change}`;
}

function restartSteps(e: Subject, source: string): string[] {
  // Pods read ConfigMap-sourced env only at start; editing the template restarts them anyway.
  if (!source.startsWith('ConfigMap ') || e.target.kind === 'Pod') return [];
  return e.target.kind === 'ReplicaSet'
    ? [`Delete the pods of replicaset/${e.target.name} one at a time so they restart with the new value`]
    : [`kubectl -n ${e.target.namespace} rollout restart ${ref(e)}`];
}
