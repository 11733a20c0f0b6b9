// Where the engine's data comes from: a live cluster (src/kube, src/node) or a saved snapshot
// (src/snapshot). Both deliver the same raw data through the same interfaces, page by page.
import type { ApiKind, KubeObject, ResourceInfo } from '../kube/resources.js';
import type { ProbeName } from '../node/probes.js';
import type { RawSample } from '../node/probe-types.js';
import type { NodeApiPath } from './types.js';

export interface ClusterInfo {
  context: string | null;
  server: string | null;
  version: string | null;
}

export interface ListRequest {
  info: ResourceInfo;
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Record each object's size as received (objectBytes()): some check judges it. */
  measureBytes?: boolean;
}

/** A list that could not be read; `reason` is short and human ("forbidden", "timed out after 30s"). */
export class ResourceUnavailable extends Error {
  constructor(readonly resource: string, readonly reason: string) {
    super(`${resource}: ${reason}`);
  }
}

export interface ApiSource {
  /** Connects (or opens the snapshot) and returns what the report says about the cluster, and "now". */
  open(): Promise<{ cluster: ClusterInfo; now: Date }>;
  /** Pages of raw objects. Throws ResourceUnavailable when the list cannot be read. */
  list(req: ListRequest): AsyncIterable<KubeObject[]>;
  /** GET /api/v1/nodes/<node>/proxy/<path> (kubelet configz, stats/summary). Throws ResourceUnavailable. */
  getNodeProxy(node: string, path: NodeApiPath): Promise<unknown>;
  /** One scrape of the API server's /metrics, taken no sooner than `minGapMs` after `previous` (a live
   * source waits; a replay returns its next recorded scrape). Throws ResourceUnavailable. Optional:
   * a source without it has no metrics (checks that need them are skipped with the reason). */
  scrapeMetrics?(minGapMs: number, previous?: MetricsScrape): Promise<MetricsScrape>;
}

/** The Prometheus text exposition of one scrape, and when it was taken (ms, the source's clock). */
export interface MetricsScrape {
  text: string;
  at: number;
}

/** What the run got from /metrics: the scrapes in order, or why there are none. */
export type MetricsCollection = { ok: true; scrapes: MetricsScrape[] } | { ok: false; reason: string };

/** A node to reach over SSH, with what the API says about it. */
export interface NodeTarget {
  name: string;
  addresses: { type: string; address: string }[];
}

/** The raw result of one node's probe session. Parsing happens in the engine, so a snapshot stores
 * exactly what the node printed and replays through the same parsers. */
export type NodeCollection =
  | { node: string; reached: true; intervalSeconds: number; samples: { [P in ProbeName]?: RawSample[] };
      /** Probes whose output did not arrive complete (session cut off): absent from samples, with why. */
      problems?: { probe: string; reason: string }[] }
  | { node: string; reached: false; reason: string };

/** Data some probes take per node (e.g. hostPath paths to measure), one string per line. It travels
 * to the node as data (base64 inside the script, decoded onto the fragment's stdin), never as code. */
export type ProbeInputs = { [P in ProbeName]?: string[] };

export interface NodeSource {
  /** Runs the probes on the nodes (bounded concurrency) and yields each node as it finishes. */
  collect(nodes: NodeTarget[], probes: ProbeName[], inputs?: (node: string) => ProbeInputs): AsyncIterable<NodeCollection>;
}

/** Receives everything collected, to save a snapshot (--save-snapshot). */
export interface Recorder {
  /** A list starts: how it was asked for (a replay must not answer a broader question with it). */
  startList(req: ListRequest): Promise<void>;
  page(kind: ApiKind, items: KubeObject[]): Promise<void>;
  nodeApi(node: string, path: NodeApiPath, outcome: { ok: true; value: unknown } | { ok: false; reason: string }): Promise<void>;
  node(collection: NodeCollection): Promise<void>;
  /** The API server's /metrics scrapes (optional: recorders written before metrics ignore them). */
  metrics?(collection: MetricsCollection): Promise<void>;
}
