// The engine: plan → collect (API, then kubelet endpoints, then nodes) → evaluate (streamed through
// the checks) → results. Objects are never accumulated here: each page goes through every interested
// check and is dropped. The order in which visitors are called is part of the check contract
// (Visitors in src/engine/types.ts).
import { performance } from 'node:perf_hooks';
import { RESOURCES, type ApiKind, type KubeObject } from '../kube/resources.js';
import type { V1Node } from '@kubernetes/client-node';
import type { NodeProbeResults, NodeSource, NodeTarget, ProbeInputs } from '../node/node-source.js';
import type { PlannedList } from './plan.js';
import { ApiserverMetricsCollector } from './apiserver-metrics.js';
import type { ProbeName } from '../node/probes.js';
import { fingerprint } from './fingerprint.js';
import { KubeletReads } from './kubelet-reads.js';
import { ListsAhead } from './lists-ahead.js';
import { NodeFactsResolver } from './node-facts.js';
import { kubeletPathsFor, planCollection } from './plan.js';
import { ResourceUnavailable, type ApiSource, type ClusterInfo, type Recorder } from './source.js';
import type {
  CheckDefinition, CheckId, CheckResult, CheckSettings, Finding, FindingInput, Gap, NodeFactName, NodeFacts, SettingValues, Visitors,
} from './types.js';

export interface RunScope {
  /** Restrict namespaced lists to one namespace (undefined = all namespaces). */
  namespace?: string;
  /** -l: label selector for workloads and pods. */
  labelSelector?: string;
  /** --nodes: which nodes to probe over SSH (undefined = all). */
  nodeFilter?: (node: V1Node) => boolean;
}

export type ProgressEvent =
  | { type: 'list'; kind: ApiKind; count: number }
  | { type: 'nodes'; done: number; total: number; node?: string }
  | { type: 'evaluate' };

export interface RunInput {
  checks: readonly CheckDefinition[];
  api: ApiSource;
  /** Undefined with --no-ssh: node checks are not evaluated and say so. */
  nodes?: NodeSource;
  noNodesReason?: string;
  scope: RunScope;
  settings: CheckSettings;
  /** Per check id, setting values from the config file (already validated against the check's specs). */
  checkOptions?: Record<string, SettingValues>;
  recorder?: Recorder;
  progress?: (e: ProgressEvent) => void;
  /** Sees listed objects as they stream past, e.g. annotation suppressions (src/policy/annotations.ts). */
  observe?: RunObserver;
}

/** A read-only tap on the object stream, for what is not a check but needs the objects' metadata.
 * It sees every object of `kinds` that is listed for the checks; kinds in `listAlways` are listed for
 * it even when no check needs them — and since no check depends on those, a failure to list them is
 * reported to `unavailable`, not as a gap. It must keep only what it needs (streamed, not hoarded). */
export interface RunObserver {
  kinds: readonly ApiKind[];
  listAlways?: readonly ApiKind[];
  see(kind: ApiKind, obj: KubeObject): void;
  unavailable?(kind: ApiKind, reason: string): void;
}

export interface RunOutput {
  cluster: ClusterInfo;
  /** What fingerprints are keyed on: the kube-system Namespace UID, else the server URL (DESIGN §2.5). */
  identity: string;
  now: Date;
  results: CheckResult[];
  findings: Finding[];
  gaps: Gap[];
  nodes: { total: number; reached: number };
}

interface CheckState {
  def: CheckDefinition;
  visitors: Visitors;
  findings: Finding[];
  ms: number;
  error?: string;
  skip?: string;
  notes: string[];
  /** Why node data is missing altogether (no node reached, or a required probe failed on every
   * reached node): a skip when the check found nothing without it, else a note. */
  nodeDataMissing?: string;
  /** Required probe → the failure reasons, one per reached node where it failed. */
  missingRequired: Map<string, string[]>;
}

