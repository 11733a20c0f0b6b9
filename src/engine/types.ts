// The check contract: what a check module (checks/<id>/index.ts, or an external module loaded with
// --plugin) declares and receives. Public through `kubectl-checkup/check` (src/check.ts).
// Checks are pure: they receive objects through visitors, report findings as data, and never do I/O,
// print, or read the clock (ctx.now comes from the API server's Date header, or the snapshot).
import type { KubeObject, ApiKind, KindTypes } from '../kube/resources.js';
import type { ProbeName, ProbeValues } from '../node/probes.js';
import type { NodeProbeResults, ProbeInputs, ProbeOutcome } from '../node/node-source.js';
import type { EffectiveConfig } from '../node/kubelet-config.js';
import type { NodeDisk } from '../node/node-disk.js';
import type { Exposition } from '../metrics/prometheus-text.js';

export type { KubeObject, ApiKind, KindTypes, ProbeName, ProbeValues, NodeProbeResults, ProbeInputs, ProbeOutcome, EffectiveConfig, NodeDisk, Exposition };

/** Contract (DESIGN §2.3): how bad a finding is. */
export type Severity = 'critical' | 'warning' | 'info';

/** Contract (DESIGN §2.3): how a check run ended. */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'error';

/** Contract (DESIGN §2.4): the built-in ids, stable forever. A new built-in check adds its id here. */
export const BUILTIN_CHECK_IDS = [
  'syn-backlog', 'arp-neighbor-overflow', 'cni0-bridge-mismatch', 'kubelet-gc', 'evicted-pods',
  'missing-probes', 'hostpath-log-growth', 'graceful-termination', 'jvm-container-memory',
  'cpu-throttling-kernel', 'grpc-load-imbalance', 'node-heartbeat', 'etcd-health', 'object-scale',
  'node-imbalance', 'apiserver-health', 'apiservice-availability', 'conntrack-table',
] as const;

/** A built-in id, or an external check's `<scope>/<name>` (one slash, so never a built-in's). */
export type CheckId = string;

/** What a finding is about: the thing the on-call person has to change. */
export interface Target {
  kind: string; // 'Node' | 'Cluster' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Pod' | 'Service' | …
  name: string;
  namespace?: string;
  container?: string;
}

export interface Remediation {
  summary: string;
  steps?: string[];
}

/** What a check passes to ctx.report(); the engine adds `check` and `fingerprint`. */
export interface FindingInput {
  /** The rule within the check: a key of CheckDefinition.rules (suppressions, SARIF and baselines refer to it). */
  rule: string;
  severity: Severity;
  target: Target;
  message: string;
  /** Plain data (numbers as numbers) that lets a reader verify the message. */
  evidence?: Record<string, unknown>;
  expected?: string;
  actual?: string;
  remediation: Remediation;
  docs?: string;
}

/** Where an object came from when it was read from a manifest file (DESIGN §2.5). */
export interface SourceLocation {
  file: string;
  line: number;
  /** The chart template a Helm `# Source:` comment names. */
  source?: string;
}

export interface Finding extends FindingInput {
  check: CheckId;
  /** Stable hash of check, rule, cluster identity, target and container (DESIGN §2.5). */
  fingerprint?: string;
  location?: SourceLocation;
}

/** One API list a check needs. Checks must still filter what they receive: when two checks ask for
 * the same kind with different selectors, the engine lists the kind once, unfiltered. */
export interface ApiNeed {
  kind: ApiKind;
  /** Server-side field selector, e.g. 'status.phase=Failed'. */
  fieldSelector?: string;
  /** Optional data (e.g. events used only as evidence): a failure to list it is a gap, not a skip. */
  optional?: boolean;
  /** Node-level checks need some namespaced data whatever -n says (the kubelet writes node events to
   * `default`, sandbox failures to the pod's namespace): this check then gets every namespace. */
  allNamespaces?: boolean;
  /** The check reads objectBytes() of these objects (their size as received): the client then
   * measures every page it receives, a pass over its bytes that other checks need not pay for. */
  sizes?: boolean;
  /** Read only to make sense of node data (which pod a network namespace belongs to, say): when no
   * node is read (--no-ssh) the check is not sent these objects, nor are they listed for it. */
  onlyWithNodes?: boolean;
}

