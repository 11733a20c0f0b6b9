// Upstream: https://bugs.openjdk.org/browse/JDK-8146115 (container support, MaxRAMPercentage)
import type { V1ConfigMap, V1Container, V1DaemonSet, V1Deployment, V1Pod, V1PodSpec, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import { defineCheck, type Target } from '../../src/engine/types.js';
import { toMillis } from '../../src/kube/resources.js';
import { OwnerIndex, controllerOf } from '../../src/kube/owners.js';
import { formatBytes, quantityValue } from '../../src/kube/quantity.js';
import { javaSignal } from './java.js';
import { DEFAULT_MAX_RAM_PERCENTAGE, jvmTokens, maxHeap, type JvmSettings, type Setting } from './jvm-flags.js';
import { gatherOptions, isJavaEnv, type ConfigMapStore } from './options.js';

interface Entry {
  target: Target & { container: string };
  signal: string;
  settings: JvmSettings;
  /** Env var names set on the container (to say whether JAVA_TOOL_OPTIONS already exists). */
  envNames: Set<string>;
  templateLimit?: string | number;
  /** A running pod's limit wins: LimitRange defaults and VPA change pods, not templates. */
  podLimit?: string | number;
  memoryRequest?: string | number;
  autoSizing: boolean;
  oom: { pods: number; restarts: number; lastAt?: string };
}

/** Heap above this share of the limit leaves too little for metaspace, threads, code cache, buffers. */
const WARN_RATIO = 0.8;
const SUGGESTED_PERCENT = 75;
/** Elasticsearch ≥ 7.11 sizes its heap from the container limit in its own launcher. */
const AUTO_SIZING_IMAGE = /(^|\/)elasticsearch(:|@|$)/;
const MiB = 1024 * 1024;

export default defineCheck({
  id: 'jvm-container-memory',
  title: 'JVMs size their heap to fit the container memory limit',
  severity: 'critical',
  manifests: true,
  description:
    'Finds Java containers (by image, command line or Java env vars) and reads their heap flags from the command ' +
    'line, JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, _JAVA_OPTIONS, JAVA_OPTS and similar variables, resolving values ' +
    'from ConfigMaps when they can be read. Reports a heap at or above the memory limit (critical) or above 80 % of ' +
    'it (warning), -XX:-UseContainerSupport (critical), and a memory limit with no heap sizing (info; warning when ' +
    'the container has been OOMKilled). OOMKilled restarts are attached as evidence.',
  needs: { api: [{ kind: 'ConfigMap', optional: true }, 'Deployment', 'StatefulSet', 'DaemonSet', { kind: 'ReplicaSet', optional: true }, { kind: 'Pod', optional: true }] },
  create(ctx) {
    const configMaps: ConfigMapStore = new Map();
    /** Namespaces in which ConfigMaps were listed: every namespace has kube-root-ca.crt since 1.20. */
    const listed = new Set<string>();
    /** ReplicaSet → the Deployment that owns it (or the ReplicaSet itself when it has no owner). */
    const owners = new OwnerIndex();
    const entries = new Map<string, Entry>();

    return {
      ConfigMap(cm: V1ConfigMap) {
        const ns = cm.metadata?.namespace ?? 'default';
        listed.add(ns);
        const keys = new Map<string, string[]>();
        for (const [key, value] of Object.entries(cm.data ?? {})) keys.set(key, jvmTokens(value));
        configMaps.set(`${ns}/${cm.metadata?.name}`, keys);
      },
      Deployment: (d: V1Deployment) => addTemplate('Deployment', d),
      StatefulSet: (s: V1StatefulSet) => addTemplate('StatefulSet', s),
      DaemonSet: (d: V1DaemonSet) => addTemplate('DaemonSet', d),
      ReplicaSet(rs: V1ReplicaSet) {
        owners.add('ReplicaSet', rs);
        if (!controllerOf(rs.metadata)) addTemplate('ReplicaSet', rs);
      },
      Pod(pod: V1Pod) {
        const { kind, name, namespace } = owners.workloadOf(pod);
        const target: Target = { kind, name, namespace };
        if (target.kind === 'Job' || target.kind === 'CronJob') return; // batch JVMs are not judged
        if (target.kind === 'Pod') addSpec(target, pod.spec);
        recordPod(target, pod);
      },
      finish() {
        for (const e of entries.values()) evaluate(e);
      },
    };

    function addTemplate(kind: string, obj: { metadata?: { name?: string; namespace?: string }; spec?: { template?: { spec?: V1PodSpec } } }) {
      const name = obj.metadata?.name;
      if (name) addSpec({ kind, name, namespace: obj.metadata?.namespace ?? 'default' }, obj.spec?.template?.spec);
    }

    function addSpec(target: Target, spec: V1PodSpec | undefined) {
      for (const c of spec?.containers ?? []) {
        const opts = gatherOptions(c, target.namespace!, configMaps, listed.has(target.namespace!));
        const signal = javaSignal(c, isJavaEnv(opts.envNames));
        if (!signal) continue;
        entries.set(key(target, c.name), {
          target: { ...target, container: c.name }, signal, settings: opts.settings, envNames: opts.envNames,
          templateLimit: c.resources?.limits?.memory, memoryRequest: c.resources?.requests?.memory,
          autoSizing: AUTO_SIZING_IMAGE.test((c.image ?? '').replace(/^[^/]*\.[^/]*\//, '')),
          oom: { pods: 0, restarts: 0 },
        });
      }
    }

    function recordPod(target: Target, pod: V1Pod) {
      const byName = new Map<string, V1Container>((pod.spec?.containers ?? []).map((c) => [c.name, c]));
      for (const status of pod.status?.containerStatuses ?? []) {
        const e = entries.get(key(target, status.name));
        if (!e) continue;
        const limit = byName.get(status.name)?.resources?.limits?.memory;
        if (e.podLimit === undefined && limit !== undefined) e.podLimit = limit;
        const terminated = [status.lastState?.terminated, status.state?.terminated].filter((t) => t?.reason === 'OOMKilled');
        if (!terminated.length) continue;
        e.oom.pods++;
        e.oom.restarts += status.restartCount ?? 0;
        for (const t of terminated) {
          const at = t!.finishedAt as unknown as string | undefined;
          if (at && (toMillis(at) ?? 0) > (toMillis(e.oom.lastAt) ?? 0)) e.oom.lastAt = at;
        }
      }
    }

    function evaluate(e: Entry) {
      const limitText = e.podLimit ?? e.templateLimit;
      const limit = quantityValue(limitText);
      const s = e.settings;
      const heap = maxHeap(s, limit);
      const oomed = e.oom.pods > 0;
      const common = {
        javaSignal: e.signal,
        ...(limit !== undefined ? { memoryLimit: String(limitText), memoryLimitBytes: limit, memoryLimitSource: e.podLimit !== undefined ? 'pod' : 'template' } : {}),
        ...(oomed ? { oomKilled: { ...e.oom } } : {}),
      };
      const where = `${e.target.kind} ${e.target.namespace}/${e.target.name}, container ${e.target.container}`;
      const oomText = oomed ? `; ${e.oom.pods} pod${e.oom.pods === 1 ? ' was' : 's were'} OOMKilled` : '';

      const cs = s.containerSupport;
      if (cs && !cs.value) {
        const boundedHeap = heap.kind === 'sized' && s.maxHeap && limit !== undefined && heap.bytes <= limit * WARN_RATIO;
        ctx.report({
          severity: boundedHeap ? 'warning' : 'critical',
          target: e.target,
          message: `${where}: ${cs.flag} (${cs.source}) makes the JVM ignore the container's ${limit !== undefined ? formatBytes(limit) + ' ' : ''}memory limit ` +
            `and CPU quota and size ${boundedHeap ? 'GC and thread pools' : 'its heap, GC and thread pools'} from the whole node${oomText}`,
          evidence: { ...common, flags: [flagEvidence(cs)] },
          expected: '-XX:+UseContainerSupport (the default)',
          actual: cs.flag,
          remediation: {
            summary: `Remove ${cs.flag} from ${cs.source} of ${e.target.container}`,
            steps: [editStep(e, cs.source, `remove ${cs.flag}`), ...restartSteps(e, cs.source)],
          },
        });
        if (!s.maxHeap && !s.maxRam) return;
      }

      if (limit === undefined) {
        if (heap.kind === 'default') reportNoLimit(e, common);
        return;
      }
      if (heap.kind === 'sized') {
        const ratio = heap.bytes / limit;
        if (ratio <= WARN_RATIO) return;
        const critical = ratio >= 1;
        const target = Math.floor((limit * SUGGESTED_PERCENT) / 100 / MiB);
        const flag = heap.flags[0]!;
        ctx.report({
          severity: critical ? 'critical' : 'warning',
          target: e.target,
          message: `${where}: maximum heap ${formatBytes(heap.bytes)} (${heap.basis}, ${flag.source}) is ${Math.round(ratio * 100)}% of the ` +
            `${formatBytes(limit)} memory limit — ${critical ? 'the kernel OOM-kills the container before the heap is full' : `only ${formatBytes(limit - heap.bytes)} is left for metaspace, thread stacks, code cache and direct buffers`}${oomText}`,
          evidence: { ...common, maxHeapBytes: heap.bytes, heapPercentOfLimit: Math.round(ratio * 1000) / 10, flags: heap.flags.map(flagEvidence) },
          expected: `maximum heap ≤ ${Math.round(WARN_RATIO * 100)}% of the limit (e.g. -Xmx${target}m or -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0)`,
          actual: `${heap.basis} = ${formatBytes(heap.bytes)}`,
          remediation: {
            summary: `Lower the heap of ${e.target.container} to -Xmx${target}m (${SUGGESTED_PERCENT}% of ${formatBytes(limit)}), or raise the memory limit to ${Math.ceil(heap.bytes / (SUGGESTED_PERCENT / 100) / MiB)}Mi`,
            steps: [
              editStep(e, flag.source, `replace ${flag.flag} with -Xmx${target}m, or drop the heap flags and use -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 so the heap follows the limit`),
              ...restartSteps(e, flag.source),
              ...(e.target.kind === 'Pod' ? [] : [`Or raise the limit instead: kubectl -n ${e.target.namespace} set resources ${ref(e)} -c ${e.target.container} --limits=memory=${Math.ceil(heap.bytes / (SUGGESTED_PERCENT / 100) / MiB)}Mi`]),
            ],
          },
        });
        return;
      }
      if (heap.kind === 'unknown') {
        ctx.report({
          severity: oomed ? 'warning' : 'info',
          target: e.target,
          message: `${where}: heap sizing under the ${formatBytes(limit)} memory limit is unknown: ${heap.reasons.join('; ')}${oomText}`,
          evidence: { ...common, unknown: heap.reasons },
          remediation: {
            summary: `Read the effective heap of ${e.target.container} from the running JVM`,
            steps: [
              `kubectl -n ${e.target.namespace} exec ${execRef(e)} -c ${e.target.container} -- java -XX:+PrintFlagsFinal -version | grep -E 'MaxHeapSize|MaxRAMPercentage|UseContainerSupport' (the same options apply to a new java process; or jcmd 1 VM.flags)`,
              'If ConfigMaps could not be read, re-run with permission to list configmaps in this namespace.',
            ],
          },
        });
        return;
      }
      if (e.autoSizing) return;
      const defaultHeap = Math.floor((limit * DEFAULT_MAX_RAM_PERCENTAGE) / 100);
      const hasJto = e.envNames.has('JAVA_TOOL_OPTIONS');
      ctx.report({
        severity: oomed ? 'warning' : 'info',
        target: e.target,
        message: `${where}: ${formatBytes(limit)} memory limit and no heap sizing in the spec: a container-aware JVM uses ${DEFAULT_MAX_RAM_PERCENTAGE}% ` +
          `(${formatBytes(defaultHeap)}); JDKs before 8u191 (or before 8u372 / 11.0.16 on cgroup v2 nodes) size it from the node's memory instead${oomText}`,
        evidence: { ...common, defaultHeapBytes: defaultHeap, flags: [] },
        expected: `-XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 (or -Xmx) so the heap is sized for the limit`,
        actual: 'no -Xmx, -XX:MaxHeapSize, -XX:MaxRAM or -XX:MaxRAMPercentage',
        remediation: {
          summary: `Size the heap of ${e.target.container} from its limit: -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 (${formatBytes(Math.floor((limit * SUGGESTED_PERCENT) / 100))} of ${formatBytes(limit)})`,
          steps: [
            `Check what the JVM sees: kubectl -n ${e.target.namespace} exec ${execRef(e)} -c ${e.target.container} -- java -XshowSettings:system -version (the image's entrypoint may already pass -Xmx)`,
            hasJto || e.target.kind === 'Pod'
              ? `Add -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0 to JAVA_TOOL_OPTIONS of ${e.target.container} in the manifest`
              : `kubectl -n ${e.target.namespace} set env ${ref(e)} -c ${e.target.container} JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0`,
            'Use a JDK ≥ 8u372, 11.0.16 or 17 on cgroup v2 nodes, and set the memory request equal to the limit for JVMs.',
          ],
        },
      });
    }

    function reportNoLimit(e: Entry, common: Record<string, unknown>) {
      const request = e.memoryRequest !== undefined ? String(e.memoryRequest) : undefined;
      ctx.report({
        severity: 'info',
        target: e.target,
        message: `${e.target.kind} ${e.target.namespace}/${e.target.name}, container ${e.target.container}: Java without a memory limit sizes its heap from the node's memory ` +
          `(${DEFAULT_MAX_RAM_PERCENTAGE}% of it) and can grow until the node runs short`,
        evidence: { ...common, memoryLimit: null, ...(request ? { memoryRequest: request } : {}) },
        expected: 'a memory limit and a heap sized from it',
        actual: 'no memory limit',
        remediation: {
          summary: `Give ${e.target.container} a memory limit${request ? ` (e.g. equal to its ${request} request)` : ''} and -XX:MaxRAMPercentage=${SUGGESTED_PERCENT}.0`,
          steps: e.target.kind === 'Pod' ? ['Set resources.limits.memory in the manifest and recreate the pod.'] : [
            `kubectl -n ${e.target.namespace} set resources ${ref(e)} -c ${e.target.container} --limits=memory=${request ?? '<size>'}`,
          ],
        },
      });
    }
  },
});

function key(t: Target, container: string): string {
  return `${t.kind}/${t.namespace}/${t.name}/${container}`;
}

function ref(e: Entry): string {
  return `${e.target.kind.toLowerCase()}/${e.target.name}`;
}

function execRef(e: Entry): string {
  return e.target.kind === 'Pod' ? e.target.name : ref(e);
}

function flagEvidence(f: Setting<unknown>) {
  return { flag: f.flag, source: f.source };
}

function editStep(e: Entry, source: string, change: string): string {
  const cm = /^ConfigMap (\S+) \(key (.+)\)$/.exec(source);
  if (cm) return `kubectl -n ${e.target.namespace} edit configmap ${cm[1]} → key ${cm[2]}: ${change}`;
  const where = source.startsWith('env ') ? `env ${source.slice(4)}` : source;
  return e.target.kind === 'Pod'
    ? `In the manifest of pod ${e.target.name}, ${where} of container ${e.target.container}: ${change}; then recreate the pod`
    : `kubectl -n ${e.target.namespace} edit ${ref(e)} → container ${e.target.container}, ${where}: ${change}`;
}

function restartSteps(e: Entry, source: string): string[] {
  // Pods read ConfigMap-sourced env only at start; editing the template restarts them anyway.
  if (!source.startsWith('ConfigMap ') || e.target.kind === 'Pod') return [];
  return e.target.kind === 'ReplicaSet'
    ? [`Delete the pods of replicaset/${e.target.name} one at a time so they restart with the new value`]
    : [`kubectl -n ${e.target.namespace} rollout restart ${ref(e)}`];
}
