// Upstream: https://bugs.openjdk.org/browse/JDK-8146115 (container support, MaxRAMPercentage)
import type { V1ConfigMap, V1Container, V1DaemonSet, V1Deployment, V1Pod, V1PodSpec, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import { defineCheck, reporter, type Target } from '../../src/check.js';
import { rules, type Subject } from './messages.js';
import { listOf, toMillis } from '../../src/kube/resources.js';
import { OwnerIndex, controllerOf } from '../../src/kube/owners.js';
import { quantityValue } from '../../src/kube/quantity.js';
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

/** Elasticsearch ≥ 7.11 sizes its heap from the container limit in its own launcher. */
const AUTO_SIZING_IMAGE = /(^|\/)elasticsearch(:|@|$)/;

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
  rules,
  settings: {
    // Above this share of the limit too little is left for metaspace, threads, code cache, buffers.
    heapWarnPercent: { type: 'number', default: 80, min: 1, max: 100, description: 'Maximum heap as a share of the memory limit above which it is reported (at 100 % it is critical)' },
  },
  needs: { api: [{ kind: 'ConfigMap', optional: true }, 'Deployment', 'StatefulSet', 'DaemonSet', { kind: 'ReplicaSet', optional: true }, { kind: 'Pod', optional: true }] },
  create(ctx) {
    const say = reporter(ctx, rules);
    const warnRatio = Number(ctx.options.heapWarnPercent) / 100;
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
      let byName: Map<string, V1Container> | undefined; // made only for a pod with a JVM (few are)
      for (const status of listOf(pod.status?.containerStatuses)) {
        const e = entries.get(key(target, status.name));
        if (!e) continue;
        byName ??= new Map((pod.spec?.containers ?? []).map((c) => [c.name, c]));
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
      const subject: Subject = { target: e.target, oomPods: e.oom.pods, javaToolOptions: e.envNames.has('JAVA_TOOL_OPTIONS') };

      const cs = s.containerSupport;
      if (cs && !cs.value) {
        const boundedHeap = !!(heap.kind === 'sized' && s.maxHeap && limit !== undefined && heap.bytes <= limit * warnRatio);
        say('containerSupportDisabled', {
          severity: boundedHeap ? 'warning' : 'critical',
          target: e.target,
          evidence: { ...common, flags: [flagEvidence(cs)] },
        }, { subject, flag: cs.flag, source: cs.source, limit, boundedHeap });
        if (!s.maxHeap && !s.maxRam) return;
      }

      if (limit === undefined) {
        if (heap.kind === 'default') {
          const request = e.memoryRequest !== undefined ? String(e.memoryRequest) : undefined;
          say('noMemoryLimit', {
            severity: 'info',
            target: e.target,
            evidence: { ...common, memoryLimit: null, ...(request ? { memoryRequest: request } : {}) },
          }, { subject, request });
        }
        return;
      }
      if (heap.kind === 'sized') {
        const ratio = heap.bytes / limit;
        if (ratio <= warnRatio) return;
        say('heapNearLimit', {
          // At or above the limit, the kernel OOM-kills the container before the heap is full.
          severity: ratio >= 1 ? 'critical' : 'warning',
          target: e.target,
          evidence: { ...common, maxHeapBytes: heap.bytes, heapPercentOfLimit: Math.round(ratio * 1000) / 10, flags: heap.flags.map(flagEvidence) },
        }, { subject, heapBytes: heap.bytes, basis: heap.basis, flag: heap.flags[0]!, limit, warnRatio });
        return;
      }
      if (heap.kind === 'unknown') {
        say('heapSizingUnknown', { severity: oomed ? 'warning' : 'info', target: e.target, evidence: { ...common, unknown: heap.reasons } },
          { subject, limit, reasons: heap.reasons });
        return;
      }
      if (e.autoSizing) return;
      say('defaultHeapSizing', {
        severity: oomed ? 'warning' : 'info',
        target: e.target,
        evidence: { ...common, defaultHeapBytes: Math.floor((limit * DEFAULT_MAX_RAM_PERCENTAGE) / 100), flags: [] },
      }, { subject, limit });
    }
  },
});

function key(t: Target, container: string): string {
  return `${t.kind}/${t.namespace}/${t.name}/${container}`;
}

function flagEvidence(f: Setting<unknown>) {
  return { flag: f.flag, source: f.source };
}
