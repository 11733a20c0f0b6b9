// In-memory sources: objects and raw node output held in memory. Used by the check tests and by
// anything that already has the data (the snapshot loader streams instead).
import { resourceName, type ApiKind, type KubeObject } from '../kube/resources.js';
import { recordObjectBytes } from '../kube/object-size.js';
import type { RawSample } from '../node/probe-types.js';
import type { ProbeName } from '../node/probes.js';
import { ResourceUnavailable, type ApiSource, type ClusterInfo, type KubeletPath, type ListRequest, type MetricsScrape } from './source.js';
import type { NodeCollection, NodeSource, NodeTarget } from '../node/node-source.js';

export type ObjectsByKind = { [K in ApiKind]?: KubeObject[] };

export function memoryApiSource(objects: ObjectsByKind, opts: {
  now?: Date; cluster?: Partial<ClusterInfo>; identity?: string; unavailable?: { [K in ApiKind]?: string }; pageSize?: number;
  /** Kubelet endpoints per node, or a reason (e.g. 'forbidden') for one node or for all of them. */
  nodeProxy?: string | Record<string, string | { [P in KubeletPath]?: unknown }>;
  /** Counts node proxy requests (tests). */
  onNodeProxy?: (node: string, path: KubeletPath) => void;
  /** The API server's /metrics texts, one per scrape (the last repeats), or why it is unavailable. */
  metrics?: string[] | string;
} = {}): ApiSource {
  const pageSize = opts.pageSize ?? 500;
  let scrapes = 0;
  return {
    async scrapeMetrics(minGapMs: number, previous?: MetricsScrape): Promise<MetricsScrape> {
      if (opts.metrics === undefined) throw new ResourceUnavailable('/metrics', 'not found (404)');
      if (typeof opts.metrics === 'string') throw new ResourceUnavailable('/metrics', opts.metrics);
      const text = opts.metrics[Math.min(scrapes++, opts.metrics.length - 1)]!;
      // No waiting in memory: the clock moves by the gap asked for.
      return { text, at: previous ? previous.at + minGapMs : 0 };
    },
    async open() {
      return { cluster: { context: null, server: null, version: null, ...opts.cluster }, now: opts.now ?? new Date(), identity: opts.identity };
    },
    async *list(req: ListRequest) {
      const reason = opts.unavailable?.[req.info.kind];
      if (reason) throw new ResourceUnavailable(resourceName(req.info), reason);
      const all = (objects[req.info.kind] ?? []).filter((o) => !req.namespace || o.metadata?.namespace === req.namespace);
      // Objects held in memory are raw JSON: their size is what the API server would have sent.
      if (req.measureBytes) for (const o of all) recordObjectBytes(o, Buffer.byteLength(JSON.stringify(o)));
      for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
    },
    async getNodeProxy(node: string, path: KubeletPath) {
      opts.onNodeProxy?.(node, path);
      if (typeof opts.nodeProxy === 'string') throw new ResourceUnavailable('nodes/proxy', opts.nodeProxy);
      const pages = opts.nodeProxy?.[node];
      if (typeof pages === 'string') throw new ResourceUnavailable('nodes/proxy', pages);
      const value = pages?.[path];
      if (value === undefined) throw new ResourceUnavailable('nodes/proxy', 'not found (404)');
      return value;
    },
  };
}

/** Raw probe output per node; a string is shorthand for one sample with exit code 0. A node given as
 * a string is unreachable with that reason. */
export type RawNodes = Record<string, string | { [P in ProbeName]?: string | RawSample[] }>;

export function memoryNodeSource(nodes: RawNodes, intervalSeconds = 5): NodeSource {
  return {
    async *collect(targets: NodeTarget[], probes: ProbeName[], inputs?: (node: string) => unknown): AsyncIterable<NodeCollection> {
      for (const t of targets) {
        inputs?.(t.name); // asked per node before its session, as the real transports do
        const raw = nodes[t.name];
        if (raw === undefined) { yield { node: t.name, reached: false, reason: 'no data for this node' }; continue; }
        if (typeof raw === 'string') { yield { node: t.name, reached: false, reason: raw }; continue; }
        const samples: { [P in ProbeName]?: RawSample[] } = {};
        for (const p of probes) {
          const v = raw[p];
          if (v === undefined) continue;
          samples[p] = typeof v === 'string' ? [{ stdout: v, exitCode: 0 }] : v;
        }
        yield { node: t.name, reached: true, intervalSeconds, samples };
      }
    },
  };
}
