// What a HorizontalPodAutoscaler does on the way down (autoscaling/v2 behavior.scaleDown): pods it
// removes are terminated like pods in a rollout, outside any deploy. Defaults from the HPA docs: a
// 300 s stabilization window, then up to 100 % of the pods every 15 s.
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';

export interface ScaleDown {
  /** namespace/name of the autoscaler. */
  hpa: string;
  minReplicas: number;
  maxReplicas: number;
  stabilizationWindowSeconds: number;
  /** The fastest policy, in words: "up to 100 % of the pods every 15 s". */
  fastest: string;
  defaults: boolean;
}

/** The autoscaler's target ("Deployment/shop/web") and its scale-down, or undefined for one that
 * never scales down (disabled, or min = max). */
export function scaleDownOf(hpa: V2HorizontalPodAutoscaler): { target: string; scaleDown: ScaleDown } | undefined {
  const ref = hpa.spec?.scaleTargetRef;
  const name = hpa.metadata?.name;
  if (!ref?.kind || !ref.name || !name) return undefined;
  const namespace = hpa.metadata?.namespace ?? 'default';
  const min = hpa.spec?.minReplicas ?? 1;
  const max = hpa.spec?.maxReplicas ?? min;
  const down = hpa.spec?.behavior?.scaleDown;
  if (max <= min || down?.selectPolicy === 'Disabled') return undefined;
  const policies = down?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  // Max (the default selectPolicy) applies the policy that allows the biggest change.
  const described = policies.map((p) => `${p.type === 'Percent' ? `up to ${p.value} % of the pods` : `up to ${p.value} pod${p.value === 1 ? '' : 's'}`} every ${p.periodSeconds} s`);
  return {
    target: `${ref.kind}/${namespace}/${ref.name}`,
    scaleDown: {
      hpa: `${namespace}/${name}`, minReplicas: min, maxReplicas: max,
      stabilizationWindowSeconds: down?.stabilizationWindowSeconds ?? 300,
      fastest: described.length === 1 ? described[0]! : `pods by whichever policy removes ${down?.selectPolicy === 'Min' ? 'fewer' : 'more'} (${described.join(' or ')})`,
      defaults: !down,
    },
  };
}