export async function runChecks(input: RunInput): Promise<RunOutput> {
  const { checks, api, scope } = input;
  const progress = input.progress ?? (() => {});
  const { cluster, now, identity: uid } = await api.open();
  const identity = uid ?? cluster.server ?? 'unknown';
  const plan = planCollection(checks, { nodes: input.nodes !== undefined });
  const gaps: Gap[] = [];

  const states = new Map<CheckId, CheckState>();
  for (const def of checks) {
    const state: CheckState = { def, visitors: {}, findings: [], ms: 0, notes: [], missingRequired: new Map() };
    states.set(def.id, state);
    const report = (f: FindingInput) => {
      // An undeclared rule would slip past suppressions, SARIF rules and baselines: a bug in the check.
      if (!Object.hasOwn(def.rules, f.rule)) throw new Error(`reported rule "${String(f.rule)}", which is not in its rules`);
      state.findings.push({ check: def.id, ...f, fingerprint: fingerprint(def.id, f.rule, identity, f.target) });
    };
    call(state, () => {
      state.visitors = def.create({ now, settings: input.settings, options: resolveOptions(def, input.checkOptions?.[def.id]), report });
    });
  }

  // The first /metrics scrape now (beside the first lists), the second after the lists: the wait
  // between them costs nothing.
  const metrics = new ApiserverMetricsCollector(api, checks, input.settings.sampleIntervalSeconds, input.recorder);
  metrics.start();

  const nodeTargets: NodeTarget[] = [];
  const resolver = new NodeFactsResolver(new Set([...plan.facts.values()].flatMap((f) => [...f])));
  const kubelet = new KubeletReads(api, (target, endpoints) => resolver.fromKubelet(target, endpoints), input.recorder);
  const factCheckStates = [...plan.facts.keys()].map((id) => states.get(id)!);
  /** Nodes' facts for the checks that want them on every node: read while the other kinds are listed. */
  const startEveryNodeReads = () => {
    const every = factCheckStates.filter((s) => !s.error && !s.skip && !s.visitors.wantsNodeFacts);
    if (!every.length) return;
    const paths = kubeletPathsFor(every.flatMap((s) => [...plan.facts.get(s.def.id)!]));
    kubelet.start(nodeTargets.map((target) => ({ target, paths })));
  };

  // 1. API lists, kind by kind in RESOURCES order.
  const observer = input.observe;
  const lists = withObserverLists(plan.lists, observer);
  const requests = lists.map((list) => {
    // With -n, a kind some check needs from every namespace is listed cluster-wide; the other checks
    // still see only the chosen namespace.
    const wide = Boolean(scope.namespace) && list.info.namespaced && !list.info.fixedNamespace && list.allNamespaces.size > 0;
    return {
      wide,
      req: {
        info: list.info,
        namespace: list.info.namespaced && !wide ? scope.namespace : undefined,
        fieldSelector: list.fieldSelector,
        labelSelector: list.info.honoursLabelSelector ? scope.labelSelector : undefined,
        ...(list.measureBytes ? { measureBytes: true } : {}),
      },
    };
  });
  const ahead = new ListsAhead(api, requests.map((r) => r.req));
  for (const [i, list] of lists.entries()) {
    const kind = list.info.kind;
    const observed = observer?.kinds.includes(kind) ?? false;
    const consumers = [...list.consumers].map((id) => states.get(id)!);
    const { wide, req } = requests[i]!;
    // The namespace a consumer sees of a cluster-wide list (see above); undefined: everything.
    const onlyIn = (state: CheckState) => (!wide || list.allNamespaces.has(state.def.id) ? undefined : scope.namespace);
    let count = 0;
    try {
      await input.recorder?.startList(req);
      for await (const page of ahead.pages(i)) {
        await input.recorder?.page(kind, page);
        if (kind === 'Node') for (const obj of page) collectNodeTarget(obj as V1Node, scope, nodeTargets);
        if (observed) for (const obj of page) observer!.see(kind, obj);
        // A page at a time per check: each check still sees every object in order, and its clock is
        // read twice per page, not per object (3 million clock reads at 150k pods, issue 14).
        for (const state of consumers) visitPage(state, kind, page, onlyIn(state));
        count += page.length;
        progress({ type: 'list', kind, count });
      }
      if (kind === 'Node') startEveryNodeReads();
    } catch (err) {
      if (!(err instanceof ResourceUnavailable)) throw err;
      if (!list.consumers.size) { observer?.unavailable?.(kind, err.reason); continue; }
      gaps.push({ source: 'api', resource: err.resource, reason: err.reason });
      for (const id of list.requiredBy) {
        const s = states.get(id)!;
        s.skip ??= `${err.reason}: ${err.resource}`;
      }
    }
  }

  // 2. The API server's metrics, for the checks that asked.
  if (metrics.wanted) {
    const { metrics: m, gap } = await metrics.finish();
    if (gap) gaps.push(gap);
    for (const s of states.values()) {
      const need = s.def.needs.apiserverMetrics;
      if (!need) continue;
      if (!m.ok && !need.optional) { s.skip ??= `API server metrics: ${m.reason}`; continue; }
      const fn = s.visitors.ApiserverMetrics;
      if (fn && !s.error) call(s, () => fn(m));
    }
  }

  // 3. Node facts: which checks want them for which node, then the kubelet endpoints that serve them
  // (those of every node for some checks are already on their way, see startEveryNodeReads).
  const factsWanted = new Map<string, { states: CheckState[]; facts: Set<NodeFactName> }>();
  for (const t of nodeTargets) {
    const wanting = factCheckStates.filter((s) => !s.error && !s.skip && wants(s, t.name));
    if (wanting.length) factsWanted.set(t.name, { states: wanting, facts: new Set(wanting.flatMap((s) => [...plan.facts.get(s.def.id)!])) });
  }
  kubelet.start(nodeTargets.flatMap((target) => {
    const w = factsWanted.get(target.name);
    return w ? [{ target, paths: kubeletPathsFor(w.facts) }] : [];
  }));
  for (const g of await kubelet.done()) gaps.push(g);
  const deliverFacts = (target: NodeTarget, probes?: NodeProbeResults['probes']) => {
    const w = factsWanted.get(target.name);
    if (!w) return;
    factsWanted.delete(target.name);
    const all = resolver.complete(target, probes);
    for (const s of w.states) {
      const mine = plan.facts.get(s.def.id)!;
      const facts: NodeFacts = { node: all.node };
      if (mine.has('kubeletConfig')) facts.kubeletConfig = all.kubeletConfig;
      if (mine.has('nodeDisk')) { facts.nodeDisk = all.nodeDisk; if (all.nodeDiskNotes) facts.nodeDiskNotes = all.nodeDiskNotes; }
      const fn = s.visitors.NodeFacts;
      if (fn) call(s, () => fn(facts));
    }
  };

  // 4. Nodes: one session each, delivered as they finish.
  let reached = 0;
  const nodeTotal = plan.probes.length ? nodeTargets.length : 0;
  const nodeStates = [...plan.nodeChecks].map((id) => states.get(id)!);
  if (plan.probes.length && nodeTargets.length && input.nodes) {
    // Loaded here: the probes' parsers are needed only by a run that reaches nodes.
    const { parseNodeCollection, reduceNodeCollection } = await import('../node/parse-collection.js');
    let done = 0;
    progress({ type: 'nodes', done, total: nodeTargets.length });
    const byName = new Map(nodeTargets.map((t) => [t.name, t]));
    const via = input.nodes.transport ?? 'ssh';
    const inputs = (node: string) => mergeProbeInputs(nodeStates, node);
    for await (const raw of input.nodes.collect(nodeTargets, plan.probes, inputs)) {
      const collection = reduceNodeCollection(raw);
      await input.recorder?.node(collection);
      done++;
      progress({ type: 'nodes', done, total: nodeTargets.length, node: collection.node });
      const target = byName.get(collection.node);
      if (!collection.reached) {
        gaps.push({ source: via, node: collection.node, reason: collection.reason });
        if (target) deliverFacts(target);
        continue;
      }
      reached++;
      const results = parseNodeCollection(collection, plan.probes);
      for (const [probe, outcome] of Object.entries(results.probes)) {
        if (!outcome.ok) gaps.push({ source: via, node: collection.node, probe, reason: outcome.reason });
      }
      if (target) deliverFacts(target, results.probes);
      for (const s of nodeStates) {
        const fn = s.visitors.NodeProbes;
        if (fn) call(s, () => fn(results));
        for (const probe of plan.requiredProbes.get(s.def.id) ?? []) {
          const outcome = results.probes[probe];
          if (outcome && !outcome.ok) s.missingRequired.set(probe, [...(s.missingRequired.get(probe) ?? []), outcome.reason]);
        }
      }
    }
  }
  // Nodes whose facts are still pending were not probed (no SSH, or not among the collected).
  for (const t of nodeTargets) deliverFacts(t);

  if (plan.probes.length) {
    const note = !nodeTargets.length ? (scope.nodeFilter ? 'no node matches --nodes' : 'no nodes to probe')
      : !input.nodes ? `node checks not evaluated: ${input.noNodesReason ?? '--no-ssh'}`
      : reached < nodeTargets.length ? `node data from ${reached} of ${nodeTargets.length} nodes (see gaps)`
      : undefined;
    for (const s of nodeStates) {
      const required = plan.requiredProbes.get(s.def.id) ?? [];
      if (note && reached === 0 && required.length) s.nodeDataMissing = note;
      else if (note) s.notes.push(note);
      for (const [probe, reasons] of s.missingRequired) {
        if (reasons.length === reached && reached > 0) s.nodeDataMissing ??= `${probe}: ${reasons[0]}`;
        else s.notes.push(`no ${probe} data from ${reasons.length} of ${reached} reached nodes (see gaps)`);
      }
    }
  }

  // 5. Evaluate.
  progress({ type: 'evaluate' });
  for (const state of states.values()) {
    const fn = state.visitors.finish;
    if (!state.skip && fn) {
      call(state, () => {
        const said = fn();
        if (said?.skip) state.skip = said.skip;
        if (said?.note) state.notes.push(said.note);
      });
    }
  }

  const results: CheckResult[] = [];
  const findings: Finding[] = [];
  for (const s of states.values()) {
    // Findings made without node data stand; without them, "nothing found" would be a silent pass.
    if (s.nodeDataMissing) {
      if (s.findings.length) s.notes.push(s.nodeDataMissing);
      else s.skip ??= s.nodeDataMissing;
    }
    const status = s.error ? 'error' : s.skip ? 'skip' : s.findings.some((f) => f.severity !== 'info') ? 'fail' : 'pass';
    // No spread: a check on a big cluster can report more findings than a call takes arguments.
    if (status === 'pass' || status === 'fail') for (const f of s.findings) findings.push(f);
    results.push({
      id: s.def.id,
      title: s.def.title,
      status,
      reason: s.error ?? s.skip ?? (s.notes.length ? s.notes.join('; ') : null),
      durationMs: Math.round(s.ms),
    });
  }
  return { cluster, identity, now, results, findings, gaps, nodes: { total: nodeTotal, reached } };
}

