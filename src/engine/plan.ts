// plan: the union of what the selected checks need, one list per kind, in streaming order.
import { RESOURCES, type ApiKind, type ResourceInfo } from '../kube/resources.js';
import type { ProbeName } from '../node/probes.js';
import { FACT_SOURCES } from './node-facts.js';
import type { KubeletPath } from './source.js';
import type { ApiNeed, CheckDefinition, CheckId, NodeFactName, NodeFactNeed, ProbeNeed } from './types.js';

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
  /** Every probe to run on each node: the checks' own, and the SSH fallbacks of their node facts. */
  probes: ProbeName[];
  /** Checks that read the nodes themselves (probes, or node facts with their SSH fallback). */
  nodeChecks: Set<CheckId>;
  /** Per check, the probes without which a node cannot be judged. */
  requiredProbes: Map<CheckId, ProbeName[]>;
  /** Per check, the node facts it asked for. */
  facts: Map<CheckId, Set<NodeFactName>>;
}

const apiNeed = (n: ApiKind | ApiNeed): ApiNeed => (typeof n === 'string' ? { kind: n } : n);
const probeNeed = (n: ProbeName | ProbeNeed): ProbeNeed => (typeof n === 'string' ? { probe: n } : n);
const factNeed = (n: NodeFactName | NodeFactNeed): NodeFactNeed => (typeof n === 'string' ? { fact: n } : n);

/** `nodes: false` when no node will be read (--no-ssh): lists only node data needs are left out. */
export function planCollection(checks: readonly CheckDefinition[], opts: { nodes?: boolean } = {}): Plan {
  const byKind = new Map<ApiKind, { needs: ApiNeed[]; list: PlannedList }>();
  const probes = new Set<ProbeName>();
  const nodeChecks = new Set<CheckId>();
  const requiredProbes = new Map<CheckId, ProbeName[]>();
  const facts = new Map<CheckId, Set<NodeFactName>>();
  const want = (check: CheckId, need: ApiNeed) => {
    if (need.onlyWithNodes && opts.nodes === false) return;
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
    for (const need of check.needs.api ?? []) want(check.id, apiNeed(need));
    const own = (check.needs.probes ?? []).map(probeNeed);
    const required = own.filter((p) => !p.optional).map((p) => p.probe);
    const wanted = (check.needs.nodeFacts ?? []).map(factNeed);
    const fallbacks = wanted.filter((f) => !f.apiOnly).map((f) => FACT_SOURCES[f.fact].probe);
    if (required.length) requiredProbes.set(check.id, required);
    if (wanted.length) facts.set(check.id, new Set(wanted.map((f) => f.fact)));
    if (own.length || fallbacks.length) nodeChecks.add(check.id);
    [...own.map((p) => p.probe), ...fallbacks].forEach((p) => probes.add(p));
    // Node objects say which nodes exist and where to reach them; without them a check that cannot
    // judge a node without its probes cannot run — unless it says Node is optional to it (it also
    // decides from other data, e.g. events).
    const listsNodes = (check.needs.api ?? []).some((n) => apiNeed(n).kind === 'Node');
    if ((own.length || wanted.length) && !listsNodes) want(check.id, { kind: 'Node', optional: !required.length });
  }
  for (const { needs, list } of byKind.values()) {
    const selectors = new Set(needs.map((n) => n.fieldSelector ?? ''));
    if (selectors.size === 1 && !selectors.has('')) list.fieldSelector = needs[0]!.fieldSelector;
  }
  const lists = RESOURCES.flatMap((r) => (byKind.has(r.kind) ? [byKind.get(r.kind)!.list] : []));
  return { lists, probes: [...probes].sort(), nodeChecks, requiredProbes, facts };
}

/** The kubelet endpoints that serve these facts, in a stable order. */
export function kubeletPathsFor(facts: Iterable<NodeFactName>): KubeletPath[] {
  return [...new Set([...facts].map((f) => FACT_SOURCES[f].kubelet))].sort();
}