/** One node probe a check needs (src/node/probes.ts). A probe named plainly is required: a node
 * without its data cannot be judged. `optional` probes are evidence: their failures are only gaps. */
export interface ProbeNeed {
  probe: ProbeName;
  optional?: boolean;
}

/** Facts about a node that have several sources, resolved once by the engine (src/engine/node-facts.ts)
 * so every check sees the same answer and where it came from. */
export type NodeFactName = 'kubeletConfig' | 'nodeDisk';

/** A node fact a check needs. From the kubelet through the API server first; over SSH (the config file,
 * df) when the API server cannot say — unless `apiOnly`, for facts that are only evidence and not worth
 * an SSH session of their own. */
export interface NodeFactNeed {
  fact: NodeFactName;
  apiOnly?: boolean;
}

export interface CheckNeeds {
  api?: (ApiKind | ApiNeed)[];
  probes?: (ProbeName | ProbeNeed)[];
  nodeFacts?: (NodeFactName | NodeFactNeed)[];
  /** The API server's /metrics, scraped twice --sample-interval apart: the metric families the check
   * reads (only those are kept). Unless optional, no metrics (403, not served) skips the check. */
  apiserverMetrics?: { families: string[]; optional?: boolean };
}

/** The API server's metrics as a check receives them: one or two parsed scrapes (two when
 * --sample-interval > 0), or why there are none. */
export type ApiserverMetrics =
  | { ok: true; scrapes: Exposition[]; intervalSeconds: number }
  | { ok: false; reason: string };

/** The node facts a check asked for, for one node. */
export interface NodeFacts {
  node: string;
  /** The kubelet's effective settings: configz, else its config file over SSH, else the defaults of
   * its version; `source` and `sourceDetail` say which, `notes` why a better source was not used. */
  kubeletConfig?: EffectiveConfig;
  /** The node's filesystems: the Summary API (the eviction manager's numbers), else df over SSH. */
  nodeDisk?: NodeDisk;
  /** Why nodeDisk is missing or came from a lesser source. */
  nodeDiskNotes?: string[];
}

export interface CheckSettings {
  /** Seconds between the two samples of rate counters (0 = one sample only). */
  sampleIntervalSeconds: number;
  /** Namespace the run is restricted to, or undefined for all namespaces. */
  namespace?: string;
}

/** One tunable threshold of a check (config file `settings.<check>.<key>`, DESIGN §2.7). Each is
 * documented in the check's README; the default is today's behaviour. */
export interface SettingSpec {
  type: 'number' | 'boolean' | 'string';
  default: number | boolean | string;
  description: string;
  min?: number;
  max?: number;
}

export type SettingValues = Record<string, number | boolean | string>;

export interface CheckContext {
  /** "Now" as the cluster sees it (API server Date header; the snapshot's collection time offline). */
  now: Date;
  settings: CheckSettings;
  /** This check's settings (CheckDefinition.settings): the config file's values over the defaults. */
  options: SettingValues;
  report(finding: FindingInput): void;
}

/**
 * What a check does with the data, called by the engine in this order (guaranteed):
 * 1. One visitor per API kind, once per object as the pages stream in. Kinds arrive in the order of
 *    RESOURCES in src/kube/resources.ts (Node, Namespace, … Pod, Event, …), each kind complete before
 *    the next, so a visitor may rely on every earlier kind having been seen.
 * 2. After all lists: `ApiserverMetrics` once (checks that asked for them), then `wantsNodeFacts(node)`
 *    and `probeInputs(node)` for each node to collect.
 * 3. Per node, in the order nodes finish (not by name): `NodeFacts` then `NodeProbes` (the latter
 *    only for nodes that were reached). A node that is not reached still gets its NodeFacts.
 * 4. `finish()` once, after every node; it may return `{ skip }` (the check could not judge after all,
 *    e.g. no etcd reachable) or `{ note }` (what it judged from instead).
 * A visitor that throws stops this check only (status `error`); the run goes on.
 */
