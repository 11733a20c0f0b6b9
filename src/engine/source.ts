// Where the engine's data comes from: a live cluster (src/kube, src/node) or a saved snapshot
// (src/snapshot). Both deliver the same raw data through the same interfaces, page by page.
import type { ApiKind, KubeObject, ResourceInfo } from '../kube/resources.js';
import type { NodeCollection } from '../node/node-source.js';

/** Kubelet endpoints read through the API server's node proxy (GET /api/v1/nodes/<n>/proxy/<path>). */
export type KubeletPath = 'configz' | 'stats/summary';

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
  /** Connects (or opens the snapshot) and returns what the report says about the cluster, "now", and
   * the cluster's identity for fingerprints (the kube-system Namespace UID when readable). */
  open(): Promise<{ cluster: ClusterInfo; now: Date; identity?: string }>;
  /** Pages of raw objects. Throws ResourceUnavailable when the list cannot be read. */
  list(req: ListRequest): AsyncIterable<KubeObject[]>;
  /** GET /api/v1/nodes/<node>/proxy/<path> (kubelet configz, stats/summary). Throws ResourceUnavailable. */
  getNodeProxy(node: string, path: KubeletPath): Promise<unknown>;
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

/** Receives everything collected, to save a snapshot (--save-snapshot). */
export interface Recorder {
  /** A list starts: how it was asked for (a replay must not answer a broader question with it). */
  startList(req: ListRequest): Promise<void>;
  page(kind: ApiKind, items: KubeObject[]): Promise<void>;
  nodeApi(node: string, path: KubeletPath, outcome: { ok: true; value: unknown } | { ok: false; reason: string }): Promise<void>;
  node(collection: NodeCollection): Promise<void>;
  /** The API server's /metrics scrapes (optional: recorders written before metrics ignore them). */
  metrics?(collection: MetricsCollection): Promise<void>;
}