/** A check's settings: the given values over the defaults its definition declares. */
export function resolveOptions(def: CheckDefinition, given: SettingValues | undefined): SettingValues {
  const out: SettingValues = Object.create(null);
  for (const [key, spec] of Object.entries(def.settings ?? {})) out[key] = given?.[key] ?? spec.default;
  return out;
}

function wants(state: CheckState, node: string): boolean {
  const fn = state.visitors.wantsNodeFacts;
  if (!fn) return true;
  let yes = false;
  call(state, () => { yes = fn(node) !== false; });
  return yes;
}

/** The checks' lists plus the kinds only the observer asked for, in streaming order. */
function withObserverLists(lists: PlannedList[], observer: RunObserver | undefined): PlannedList[] {
  const extra = (observer?.listAlways ?? []).filter((k) => !lists.some((l) => l.info.kind === k));
  if (!extra.length) return lists;
  const order = (l: PlannedList) => RESOURCES.indexOf(l.info);
  const added = extra.map((kind): PlannedList => ({ info: RESOURCES.find((r) => r.kind === kind)!, requiredBy: new Set(), consumers: new Set(), allNamespaces: new Set() }));
  return [...lists, ...added].sort((a, b) => order(a) - order(b));
}

/** The union of what the checks want probes to receive on one node, without duplicates. */
function mergeProbeInputs(states: CheckState[], node: string): ProbeInputs {
  const merged: { [P in ProbeName]?: Set<string> } = {};
  for (const s of states) {
    const fn = s.visitors.probeInputs;
    if (!fn || s.error) continue;
    let inputs: ProbeInputs = {};
    call(s, () => { inputs = fn(node); });
    for (const [probe, lines] of Object.entries(inputs) as [ProbeName, string[]][]) {
      const set = (merged[probe] ??= new Set());
      lines.forEach((l) => set.add(l));
    }
  }
  return Object.fromEntries(Object.entries(merged).map(([p, set]) => [p, [...set]]));
}

