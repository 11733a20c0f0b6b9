// --snapshot DIR: replays a saved collection through the same streaming path as a live run.
// Objects are read line by line and handed over in pages, so memory stays bounded.
//
// A snapshot is input from anyone (a bug report, a colleague): every file is opened without blocking
// and read only if it is a regular file of a sane size (a FIFO or a device would block forever), every
// line has a length cap, and every record is checked for shape before the engine sees it. A bad
// snapshot.json is a "cannot run" error; a bad record elsewhere is a gap naming the file and line.
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { ResourceUnavailable, type ApiSource, type ClusterInfo, type ListRequest, type MetricsCollection, type MetricsScrape } from '../engine/source.js';
import type { NodeCollection, NodeSource, NodeTarget } from '../node/node-source.js';
import { recordObjectBytes } from '../kube/object-size.js';
import { resourceName, type KubeObject } from '../kube/resources.js';
import { parseFieldSelector, parseLabelSelector } from '../kube/selectors.js';
import { objectProblem } from '../kube/validate.js';
import type { ProbeName } from '../node/probes.js';
import type { KubeletPath } from '../engine/source.js';
import type { Gap } from '../engine/types.js';
import { SNAPSHOT_API_VERSION, nodeFileName, type SavedList, type SnapshotMeta } from './format.js';
import { isObject } from '../util/dict.js';

const PAGE = 500;
export const MAX_META_BYTES = 16 * 1024 * 1024;
export const MAX_NODE_FILE_BYTES = 256 * 1024 * 1024;
/** One API object per line; etcd stores at most ~1.5 MB per object. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** A file that cannot be used, with the reason in words. */
class FileProblem extends Error {}

/** Opens without blocking (a FIFO would wait for a writer) and checks that it is a regular file. */
function openRegular(path: string, maxBytes: number): { fd: number; size: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new FileProblem(code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder, not a file' : (code ?? 'cannot be opened'));
  }
  const st = fstatSync(fd);
  const problem = st.isDirectory() ? 'is a folder, not a file' : !st.isFile() ? 'is not a regular file (a pipe or a device?)'
    : st.size > maxBytes ? `is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB` : undefined;
  if (problem) { closeSync(fd); throw new FileProblem(problem); }
  return { fd, size: st.size };
}