export type Visitors = {
  [K in ApiKind]?: (obj: KindTypes[K]) => void;
} & {
  /** Whether this check needs the node facts of `node` (default yes): saying no saves the kubelet
   * requests for nodes the check has nothing to decide about. */
  wantsNodeFacts?: (node: string) => boolean;
  /** Data for probes that take input (ProbeDefinition.takesInput), per node: e.g. the hostPath
   * directories of the pods on that node. It travels as data, never code. */
  /** Called once after the API lists, before any node, when the check asked for apiserverMetrics. */
  ApiserverMetrics?: (metrics: ApiserverMetrics) => void;
  probeInputs?: (node: string) => ProbeInputs;
  NodeFacts?: (facts: NodeFacts) => void;
  NodeProbes?: (results: NodeProbeResults) => void;
  /** May say the check could not judge after all (`skip`, e.g. no etcd reachable) or add a `note`
   * to its result (what it judged from instead). */
  finish?: () => void | { skip?: string; note?: string };
};

/** The words of a finding: everything a person reads, as opposed to what the check decided. */
export interface Wording {
  message: string;
  expected?: string;
  actual?: string;
  remediation: Remediation;
  docs?: string;
}

/** One rule of a check: a distinct problem it reports, with a stable id (the key in `rules`). */
export interface RuleMeta {
  /** One sentence on what the rule finds, for `explain`, SARIF and the config file's users. */
  description: string;
  /** The finding's words from the data the decision found (ESLint's `messages`): decisions say which
   * rule and with what data, the wording of each rule stays in one place. Used through `reporter`. */
  message?: (data: any) => Wording;
}

type WordedRules = Record<string, { message: (data: never) => Wording }>;

/**
 * Reports findings in words kept with the rules: `const report = reporter(ctx, rules)`, then
 * `report('noMemoryLimit', { severity: 'warning', target, evidence }, data)`. The rule id and the
 * data are type-checked against the rule's `message`.
 */
export function reporter<R extends WordedRules>(ctx: CheckContext, rules: R) {
  return <K extends keyof R & string>(rule: K, decision: Omit<FindingInput, 'rule' | keyof Wording>, data: Parameters<R[K]['message']>[0]): void => {
    ctx.report({ ...decision, rule, ...rules[rule]!.message(data as never) });
  };
}

/** What `reporter(ctx, rules)` returns, for helpers that report: `(say: Reporter<typeof rules>) => …`. */
export type Reporter<R extends WordedRules> = ReturnType<typeof reporter<R>>;

export interface CheckDefinition {
  id: CheckId;
  /** The desired state, e.g. "Workloads have readiness and liveness probes". */
  title: string;
  /** The worst severity this check can report (shown by `list`). */
  severity: Severity;
  /** One paragraph for `explain`; the README in the check's folder has the rest. */
  description: string;
  /** Every rule the check can report, keyed by its camelCase id. Reporting another id is a bug. */
  rules: Record<string, RuleMeta>;
  needs: CheckNeeds;
  /** True when the check judges only what manifests hold (object specs), so it runs on `-f` input
   * (DESIGN §2.10); other checks are skipped there with "needs a live cluster". */
  manifests?: boolean;
  /** Tunable thresholds, keyed by setting name (camelCase). */
  settings?: Record<string, SettingSpec>;
  /** The long text `explain` prints (Markdown). Built-in checks keep it in checks/<id>/README.md. */
  readme?: string;
  create(ctx: CheckContext): Visitors;
}

/** Identity helper: gives check modules type inference and one import. */
export function defineCheck(def: CheckDefinition): CheckDefinition {
  return def;
}

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  reason: string | null;
  durationMs: number;
}

/** Data that could not be collected. Reported in the summary, never a crash. */
export type Gap =
  | { source: 'api'; resource: string; reason: string }
  | { source: 'ssh' | 'pod'; node: string; reason: string; probe?: string };

/** Shorthand for probes that are evidence only: `probes: ['netstat', ...optional('sysctls')]`. */
export function optional(...probes: ProbeName[]): ProbeNeed[] {
  return probes.map((probe) => ({ probe, optional: true }));
}
