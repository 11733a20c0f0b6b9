// --save-snapshot DIR: records what a live run collected, as it streams past (format: FORMAT.md).
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { ClusterInfo, KubeletPath, ListRequest, MetricsCollection, NodeCollection, Recorder } from '../engine/source.js';
import { objectBytes } from '../kube/object-size.js';
import type { Gap } from '../engine/types.js';
import type { ApiKind, KubeObject } from '../kube/resources.js';
import { SNAPSHOT_API_VERSION, nodeFileName, type SnapshotMeta } from './format.js';

export class SnapshotWriter implements Recorder {
  private readonly streams = new Map<ApiKind, WriteStream>();

  private prepared = false;

  /** Checks the folder up front; nothing is written until the first data arrives, so a run that
   * cannot reach the cluster leaves the folder as it was. */
  constructor(private readonly dir: string) {
    if (existsSync(dir) && readdirSync(dir).length && !existsSync(join(dir, 'snapshot.json'))) {
      throw new UsageError(`--save-snapshot ${dir}: the folder exists and is not an earlier snapshot; name a new or empty folder`);
    }
  }

  /** An earlier snapshot in the folder is replaced whole: no stale kind or node survives into this one. */
  private prepare(): void {
    if (this.prepared) return;
    for (const part of ['api', 'nodes', 'metrics', 'snapshot.json']) rmSync(join(this.dir, part), { recursive: true, force: true });
    mkdirSync(join(this.dir, 'api'), { recursive: true });
    mkdirSync(join(this.dir, 'nodes'), { recursive: true });
    this.prepared = true;
  }

  private readonly lists: NonNullable<SnapshotMeta['lists']> = {};

  /** Opens the kind's file even if no page follows: an empty list is recorded as listed-and-empty. */
  async startList(req: ListRequest): Promise<void> {
    const { namespace, fieldSelector, labelSelector } = req;
    if (namespace || fieldSelector || labelSelector) {
      this.lists[req.info.kind] = { ...(namespace ? { namespace } : {}), ...(fieldSelector ? { fieldSelector } : {}), ...(labelSelector ? { labelSelector } : {}) };
    }
    await this.page(req.info.kind, []);
  }

  async page(kind: ApiKind, items: KubeObject[]): Promise<void> {
    this.prepare();
    let out = this.streams.get(kind);
    if (!out) {
      out = createWriteStream(join(this.dir, 'api', `${kind}.jsonl`));
      this.streams.set(kind, out);
    }
    for (const item of items) {
      if (!out.write(JSON.stringify(slim(item)) + '\n')) await once(out, 'drain');
    }
  }

  private readonly nodeApiDocs = new Map<string, Record<string, unknown>>();

  async nodeApi(node: string, path: KubeletPath, outcome: { ok: true; value: unknown } | { ok: false; reason: string }): Promise<void> {
    this.prepare();
    const doc = this.nodeApiDocs.get(node) ?? {};
    doc[path] = outcome;
    this.nodeApiDocs.set(node, doc);
    writeFileSync(join(this.dir, 'nodes', nodeFileName(node).replace(/\.json$/, '.api.json')), JSON.stringify(doc) + '\n');
  }

  /** The API server's /metrics scrapes as served (a replay parses them again, like node output). */
  async metrics(collection: MetricsCollection): Promise<void> {
    this.prepare();
    mkdirSync(join(this.dir, 'metrics'), { recursive: true });
    writeFileSync(join(this.dir, 'metrics', 'apiserver.json'), JSON.stringify(collection) + '\n');
  }

  async node(collection: NodeCollection): Promise<void> {
    this.prepare();
    writeFileSync(join(this.dir, 'nodes', nodeFileName(collection.node)), JSON.stringify(collection, null, 1) + '\n');
  }

  async finish(meta: { cluster: ClusterInfo; identity: string; transport?: 'ssh' | 'pod'; now: Date; gaps: Gap[]; scope: SnapshotMeta['scope']; toolVersion: string }): Promise<void> {
    this.prepare();
    await Promise.all([...this.streams.values()].map((s) => new Promise((resolve) => s.end(resolve))));
    const doc: SnapshotMeta = {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: 'Snapshot',
      tool: { name: 'kubectl-checkup', version: meta.toolVersion },
      cluster: meta.cluster,
      identity: meta.identity,
      ...(meta.transport === 'pod' ? { transport: meta.transport } : {}),
      collectedAt: meta.now.toISOString(),
      scope: meta.scope,
      kinds: [...this.streams.keys()],
      ...(Object.keys(this.lists).length ? { lists: this.lists } : {}),
      gaps: meta.gaps,
    };
    writeFileSync(join(this.dir, 'snapshot.json'), JSON.stringify(doc, null, 2) + '\n');
  }
}

/** Objects this big are saved whole, so a replay measures the size the API server sent (object-scale). */
const KEEP_WHOLE_BYTES = 512 * 1024;

/** Drops what no check reads and that only bloats a snapshot: managedFields and the
 * last-applied-configuration annotation (a full copy of the object). */
function slim(obj: KubeObject): KubeObject {
  if ((objectBytes(obj) ?? 0) >= KEEP_WHOLE_BYTES) return obj;
  const meta = obj.metadata;
  if (!meta || (!meta.managedFields && !meta.annotations?.['kubectl.kubernetes.io/last-applied-configuration'])) return obj;
  const { managedFields: _drop, ...rest } = meta;
  const annotations = rest.annotations ? { ...rest.annotations } : undefined;
  if (annotations) delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  return { ...obj, metadata: { ...rest, ...(annotations ? { annotations } : {}) } } as KubeObject;
}