/** A small regular file's text; undefined when it does not exist. */
function readRegular(path: string, maxBytes: number): string | undefined {
  const opened = openRegular(path, maxBytes);
  if (!opened) return undefined;
  try {
    const buf = Buffer.alloc(Math.min(opened.size, maxBytes) + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(opened.fd, buf, n, buf.length - n, null)) > 0;) n += r;
    if (n > maxBytes) throw new FileProblem(`is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(opened.fd);
  }
}

/** Lines of a regular file, each at most `maxLine` bytes (a longer one is a FileProblem). */
async function* readLines(fd: number, maxLine: number): AsyncIterable<string> {
  const stream = createReadStream('', { fd, highWaterMark: 1024 * 1024 });
  let parts: Buffer[] = [];
  let partBytes = 0;
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        partBytes += nl - start;
        if (partBytes > maxLine) throw new FileProblem(`line ${line + 1} is longer than ${Math.round(maxLine / 1024 / 1024)} MiB`);
        parts.push(chunk.subarray(start, nl));
        line++;
        yield Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
        parts = [];
        partBytes = 0;
        start = nl + 1;
      }
      partBytes += chunk.length - start;
      if (partBytes > maxLine) throw new FileProblem(`line ${line + 1} is longer than ${Math.round(maxLine / 1024 / 1024)} MiB`);
      if (start < chunk.length) parts.push(chunk.subarray(start));
    }
    if (partBytes) yield Buffer.concat(parts).toString('utf8');
  } finally {
    stream.destroy();
  }
}

export class SnapshotSource implements ApiSource, NodeSource {
  private meta?: SnapshotMeta;

  constructor(private readonly dir: string) {}

  /** How the nodes were reached when the snapshot was collected. */
  get transport(): 'ssh' | 'pod' {
    return this.meta?.transport === 'pod' ? 'pod' : 'ssh';
  }

  async open(): Promise<{ cluster: ClusterInfo; now: Date; identity?: string }> {
    const where = `--snapshot ${this.dir}`;
    let text: string | undefined;
    try {
      text = readRegular(join(this.dir, 'snapshot.json'), MAX_META_BYTES);
    } catch (err) {
      throw new ConfigError(`${where}: snapshot.json ${err instanceof FileProblem ? err.message : String(err)}`);
    }
    if (text === undefined) throw new ConfigError(`${where}: not a kubectl-checkup snapshot (no snapshot.json)`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${where}: snapshot.json is not valid JSON (${err instanceof Error ? err.message.slice(0, 120) : String(err)})`);
    }
    const d = doc as Partial<SnapshotMeta> | null;
    if (!isObject(d) || d.apiVersion !== SNAPSHOT_API_VERSION || d.kind !== 'Snapshot') {
      throw new ConfigError(`${where}: snapshot.json is not a ${SNAPSHOT_API_VERSION} Snapshot`);
    }
    const problem = metaProblem(d);
    if (problem) throw new ConfigError(`${where}: snapshot.json: ${problem}`);
    const meta = d as SnapshotMeta;
    const now = new Date(meta.collectedAt);
    if (Number.isNaN(now.getTime())) throw new ConfigError(`${where}: collectedAt is not a time`);
    this.meta = meta;
    const c = meta.cluster;
    return {
      cluster: { context: c?.context ?? null, server: c?.server ?? null, version: c?.version ?? null }, now,
      ...(typeof meta.identity === 'string' ? { identity: meta.identity } : {}),
    };
  }

  async *list(req: ListRequest): AsyncIterable<KubeObject[]> {
    const resource = resourceName(req.info);
    const gap = this.meta?.gaps.find((g) => g.source === 'api' && g.resource === resource);
    if (gap && gap.source === 'api') throw new ResourceUnavailable(resource, gap.reason);
    // Listed kinds are in `kinds` (their file may be empty); anything else was not collected.
    if (!this.meta?.kinds?.includes(req.info.kind)) throw new ResourceUnavailable(resource, 'not in the snapshot');
    const narrower = narrowerThan(this.meta.lists?.[req.info.kind], req);
    if (narrower) throw new ResourceUnavailable(resource, `the snapshot holds only ${narrower}`);
    const name = `api/${req.info.kind}.jsonl`;
    let opened: { fd: number } | undefined;
    try {
      opened = openRegular(join(this.dir, name), Number.MAX_SAFE_INTEGER);
    } catch (err) {
      throw new ResourceUnavailable(resource, `snapshot file ${name} ${err instanceof FileProblem ? err.message : String(err)}`);
    }
    if (!opened) return;
    const matchesLabels = req.labelSelector ? parseLabelSelector(req.labelSelector) : () => true;
    const matchesFields = req.fieldSelector ? parseFieldSelector(req.fieldSelector) : () => true;
    const ns = req.info.fixedNamespace ?? req.namespace;
    let page: KubeObject[] = [];
    let line = 0;
    const bad = (why: string) => new ResourceUnavailable(resource, `snapshot file ${name} line ${line}: ${why}`);
    try {
      for await (const text of readLines(opened.fd, MAX_LINE_BYTES)) {
        line++;
        if (!text.trim()) continue;
        let obj: unknown;
        try {
          obj = JSON.parse(text);
        } catch {
          throw bad('not JSON');
        }
        // A record that is not an object of the right shape is a gap for this kind: the checks that
        // need it are skipped, never judged on the part of the file that happened to parse.
        const problem = objectProblem(obj, req.info.kind);
        if (problem) throw bad(problem);
        const o = obj as KubeObject;
        if (req.info.namespaced && ns && o.metadata?.namespace !== ns) continue;
        if (!matchesLabels(o) || !matchesFields(o)) continue;
        // The line is the object as the API server sent it (big objects are saved unslimmed).
        if (req.measureBytes) recordObjectBytes(o, Buffer.byteLength(text));
        page.push(o);
        if (page.length === PAGE) { yield page; page = []; }
      }
    } catch (err) {
      if (err instanceof FileProblem) throw new ResourceUnavailable(resource, `snapshot file ${name} ${err.message}`);
      throw err;
    }
    if (page.length) yield page;
  }

  async getNodeProxy(node: string, path: KubeletPath): Promise<unknown> {
    const name = `nodes/${nodeFileName(node).replace(/\.json$/, '.api.json')}`;
    let doc: unknown;
    try {
      const text = readRegular(join(this.dir, name), MAX_NODE_FILE_BYTES);
      if (text === undefined) throw new ResourceUnavailable('nodes/proxy', 'not in the snapshot');
      doc = JSON.parse(text);
    } catch (err) {
      if (err instanceof ResourceUnavailable) throw err;
      throw new ResourceUnavailable('nodes/proxy', `snapshot file ${name} ${err instanceof FileProblem ? err.message : 'is not JSON'}`);
    }
    const outcome = isObject(doc) && Object.prototype.hasOwnProperty.call(doc, path) ? doc[path] : undefined;
    if (outcome === undefined) throw new ResourceUnavailable('nodes/proxy', 'not in the snapshot');
    if (!isObject(outcome) || typeof outcome.ok !== 'boolean' || (!outcome.ok && typeof outcome.reason !== 'string')) {
      throw new ResourceUnavailable('nodes/proxy', `snapshot file ${name}: ${path} is not an outcome ({"ok": …})`);
    }
    if (!outcome.ok) throw new ResourceUnavailable('nodes/proxy', (outcome.reason as string).replace(/^nodes\/proxy: /, ''));
    return outcome.value;
  }

  private metricsScrapes = 0;

  /** The recorded /metrics scrapes, in order (the gap between them is the recorded one). */
  async scrapeMetrics(): Promise<MetricsScrape> {
    const name = 'metrics/apiserver.json';
    let doc: MetricsCollection;
    try {
      const text = readRegular(join(this.dir, name), MAX_META_BYTES * 4);
      if (text === undefined) throw new ResourceUnavailable('/metrics', 'not in the snapshot');
      doc = JSON.parse(text) as MetricsCollection;
    } catch (err) {
      if (err instanceof ResourceUnavailable) throw err;
      throw new ResourceUnavailable('/metrics', `snapshot file ${name} ${err instanceof FileProblem ? err.message : 'is not JSON'}`);
    }
    const ok = isObject(doc) && (doc.ok ? Array.isArray(doc.scrapes) && doc.scrapes.every((x) => isObject(x) && typeof x.text === 'string' && typeof x.at === 'number')
      : doc.ok === false && typeof doc.reason === 'string');
    if (!ok) throw new ResourceUnavailable('/metrics', `snapshot file ${name} is not a recorded scrape list`);
    if (!doc.ok) throw new ResourceUnavailable('/metrics', doc.reason);
    const scrape = doc.scrapes[this.metricsScrapes++];
    if (!scrape) throw new ResourceUnavailable('/metrics', 'the snapshot holds no further scrape');
    return scrape;
  }

  async *collect(nodes: NodeTarget[], probes: ProbeName[]): AsyncIterable<NodeCollection> {
    for (const target of nodes) {
      const name = `nodes/${nodeFileName(target.name)}`;
      let doc: unknown;
      try {
        const text = readRegular(join(this.dir, name), MAX_NODE_FILE_BYTES);
        if (text === undefined) {
          yield { node: target.name, reached: false, reason: 'no node data in the snapshot' };
          continue;
        }
        doc = JSON.parse(text);
      } catch (err) {
        yield { node: target.name, reached: false, reason: `snapshot file ${name} ${err instanceof FileProblem ? err.message : 'is not JSON'}` };
        continue;
      }
      const problem = collectionProblem(doc);
      if (problem) { yield { node: target.name, reached: false, reason: `snapshot file ${name}: ${problem}` }; continue; }
      const c = doc as NodeCollection;
      if (!c.reached) { yield { node: target.name, reached: false, reason: c.reason }; continue; }
      const samples: typeof c.samples = Object.create(null);
      for (const p of probes) if (Object.prototype.hasOwnProperty.call(c.samples, p)) samples[p] = c.samples[p];
      yield { node: target.name, reached: true, intervalSeconds: c.intervalSeconds, samples, ...(c.problems ? { problems: c.problems } : {}) };
    }
  }
}

