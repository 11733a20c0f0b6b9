// The engine: plan → collect (API, then nodes) → evaluate (streamed through the checks) → results.
// Objects are never accumulated here: each page goes through every interested check and is dropped.
import { performance } from 'node:perf_hooks';
import type { ApiKind, KubeObject } from '../kube/resources.js';
import type { V1Node } from '@kubernetes/client-node';
import { parseNodeCollection, reduceNodeCollection } from '../node/parse-collection.js';
import { collectNodeApi } from './node-api.js';
import { planCollection } from './plan.js';
import { ResourceUnavailable, type ApiSource, type ClusterInfo, type NodeSource, type NodeTarget, type ProbeInputs, type Recorder } from './source.js';
import type { ProbeName } from '../node/probes.js';
import type {
  CheckDefinition, CheckId, CheckResult, CheckSettings, Finding, Gap, NodeApiResults, NodeProbeResults, SettingValues, Visitors,
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
}

export interface RunOutput {
  cluster: ClusterInfo;
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
  note?: string;
  /** Essential probe → the failure reasons, one per reached node where it failed. */
  missingEssential: Record<string, string[]>;
  /** Set when an essential probe failed on every reached node. */
  essentialMissing?: string;
}

export async function runChecks(input: RunInput): Promise<RunOutput> {
  const { checks, api, scope } = input;
  const progress = input.progress ?? (() => {});
  const { cluster, now } = await api.open();
  const plan = planCollection(checks);
  const gaps: Gap[] = [];

  const states = new Map<CheckId, CheckState>();
  for (const def of checks) {
    const state: CheckState = { def, visitors: {}, findings: [], ms: 0, missingEssential: {} };
    states.set(def.id, state);
    call(state, () => {
      state.visitors = def.create({
        now,
        settings: input.settings,
        options: resolveOptions(def, input.checkOptions?.[def.id]),
        report: (f) => state.findings.push({ check: def.id, ...f }),
      });
    });
  }

  const nodeTargets: NodeTarget[] = [];
  for (const list of plan.lists) {
    const kind = list.info.kind;
    const consumers = [...list.consumers].map((id) => states.get(id)!);
    // With -n, a kind some check needs from every namespace is listed cluster-wide; the other checks
    // still see only the chosen namespace.
    const wide = Boolean(scope.namespace) && list.info.namespaced && !list.info.fixedNamespace && list.allNamespaces.size > 0;
    const sees = (state: CheckState, obj: KubeObject) => !wide || list.allNamespaces.has(state.def.id) || obj.metadata?.namespace === scope.namespace;
    let count = 0;
    try {
      const req = {
        info: list.info,
        namespace: list.info.namespaced && !wide ? scope.namespace : undefined,
        fieldSelector: list.fieldSelector,
        labelSelector: list.info.honoursLabelSelector ? scope.labelSelector : undefined,
      };
      await input.recorder?.startList(req);
      for await (const page of api.list(req)) {
        await input.recorder?.page(kind, page);
        for (const obj of page) {
          if (kind === 'Node') collectNodeTarget(obj as V1Node, scope, nodeTargets);
          for (const state of consumers) if (sees(state, obj)) visit(state, kind, obj);
        }
        count += page.length;
        progress({ type: 'list', kind, count });
      }
    } catch (err) {
      if (!(err instanceof ResourceUnavailable)) throw err;
      gaps.push({ source: 'api', resource: err.resource, reason: err.reason });
      for (const id of list.requiredBy) {
        const s = states.get(id)!;
        s.skip ??= `${err.reason}: ${err.resource}`;
      }
    }
  }

  if (plan.nodeApi.length && nodeTargets.length) {
    const deliver = (results: NodeApiResults) => {
      for (const s of states.values()) {
        const fn = s.visitors.NodeApi;
        if (fn && !s.error) call(s, () => fn(results));
      }
    };
    for (const g of await collectNodeApi(api, plan.nodeApi, nodeTargets, deliver, input.recorder)) gaps.push(g);
  }

  let reached = 0;
  const nodeTotal = plan.probes.length ? nodeTargets.length : 0;
  if (plan.probes.length) {
    const probeStates = [...plan.probeChecks].map((id) => states.get(id)!);
    if (nodeTargets.length && input.nodes) {
      let done = 0;
      progress({ type: 'nodes', done, total: nodeTargets.length });
      const inputs = (node: string) => mergeProbeInputs(probeStates, node);
      for await (const raw of input.nodes.collect(nodeTargets, plan.probes, inputs)) {
        const collection = reduceNodeCollection(raw);
        await input.recorder?.node(collection);
        done++;
        progress({ type: 'nodes', done, total: nodeTargets.length, node: collection.node });
        if (!collection.reached) {
          gaps.push({ source: 'ssh', node: collection.node, reason: collection.reason });
          continue;
        }
        reached++;
        const results = parseNodeCollection(collection, plan.probes);
        for (const [probe, outcome] of Object.entries(results.probes)) {
          if (!outcome.ok) gaps.push({ source: 'ssh', node: collection.node, probe, reason: outcome.reason });
        }
        for (const s of probeStates) {
          deliverProbes(s, results);
          for (const probe of s.def.needs.essentialProbes ?? []) {
            const outcome = results.probes[probe];
            if (outcome && !outcome.ok) (s.missingEssential[probe] ??= []).push(outcome.reason);
          }
        }
      }
    }
    const note = !nodeTargets.length ? (scope.nodeFilter ? 'no node matches --nodes' : 'no nodes to probe')
      : !input.nodes ? `node checks not evaluated: ${input.noNodesReason ?? '--no-ssh'}`
      : reached < nodeTargets.length ? `node data from ${reached} of ${nodeTargets.length} nodes (see gaps)`
      : undefined;
    for (const s of probeStates) {
      if (note) {
        if (reached === 0 && plan.probeRequired.has(s.def.id)) s.skip ??= note;
        else s.note = note;
      }
      for (const [probe, reasons] of Object.entries(s.missingEssential)) {
        // Skipped only if nothing else could be judged: findings from other probes still stand.
        if (reasons.length === reached && reached > 0 && plan.probeRequired.has(s.def.id)) s.essentialMissing ??= `${probe}: ${reasons[0]}`;
        else s.note = [s.note, `no ${probe} data from ${reasons.length} of ${reached} reached nodes (see gaps)`].filter(Boolean).join('; ');
      }
    }
  }

  progress({ type: 'evaluate' });
  for (const state of states.values()) {
    if (!state.skip && state.visitors.finish) call(state, () => state.visitors.finish!());
  }

  const results: CheckResult[] = [];
  const findings: Finding[] = [];
  for (const s of states.values()) {
    if (s.essentialMissing) {
      if (s.findings.length) s.note = [s.note, s.essentialMissing].filter(Boolean).join('; ');
      else s.skip ??= s.essentialMissing;
    }
    const status = s.error ? 'error' : s.skip ? 'skip' : s.findings.some((f) => f.severity !== 'info') ? 'fail' : 'pass';
    // No spread: a check on a big cluster can report more findings than a call takes arguments.
    if (status === 'pass' || status === 'fail') for (const f of s.findings) findings.push(f);
    results.push({
      id: s.def.id,
      title: s.def.title,
      status,
      reason: s.error ?? s.skip ?? s.note ?? null,
      durationMs: Math.round(s.ms),
    });
  }
  return { cluster, now, results, findings, gaps, nodes: { total: nodeTotal, reached } };
}

/** A check's settings: the given values over the defaults its definition declares. */
export function resolveOptions(def: CheckDefinition, given: SettingValues | undefined): SettingValues {
  const out: SettingValues = Object.create(null);
  for (const [key, spec] of Object.entries(def.settings ?? {})) out[key] = given?.[key] ?? spec.default;
  return out;
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
  out.push({ name, addresses: (node.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })) });
}

function visit(state: CheckState, kind: ApiKind, obj: KubeObject): void {
  const fn = state.visitors[kind] as ((o: KubeObject) => void) | undefined;
  if (fn && !state.error) call(state, () => fn(obj));
}

function deliverProbes(state: CheckState, results: NodeProbeResults): void {
  const fn = state.visitors.NodeProbes;
  if (fn && !state.error) call(state, () => fn(results));
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
