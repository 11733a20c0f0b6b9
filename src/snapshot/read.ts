// --snapshot DIR: replays a saved collection through the same streaming path as a live run.
// Objects are read line by line and handed over in pages, so memory stays bounded.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '../errors.js';
import { ResourceUnavailable, type ApiSource, type ClusterInfo, type ListRequest, type MetricsCollection, type MetricsScrape, type NodeCollection, type NodeSource, type NodeTarget } from '../engine/source.js';
import { recordObjectBytes } from '../kube/object-size.js';
import { resourceName, type KubeObject } from '../kube/resources.js';
import { parseFieldSelector, parseLabelSelector } from '../kube/selectors.js';
import type { ProbeName } from '../node/probes.js';
import type { KubeletPath } from '../engine/source.js';
import { SNAPSHOT_API_VERSION, nodeFileName, type SavedList, type SnapshotMeta } from './format.js';

const PAGE = 500;

export class SnapshotSource implements ApiSource, NodeSource {
  private meta?: SnapshotMeta;

  constructor(private readonly dir: string) {}

  /** How the nodes were reached when the snapshot was collected. */
  get transport(): 'ssh' | 'pod' {
    return this.meta?.transport === 'pod' ? 'pod' : 'ssh';
  }

  async open(): Promise<{ cluster: ClusterInfo; now: Date; identity?: string }> {
    const file = join(this.dir, 'snapshot.json');
    if (!existsSync(file)) throw new ConfigError(`--snapshot ${this.dir}: not a kubectl-checkup snapshot (no snapshot.json)`);
    let meta: SnapshotMeta;
    try {
      meta = JSON.parse(readFileSync(file, 'utf8')) as SnapshotMeta;
    } catch (err) {
      throw new ConfigError(`--snapshot ${this.dir}: snapshot.json is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (meta.apiVersion !== SNAPSHOT_API_VERSION || meta.kind !== 'Snapshot') {
      throw new ConfigError(`--snapshot ${this.dir}: snapshot.json is not a ${SNAPSHOT_API_VERSION} Snapshot`);
    }
    const now = new Date(meta.collectedAt);
    if (Number.isNaN(now.getTime())) throw new ConfigError(`--snapshot ${this.dir}: collectedAt is not a time`);
    this.meta = meta;
    return { cluster: meta.cluster, now, ...(typeof meta.identity === 'string' ? { identity: meta.identity } : {}) };
  }

  async *list(req: ListRequest): AsyncIterable<KubeObject[]> {
    const resource = resourceName(req.info);
    const gap = this.meta?.gaps.find((g) => g.source === 'api' && g.resource === resource);
    if (gap && gap.source === 'api') throw new ResourceUnavailable(resource, gap.reason);
    // Listed kinds are in `kinds` (their file may be empty); anything else was not collected.
    if (!this.meta?.kinds?.includes(req.info.kind)) throw new ResourceUnavailable(resource, 'not in the snapshot');
    const narrower = narrowerThan(this.meta.lists?.[req.info.kind], req);
    if (narrower) throw new ResourceUnavailable(resource, `the snapshot holds only ${narrower}`);
    const file = join(this.dir, 'api', `${req.info.kind}.jsonl`);
    if (!existsSync(file)) return;
    const matchesLabels = req.labelSelector ? parseLabelSelector(req.labelSelector) : () => true;
    const matchesFields = req.fieldSelector ? parseFieldSelector(req.fieldSelector) : () => true;
    const ns = req.info.fixedNamespace ?? req.namespace;
    let page: KubeObject[] = [];
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      let obj: KubeObject;
      try {
        obj = JSON.parse(text) as KubeObject;
      } catch {
        throw new ConfigError(`--snapshot ${this.dir}: api/${req.info.kind}.jsonl line ${line} is not JSON`);
      }
      if (req.info.namespaced && ns && obj.metadata?.namespace !== ns) continue;
      if (!matchesLabels(obj) || !matchesFields(obj)) continue;
      // The line is the object as the API server sent it (big objects are saved unslimmed).
      if (req.measureBytes) recordObjectBytes(obj, Buffer.byteLength(text));
      page.push(obj);
      if (page.length === PAGE) { yield page; page = []; }
    }
    if (page.length) yield page;
  }

  async getNodeProxy(node: string, path: KubeletPath): Promise<unknown> {
    const file = join(this.dir, 'nodes', nodeFileName(node).replace(/\.json$/, '.api.json'));
    let doc: Record<string, { ok: true; value: unknown } | { ok: false; reason: string }> = {};
    try {
      if (existsSync(file)) doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new ResourceUnavailable('nodes/proxy', `snapshot file ${file} is not JSON`);
    }
    const outcome = doc[path];
    if (!outcome) throw new ResourceUnavailable('nodes/proxy', 'not in the snapshot');
    if (!outcome.ok) throw new ResourceUnavailable('nodes/proxy', outcome.reason.replace(/^nodes\/proxy: /, ''));
    return outcome.value;
  }

  private metricsScrapes = 0;

  /** The recorded /metrics scrapes, in order (the gap between them is the recorded one). */
  async scrapeMetrics(): Promise<MetricsScrape> {
    const file = join(this.dir, 'metrics', 'apiserver.json');
    if (!existsSync(file)) throw new ResourceUnavailable('/metrics', 'not in the snapshot');
    let doc: MetricsCollection;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as MetricsCollection;
    } catch {
      throw new ResourceUnavailable('/metrics', 'snapshot file metrics/apiserver.json is not JSON');
    }
    if (!doc.ok) throw new ResourceUnavailable('/metrics', doc.reason);
    const scrape = doc.scrapes[this.metricsScrapes++];
    if (!scrape) throw new ResourceUnavailable('/metrics', 'the snapshot holds no further scrape');
    return scrape;
  }

  async *collect(nodes: NodeTarget[], probes: ProbeName[]): AsyncIterable<NodeCollection> {
    for (const target of nodes) {
      const file = join(this.dir, 'nodes', nodeFileName(target.name));
      if (!existsSync(file)) {
        yield { node: target.name, reached: false, reason: 'no node data in the snapshot' };
        continue;
      }
      let c: NodeCollection;
      try {
        c = JSON.parse(readFileSync(file, 'utf8')) as NodeCollection;
      } catch {
        yield { node: target.name, reached: false, reason: `snapshot file nodes/${nodeFileName(target.name)} is not JSON` };
        continue;
      }
      if (!c.reached) { yield { node: target.name, reached: false, reason: c.reason }; continue; }
      const samples = Object.fromEntries(probes.filter((p) => c.samples[p]).map((p) => [p, c.samples[p]]));
      yield { node: target.name, reached: true, intervalSeconds: c.intervalSeconds, samples, ...(c.problems ? { problems: c.problems } : {}) };
    }
  }
}

/** What a saved list left out that this request wants, e.g. "status.phase=Failed" — or undefined when
 * the saved list covers the request (the request is then narrowed client-side). */
function narrowerThan(saved: SavedList | undefined, req: ListRequest): string | undefined {
  if (!saved) return undefined;
  if (saved.namespace && saved.namespace !== (req.info.fixedNamespace ?? req.namespace)) return `namespace ${saved.namespace}`;
  if (saved.fieldSelector && saved.fieldSelector !== req.fieldSelector) return `objects with ${saved.fieldSelector} (saved for fewer checks)`;
  if (saved.labelSelector && saved.labelSelector !== req.labelSelector) return `objects with labels ${saved.labelSelector}`;
  return undefined;
}
