// How the controllers turn maxSurge/maxUnavailable into pod counts.
// Deployment (pkg/controller/deployment/util ResolveFenceposts): surge rounds up, unavailable rounds
// down, and when both come out 0 unavailable becomes 1. StatefulSet maxUnavailable rounds up, min 1.
import type { IntOrString } from '@kubernetes/client-node';

/** A count or a whole-number percentage ("25%") scaled against replicas; undefined if malformed. */
export function scaleIntOrPercent(value: IntOrString | undefined, replicas: number, roundUp: boolean): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const pct = /^(\d+)%$/.exec(value.trim());
  if (pct) {
    const scaled = (Number(pct[1]) * replicas) / 100;
    return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
  }
  return /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

export interface DeploymentRollout {
  surge: number;
  unavailable: number;
}

export function resolveDeploymentRollout(replicas: number, maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined): DeploymentRollout | undefined {
  const surge = scaleIntOrPercent(maxSurge ?? '25%', replicas, true);
  let unavailable = scaleIntOrPercent(maxUnavailable ?? '25%', replicas, false);
  if (surge === undefined || unavailable === undefined) return undefined;
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function resolveStatefulSetUnavailable(replicas: number, maxUnavailable: IntOrString | undefined): number | undefined {
  const n = scaleIntOrPercent(maxUnavailable ?? 1, replicas, true);
  return n === undefined ? undefined : Math.max(1, n);
}