const strOrNull = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** What is wrong with snapshot.json beyond apiVersion and kind, or null. */
function metaProblem(d: Record<string, unknown>): string | null {
  if (typeof d.collectedAt !== 'string') return 'collectedAt is not a time';
  if (d.cluster !== undefined && d.cluster !== null) {
    if (!isObject(d.cluster)) return 'cluster is not an object';
    for (const k of ['context', 'server', 'version']) if (!strOrNull(d.cluster[k])) return `cluster.${k} is not a string`;
  }
  if (!Array.isArray(d.kinds) || !d.kinds.every((k) => typeof k === 'string')) return 'kinds is not a list of kind names';
  if (!Array.isArray(d.gaps)) return 'gaps is not a list';
  for (const [i, g] of d.gaps.entries()) {
    if (!gapOk(g)) return `gaps[${i}] is not a gap ({"source": "api"|"ssh", …, "reason": "…"})`;
  }
  if (d.lists !== undefined) {
    if (!isObject(d.lists)) return 'lists is not an object';
    for (const [k, v] of Object.entries(d.lists)) {
      if (!isObject(v) || !['namespace', 'fieldSelector', 'labelSelector'].every((f) => v[f] === undefined || typeof v[f] === 'string')) return `lists.${k} is not a saved list`;
    }
  }
  return null;
}

function gapOk(g: unknown): g is Gap {
  if (!isObject(g) || typeof g.reason !== 'string') return false;
  if (g.source === 'api') return typeof g.resource === 'string';
  if (g.source === 'ssh') return typeof g.node === 'string' && (g.probe === undefined || typeof g.probe === 'string');
  return false;
}

/** What is wrong with a nodes/<node>.json record, or null. */
function collectionProblem(c: unknown): string | null {
  if (!isObject(c)) return 'not an object';
  if (c.reached === false) return typeof c.reason === 'string' ? null : 'reason is not a string';
  if (c.reached !== true) return 'reached is not true or false';
  if (typeof c.intervalSeconds !== 'number' || !Number.isFinite(c.intervalSeconds) || c.intervalSeconds < 0) return 'intervalSeconds is not a number';
  if (!isObject(c.samples)) return 'samples is not an object';
  for (const [probe, list] of Object.entries(c.samples)) {
    if (!Array.isArray(list)) return `samples.${probe.slice(0, 40)} is not a list`;
    for (const s of list) {
      if (!isObject(s) || typeof s.stdout !== 'string' || typeof s.exitCode !== 'number') return `samples.${probe.slice(0, 40)} has a sample without stdout and exitCode`;
    }
  }
  if (c.problems !== undefined) {
    if (!Array.isArray(c.problems) || !c.problems.every((p) => isObject(p) && typeof p.probe === 'string' && typeof p.reason === 'string')) return 'problems is not a list of {probe, reason}';
  }
  return null;
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
