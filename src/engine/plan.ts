// plan: the union of what the selected checks need, one list per kind, in streaming order.
import { RESOURCES, type ApiKind, type ResourceInfo } from '../kube/resources.js';
import type { ProbeName } from '../node/probes.js';
import type { ApiNeed, CheckDefinition, CheckId, NodeApiPath } from './types.js';

export interface PlannedList {
  info: ResourceInfo;
  /** Set only when every check asking for this kind asked for the same selector. */
  fieldSelector?: string;
  /** Checks that cannot run without this list (a failure skips them). */
  requiredBy: Set<CheckId>;
  /** Checks whose visitors receive the objects. */
  consumers: Set<CheckId>;
  /** Checks that get this kind from every namespace even with -n (ApiNeed.allNamespaces). */
  allNamespaces: Set<CheckId>;
  /** Some check reads the objects' sizes as received (ApiNeed.sizes). */
  measureBytes?: boolean;
}

export interface Plan {
  lists: PlannedList[];
  probes: ProbeName[];
  /** Checks that use node probes. */
  probeChecks: Set<CheckId>;
  /** Of those, the ones that cannot run without node data. */
  probeRequired: Set<CheckId>;
  /** Kubelet endpoints to read through the API server for every node. */
  nodeApi: NodeApiPath[];
}

const normalise = (n: ApiKind | ApiNeed): ApiNeed => (typeof n === 'string' ? { kind: n } : n);

export function planCollection(checks: readonly CheckDefinition[]): Plan {
  const byKind = new Map<ApiKind, { needs: ApiNeed[]; list: PlannedList }>();
  const probes = new Set<ProbeName>();
  const probeChecks = new Set<CheckId>();
  const probeRequired = new Set<CheckId>();
  const nodeApi = new Set<NodeApiPath>();
  const want = (check: CheckId, need: ApiNeed) => {
    let entry = byKind.get(need.kind);
    if (!entry) {
      const info = RESOURCES.find((r) => r.kind === need.kind)!;
      entry = { needs: [], list: { info, requiredBy: new Set(), consumers: new Set(), allNamespaces: new Set() } };
      byKind.set(need.kind, entry);
    }
    entry.needs.push(need);
    entry.list.consumers.add(check);
    if (!need.optional) entry.list.requiredBy.add(check);
    if (need.allNamespaces) entry.list.allNamespaces.add(check);
    if (need.sizes) entry.list.measureBytes = true;
  };
  for (const check of checks) {
    for (const need of check.needs.api ?? []) want(check.id, normalise(need));
    if (check.needs.probes?.length) {
      probeChecks.add(check.id);
      if (!check.needs.probesOptional) probeRequired.add(check.id);
      check.needs.probes.forEach((p) => probes.add(p));
      // Node objects say where to SSH (addresses); a check that probes nodes needs them.
      want(check.id, { kind: 'Node', optional: check.needs.probesOptional });
    }
  }
  for (const check of checks) {
    if (!check.needs.nodeApi?.length) continue;
    check.needs.nodeApi.forEach((p) => nodeApi.add(p));
    want(check.id, { kind: 'Node', optional: true });
  }
  for (const { needs, list } of byKind.values()) {
    const selectors = new Set(needs.map((n) => n.fieldSelector ?? ''));
    if (selectors.size === 1 && !selectors.has('')) list.fieldSelector = needs[0]!.fieldSelector;
  }
  const lists = RESOURCES.flatMap((r) => (byKind.has(r.kind) ? [byKind.get(r.kind)!.list] : []));
  return { lists, probes: [...probes].sort(), probeChecks, probeRequired, nodeApi: [...nodeApi].sort() };
}