function collectNodeTarget(node: V1Node, scope: RunScope, out: NodeTarget[]): void {
  const name = node.metadata?.name;
  if (!name || (scope.nodeFilter && !scope.nodeFilter(node))) return;
  const info = node.status?.nodeInfo;
  out.push({
    name,
    addresses: (node.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    ...(info?.kubeletVersion ? { kubeletVersion: info.kubeletVersion } : {}),
    ...(info?.containerRuntimeVersion ? { containerRuntime: info.containerRuntimeVersion } : {}),
  });
}

function visitPage(state: CheckState, kind: ApiKind, page: KubeObject[], onlyIn: string | undefined): void {
  const fn = state.visitors[kind] as ((o: KubeObject) => void) | undefined;
  if (!fn || state.error) return;
  call(state, () => {
    if (onlyIn === undefined) for (const obj of page) fn(obj);
    else for (const obj of page) if (obj.metadata?.namespace === onlyIn) fn(obj);
  });
}

/** A check that throws is a bug in that check: it becomes status `error`, and the run goes on. */
function call(state: CheckState, fn: () => void): void {
  if (state.error) return;
  const t0 = performance.now();
  try {
    fn();
  } catch (err) {
    // Message plus the frame that threw: enough for a bug report, short enough for a table cell.
    const frame = err instanceof Error ? err.stack?.split('\n').find((l) => l.trim().startsWith('at ')) : undefined;
    state.error = `check threw: ${err instanceof Error ? err.message : String(err)}${frame ? ` (${frame.trim()})` : ''}`;
  } finally {
    state.ms += performance.now() - t0;
  }
}
