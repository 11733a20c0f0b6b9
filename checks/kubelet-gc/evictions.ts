// Pods the kubelet evicted, counted per node, so a disk finding can cite what the pressure already cost.
// Only counters are kept, never the pods. Message formats: check-facts §5.1, §5.3.
import type { V1Pod } from '@kubernetes/client-node';
import { evictionTime, parseEvictionMessage } from '../../src/kube/eviction.js';
import { evidenceTime } from '../../src/kube/events.js';

export interface EvictionSummary {
  count: number;
  /** Evicted in the 24 hours before now. */
  last24h: number;
  /** Counts per starved resource ("ephemeral-storage", "memory", "nodefs", …). */
  byResource: Record<string, number>;
  newest: { pod: string; at: string | null; resource: string };
}


export class EvictionTally {
  private readonly perNode = new Map<string, { count: number; last24h: number; byResource: Record<string, number>; newest?: { pod: string; t: number | undefined; resource: string } }>();

  constructor(private readonly now: number) {}

  add(pod: V1Pod): void {
    const node = pod.spec?.nodeName;
    if (!node || pod.status?.phase !== 'Failed' || pod.status.reason !== 'Evicted') return;
    const resource = parseEvictionMessage(pod.status.message).resource;
    const t = evictionTime(pod)?.ms;
    // byResource is keyed by a word from the pod's status message: no prototype, so `__proto__` counts too.
    const e = this.perNode.get(node) ?? { count: 0, last24h: 0, byResource: Object.create(null) as Record<string, number> };
    this.perNode.set(node, e);
    e.count++;
    // A pod evicted exactly 24 h ago is already stale, as in evicted-pods. The window stays fixed, not a
    // setting: it only says which evictions are recent enough to cite, and keeps both checks' "last 24 h" alike.
    if (t !== undefined && this.now - t < 24 * 3600_000) e.last24h++;
    e.byResource[resource] = (e.byResource[resource] ?? 0) + 1;
    if (!e.newest || (t ?? -Infinity) > (e.newest.t ?? -Infinity)) {
      e.newest = { pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, t, resource };
    }
  }

  forNode(node: string): EvictionSummary | undefined {
    const e = this.perNode.get(node);
    if (!e?.newest) return undefined;
    const at = e.newest.t === undefined ? null : evidenceTime(e.newest.t);
    return { count: e.count, last24h: e.last24h, byResource: e.byResource, newest: { pod: e.newest.pod, at, resource: e.newest.resource } };
  }
}
