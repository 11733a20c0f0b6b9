// The public contract between the engine and check modules (checks/<id>/index.ts).
// Checks are pure: they receive objects through visitors, report findings as data, and never do I/O,
// print, or read the clock (ctx.now comes from the API server's Date header, or the snapshot).
import type { KubeObject, ApiKind, KindTypes } from '../kube/resources.js';
import type { ProbeName, ProbeValues } from '../node/probes.js';
import type { ProbeInputs } from './source.js';
import type { Exposition } from '../metrics/prometheus-text.js';

export type { KubeObject, ApiKind, KindTypes, ProbeName, ProbeValues };

/** Contract (DESIGN §2.3): how bad a finding is. */
export type Severity = 'critical' | 'warning' | 'info';

/** Contract (DESIGN §2.3): how a check run ended. */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'error';

/** Contract (DESIGN §2.4): stable forever. A new check adds its id here first. */
export const CHECK_IDS = [
  'syn-backlog', 'arp-neighbor-overflow', 'cni0-bridge-mismatch', 'kubelet-gc', 'evicted-pods',
  'missing-probes', 'hostpath-log-growth', 'graceful-termination', 'jvm-container-memory',
  'cpu-throttling-kernel', 'grpc-load-imbalance', 'node-heartbeat', 'etcd-health', 'object-scale',
  'node-imbalance', 'apiserver-health', 'apiservice-availability',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

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
  /** The rule within the check (camelCase, stable: suppressions, SARIF and baselines refer to it). */
  rule?: string;
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
}

export interface CheckNeeds {
  api?: (ApiKind | ApiNeed)[];
  /** Named node probes (src/node/probes.ts), collected over SSH in one session per node. */
  probes?: ProbeName[];
  /** The check can decide from API data alone (e.g. events), so it runs even when no node was
   * reached; its result then says that node data was not collected. */
  probesOptional?: boolean;
  /** Probes without which a node cannot be judged (e.g. the counters of a counter check). When one
   * of them failed on every reached node the check is `skip` with that reason, never a silent pass;
   * when it failed on some, the result says on how many. */
  essentialProbes?: ProbeName[];
  /** Kubelet endpoints read through the API server's node proxy (GET /api/v1/nodes/<n>/proxy/<path>),
   * for every node, with or without SSH. Optional data: forbidden → a gap, the check falls back. */
  nodeApi?: NodeApiPath[];
  /** The API server's /metrics, scraped twice --sample-interval apart: the metric families the check
   * reads (only those are kept). Unless optional, no metrics (403, not served) skips the check. */
  apiserverMetrics?: { families: string[]; optional?: boolean };
}

/** The API server's metrics as a check receives them: one or two parsed scrapes (two when
 * --sample-interval > 0), or why there are none. */
export type ApiserverMetrics =
  | { ok: true; scrapes: Exposition[]; intervalSeconds: number }
  | { ok: false; reason: string };

export type NodeApiPath = 'configz' | 'stats/summary';

/** Kubelet endpoints of one node, read through the API server. */
export interface NodeApiResults {
  node: string;
  endpoints: { [P in NodeApiPath]?: ProbeOutcome<unknown> };
}

/** A probe result as a check sees it: parsed value, or the reason it is missing. */
export type ProbeOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Everything collected from one node over SSH. */
export interface NodeProbeResults {
  node: string;
  probes: { [P in ProbeName]?: ProbeOutcome<ProbeValues[P]> };
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

/** Per-kind visitors, called once per object as pages stream in, then NodeProbes per node, then finish. */
export type Visitors = {
  [K in ApiKind]?: (obj: KindTypes[K]) => void;
} & {
  /** Called per node after all API lists, before any SSH (kubelet endpoints via the API server). */
  NodeApi?: (results: NodeApiResults) => void;
  /** Called once after the API lists when the check asked for apiserverMetrics. */
  ApiserverMetrics?: (metrics: ApiserverMetrics) => void;
  /** Data for probes that take input (ProbeDefinition.takesInput), per node, asked for after the API
   * phase: e.g. the hostPath directories of the pods on that node. It travels as data, never code. */
  probeInputs?: (node: string) => ProbeInputs;
  NodeProbes?: (results: NodeProbeResults) => void;
  /** May say the check could not judge after all (`skip`, e.g. no etcd reachable) or add a `note`
   * to its result (what it judged from instead). */
  finish?: () => void | { skip?: string; note?: string };
};

export interface CheckDefinition {
  id: CheckId;
  /** The desired state, e.g. "Workloads have readiness and liveness probes". */
  title: string;
  /** The worst severity this check can report (shown by `list`). */
  severity: Severity;
  /** One paragraph for `explain`; the README in the check's folder has the rest. */
  description: string;
  needs: CheckNeeds;
  /** True when the check judges only what manifests hold (object specs), so it runs on `-f` input
   * (DESIGN §2.10); other checks are skipped there with "needs a live cluster". */
  manifests?: boolean;
  /** Tunable thresholds, keyed by setting name (camelCase). */
  settings?: Record<string, SettingSpec>;
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
  | { source: 'ssh'; node: string; reason: string; probe?: string };
