// The rules of evicted-pods and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';
import type { WorkloadRef } from '../../src/kube/owners.js';
import { cleanupCommand, remediation, type OffenderSeen } from './remediation.js';

export interface EvictionGroup {
  node: string;
  resource: string;
  total: number;
  lastDay: number;
  lastHour: number;
  /** How long ago the newest eviction was, in ms (not finite when no time was recorded). */
  newestAgeMs: number;
  /** Why it is critical (bursts, repeated workloads); empty for a warning. */
  reasons: string[];
  /** Pressure conditions the node reports now. */
  pressureNow: string[];
  workloads: WorkloadRef[];
  offenders: OffenderSeen[];
  namespace?: string;
}

export const rules = {
  podsEvicted: {
    description: 'Pods were evicted from a node for a starved resource in the last 24 h.',
    message: (g: EvictionGroup): Wording => {
      const what = g.resource === 'unknown' ? 'for a reason the eviction message does not name' : `for ${g.resource}`;
      return {
        message: `${g.lastDay} pod${g.lastDay === 1 ? '' : 's'} evicted from ${g.node} ${what} in the last 24 h, newest ${formatAge(g.newestAgeMs)} ago` +
          (g.reasons.length ? `: ${g.reasons.join('; ')}` : '') +
          (g.pressureNow.length ? `. ${g.node} reports ${g.pressureNow.join(', ')} now` : ''),
        expected: `no pods evicted from ${g.node} in the last 24 h`,
        actual: `${g.lastDay} evicted ${what} (${g.lastHour} in the last hour)`,
        remediation: remediation({ node: g.node, resource: g.resource, count: g.total, workloads: g.workloads, offenders: g.offenders, namespace: g.namespace }),
        docs: 'https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/',
      };
    },
  },
  staleEvictedPods: {
    description: 'More than 100 evicted pods older than 24 h are still stored.',
    message: (d: { stale: number; limit: number; namespace?: string }): Wording => ({
      message: `${d.stale} evicted pods older than 24 h are still stored (PodGC keeps Failed pods until --terminated-pod-gc-threshold, default 12500)`,
      expected: `at most ${d.limit} stale evicted pods`,
      actual: `${d.stale}`,
      remediation: {
        summary: 'Delete the stale evicted pods (only pods with status.reason Evicted)',
        steps: [
          cleanupCommand({ namespace: d.namespace }),
          'A blanket `kubectl delete pods --field-selector=status.phase=Failed` would also delete Job pods kept for debugging: filter on status.reason as above.',
        ],
      },
    }),
  },
};

function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown time';
  const m = Math.max(0, Math.floor(ms / 60_000));
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}
