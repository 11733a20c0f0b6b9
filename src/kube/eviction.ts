// What an evicted pod says about its eviction: what ran out and when. Shared by evicted-pods and
// kubelet-gc (which cites the evictions on its node).
//
// Reads an evicted pod's status.message. The kubelet builds it from fixed fragments
// (pkg/kubelet/eviction/helpers.go), each ending in ". ": node pressure ("The node was low on
// resource: X." then, since ~1.20, "Threshold quantity: Q, available: A." and per-container usage),
// local-storage limits (the pod's own limit, a container's, an emptyDir's sizeLimit), or an
// admission rejection while the node had a pressure condition ("Pod was rejected: The node had
// condition: [DiskPressure].").

import type { V1Pod } from '@kubernetes/client-node';
import { toMillis } from './resources.js';

export type EvictionCause = 'node-pressure' | 'over-limit' | 'admission-rejected' | 'unknown';

export interface Offender {
  /** 'container' (name = container), 'pod' (name = pod, or '' for the pod as a whole), 'emptyDir' (name = volume). */
  scope: 'container' | 'pod' | 'emptyDir';
  name: string;
  usage?: string;
  request?: string;
  limit?: string;
}

export interface EvictionInfo {
  /** memory, ephemeral-storage, pids, inodes, …; several joined by '+'; 'unknown' if unreadable. */
  resource: string;
  cause: EvictionCause;
  threshold?: string;
  available?: string;
  offenders: Offender[];
}

const CONDITION_RESOURCE: Record<string, string> = {
  MemoryPressure: 'memory', DiskPressure: 'ephemeral-storage', PIDPressure: 'pids',
};

// Only well-formed quantities and names are taken from the message: they end up in suggested
// commands, and a pod's status can be written by more than the kubelet.
const Q = '(\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+|[KMGTPE]i|[mkMGTPE])?)';
const NAME = '([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)';
// Fragments end in ". " (or the end of the string).
const END = '\\.(?=\\s|$)';
const NODE_LOW = /The node was low on resource: ([\w./-]+)\./;
const THRESHOLD = new RegExp(`Threshold quantity: ${Q}, available: ${Q}${END}`);
const CONTAINER_NEW = new RegExp(`Container ${NAME} was using ${Q}, request is ${Q}, has larger consumption of [\\w./-]+${END}`, 'g');
const CONTAINER_OLD = new RegExp(`Container ${NAME} was using ${Q}, which exceeds its request of ${Q}${END}`, 'g');
const POD_USAGE = new RegExp(`Pod ${NAME} was using ${Q}, request is ${Q}, has larger consumption of [\\w./-]+${END}`, 'g');
const POD_OVER = new RegExp(`Pod ephemeral local storage usage exceeds the total limit of containers ${Q}${END}`);
const CONTAINER_OVER = new RegExp(`Container ${NAME} exceeded its local ephemeral storage limit "${Q}"\\.`, 'g');
const EMPTYDIR_OVER = new RegExp(`Usage of EmptyDir volume "${NAME}" exceeds the limit "${Q}"\\.`, 'g');
const CONDITION = /The node had condition: \[([^\]]*)\]/;

export function parseEvictionMessage(message: string | undefined): EvictionInfo {
  const text = message ?? '';
  const low = NODE_LOW.exec(text);
  if (low) {
    const threshold = THRESHOLD.exec(text);
    const offenders: Offender[] = [
      ...[...text.matchAll(POD_USAGE)].map((m) => ({ scope: 'pod' as const, name: m[1]!, usage: m[2]!, request: m[3]! })),
      ...[...text.matchAll(CONTAINER_NEW), ...text.matchAll(CONTAINER_OLD)].map((m) => ({ scope: 'container' as const, name: m[1]!, usage: m[2]!, request: m[3]! })),
    ];
    return { resource: low[1]!, cause: 'node-pressure', ...(threshold ? { threshold: threshold[1]!, available: threshold[2]! } : {}), offenders };
  }
  const overLimit: Offender[] = [
    ...(POD_OVER.exec(text) ? [{ scope: 'pod' as const, name: '', limit: POD_OVER.exec(text)![1]! }] : []),
    ...[...text.matchAll(CONTAINER_OVER)].map((m) => ({ scope: 'container' as const, name: m[1]!, limit: m[2]! })),
    ...[...text.matchAll(EMPTYDIR_OVER)].map((m) => ({ scope: 'emptyDir' as const, name: m[1]!, limit: m[2]! })),
  ];
  if (overLimit.length) return { resource: 'ephemeral-storage', cause: 'over-limit', offenders: overLimit };
  const condition = CONDITION.exec(text);
  if (condition) {
    // Condition names come from the pod's status: only the table's own keys map (not `constructor`).
    const resources = condition[1]!.split(/\s+/).filter(Boolean).map((c) => (Object.hasOwn(CONDITION_RESOURCE, c) ? CONDITION_RESOURCE[c]! : c));
    return { resource: resources.length ? [...new Set(resources)].join('+') : 'unknown', cause: 'admission-rejected', offenders: [] };
  }
  return { resource: 'unknown', cause: 'unknown', offenders: [] };
}

/** Resources that disk pressure evicts for (several may be joined by '+'). */
export function isDiskResource(resource: string): boolean {
  return resource.split('+').some((r) => /^(ephemeral-storage|nodefs|imagefs|inodes)/.test(r));
}

/** When the kubelet evicted the pod, from the most to the least precise record. */
export function evictionTime(pod: V1Pod): { ms: number; source: string } | undefined {
  const disruption = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  const t = toMillis(disruption?.lastTransitionTime);
  if (t !== undefined) return { ms: t, source: 'DisruptionTarget condition' };
  const finished = (pod.status?.containerStatuses ?? []).map((c) => toMillis(c.state?.terminated?.finishedAt)).filter((x): x is number => x !== undefined);
  if (finished.length) return { ms: Math.max(...finished), source: 'containers finishedAt' };
  // An admission rejection happens as the pod starts; for a pod that ran, startTime is only a lower bound.
  const start = toMillis(pod.status?.startTime);
  if (start !== undefined) return { ms: start, source: 'startTime (evicted at or after)' };
  const created = toMillis(pod.metadata?.creationTimestamp);
  if (created !== undefined) return { ms: created, source: 'creationTimestamp (evicted after)' };
  return undefined;
}

