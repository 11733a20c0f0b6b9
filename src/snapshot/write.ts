// --save-snapshot DIR: records what a live run collected, as it streams past (format: FORMAT.md).
//
// The folder is the user's: nothing in it is touched unless it is provably an earlier snapshot of
// this tool (a marker file, or a valid snapshot.json, and nothing but what a snapshot holds). The new
// snapshot is written into a temporary folder beside it and renamed into place at the end, so a run
// that fails leaves the old folder as it was, and a reader never sees half a snapshot.
import { accessSync, closeSync, constants, createWriteStream, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, UsageError } from '../errors.js';
import type { ClusterInfo, KubeletPath, ListRequest, MetricsCollection, Recorder } from '../engine/source.js';
import type { NodeCollection } from '../node/node-source.js';
import type { Gap } from '../engine/types.js';
import { objectBytes } from '../kube/object-size.js';
import type { ApiKind, KubeObject } from '../kube/resources.js';
import { SNAPSHOT_API_VERSION, SNAPSHOT_MARKER, SNAPSHOT_MARKER_TEXT, nodeFileName, type SnapshotMeta } from './format.js';
import { Redactor } from './redact.js';

/** Filesystems that are not storage: writing there is never what the user meant. */
const SPECIAL = ['/proc', '/sys', '/dev'];

export class SnapshotWriter implements Recorder {
  private readonly streams = new Map<ApiKind, WriteStream>();
  private readonly target: string;
  private tmp?: string;
  private failed?: Error;
  private readonly redact = new Redactor();
  private readonly cleanup = () => { if (this.tmp) rmSync(this.tmp, { recursive: true, force: true }); };

  /** Checks the folder up front; nothing is written until the first data arrives, so a run that
   * cannot reach the cluster leaves the folder as it was. */
  constructor(private readonly dir: string) {
    this.target = resolve(dir);
    const problem = targetProblem(this.target);
    if (problem) throw new UsageError(`--save-snapshot ${dir}: ${problem}`);
  }

  /** The temporary folder beside the target, created with the first data. */
  private prepare(): string {
    if (this.failed) throw this.failed;
    if (this.tmp) return this.tmp;
    const parent = dirname(this.target);
    try {
      mkdirSync(parent, { recursive: true });
      const tmp = join(parent, `.${basename(this.target)}.checkup-${process.pid}-${randomBytes(4).toString('hex')}`);
      mkdirSync(join(tmp, 'api'), { recursive: true });
      mkdirSync(join(tmp, 'nodes'));
      this.tmp = tmp;
    } catch (err) {
      throw new ConfigError(`--save-snapshot ${this.dir}: cannot write there (${errText(err)})`);
    }
    // Interrupted (Ctrl-C exits at once): the half-written temporary folder goes with the process.
    process.once('exit', this.cleanup);
    return this.tmp;
  }

  private write(file: string, text: string): void {
    try {
      writeFileSync(file, text);
    } catch (err) {
      throw new ConfigError(`--save-snapshot ${this.dir}: cannot write ${basename(file)} (${errText(err)})`);
    }
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
    const tmp = this.prepare();
    let out = this.streams.get(kind);
    if (!out) {
      out = createWriteStream(join(tmp, 'api', `${kind}.jsonl`));
      // A full disk or a vanished folder: remembered and reported as one error, never an unhandled event.
      out.on('error', (err) => { this.failed ??= new ConfigError(`--save-snapshot ${this.dir}: cannot write api/${kind}.jsonl (${errText(err)})`); });
      this.streams.set(kind, out);
    }
    for (const item of items) {
      if (this.failed) throw this.failed;
      if (!out.write(JSON.stringify(this.redact.object(slim(item))) + '\n')) await drained(out);
    }
  }

  private readonly nodeApiDocs = new Map<string, Record<string, unknown>>();

  async nodeApi(node: string, path: KubeletPath, outcome: { ok: true; value: unknown } | { ok: false; reason: string }): Promise<void> {
    const tmp = this.prepare();
    const doc = this.nodeApiDocs.get(node) ?? Object.create(null) as Record<string, unknown>;
    doc[path] = outcome;
    this.nodeApiDocs.set(node, doc);
    this.write(join(tmp, 'nodes', nodeFileName(node).replace(/\.json$/, '.api.json')), JSON.stringify(doc) + '\n');
  }

  /** The API server's /metrics scrapes as served (a replay parses them again, like node output). */
  async metrics(collection: MetricsCollection): Promise<void> {
    const tmp = this.prepare();
    try {
      mkdirSync(join(tmp, 'metrics'), { recursive: true });
    } catch (err) {
      throw new ConfigError(`--save-snapshot ${this.dir}: cannot write metrics/ (${errText(err)})`);
    }
    this.write(join(tmp, 'metrics', 'apiserver.json'), JSON.stringify(collection) + '\n');
  }

  async node(collection: NodeCollection): Promise<void> {
    const tmp = this.prepare();
    this.write(join(tmp, 'nodes', nodeFileName(collection.node)), JSON.stringify(collection, null, 1) + '\n');
  }

  async finish(meta: { cluster: ClusterInfo; identity: string; transport?: 'ssh' | 'pod'; now: Date; gaps: Gap[]; scope: SnapshotMeta['scope']; toolVersion: string }): Promise<void> {
    const tmp = this.prepare();
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((done) => {
      if (s.destroyed || s.writableFinished) { done(); return; }
      s.once('error', () => done());
      s.end(() => done());
    })));
    if (this.failed) throw this.failed;
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
    this.write(join(tmp, 'snapshot.json'), JSON.stringify(doc, null, 2) + '\n');
    this.write(join(tmp, SNAPSHOT_MARKER), SNAPSHOT_MARKER_TEXT);
    this.swapIn(tmp);
  }

  /** Moves the finished snapshot into place. An earlier snapshot there is checked again (it may have
   * changed during the run), moved aside, and removed only once the new one is in place. */
  private swapIn(tmp: string): void {
    const problem = targetProblem(this.target);
    if (problem) throw new ConfigError(`--save-snapshot ${this.dir}: ${problem}`);
    let old: string | undefined;
    try {
      if (exists(this.target)) {
        if (readdirSync(this.target).length) {
          old = `${tmp}.old`;
          renameSync(this.target, old);
        } else {
          rmdirSync(this.target); // an empty folder
        }
      }
      renameSync(tmp, this.target);
    } catch (err) {
      // Put the earlier snapshot back if it was moved and the new one could not take its place.
      if (old && !exists(this.target)) try { renameSync(old, this.target); old = undefined; } catch { /* leave it beside */ }
      throw new ConfigError(`--save-snapshot ${this.dir}: cannot move the snapshot into place (${errText(err)})`);
    }
    this.tmp = undefined;
    process.removeListener('exit', this.cleanup);
    if (old) rmSync(old, { recursive: true, force: true });
  }

  /** The run failed: the temporary folder goes, the target stays as it was. */
  abort(): void {
    for (const s of this.streams.values()) s.destroy();
    this.cleanup();
    this.tmp = undefined;
    process.removeListener('exit', this.cleanup);
  }
}

/** Waits until the stream takes more, or fails (then the 'error' handler has recorded why). */
function drained(out: WriteStream): Promise<void> {
  return new Promise((done) => {
    const finish = () => { out.off('drain', finish); out.off('error', finish); done(); };
    out.on('drain', finish);
    out.on('error', finish);
  });
}

function exists(path: string): boolean {
  try { lstatSync(path); return true; } catch { return false; }
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device', ENOTDIR: 'a part of the path is not a folder', EEXIST: 'it exists',
    ENOTEMPTY: 'the folder is not empty', EXDEV: 'crosses file systems', ENAMETOOLONG: 'name too long',
  };
  return (e?.code && known[e.code]) ?? (e?.code || (err instanceof Error ? err.message.split('\n')[0]! : String(err)));
}

/** Why the path cannot take a snapshot, or null. Only three cases are fine: nothing there (its parent
 * a writable folder, or creatable), an empty folder, or an earlier snapshot of this tool. */
export function targetProblem(target: string): string | null {
  // Resolve what already exists of the path: a symlink to /proc is /proc.
  let existing = target;
  while (!exists(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let real: string;
  try { real = realpathSync(existing); } catch (err) { return `cannot resolve the path (${errText(err)})`; }
  if (SPECIAL.some((s) => real === s || real.startsWith(`${s}/`))) return `${real} is a special file system, not storage; name a folder on disk`;

  if (existing !== target) {
    // Nothing there yet: the nearest existing ancestor must be a writable folder.
    if (!statSync(existing).isDirectory()) return `${existing} is not a folder`;
    try { accessSync(existing, constants.W_OK | constants.X_OK); } catch { return `${existing} is not writable`; }
    return writableProbe(existing);
  }
  const st = lstatSync(target);
  if (st.isSymbolicLink()) return 'it is a symbolic link; name the folder itself';
  if (!st.isDirectory()) return 'it exists and is not a folder (a snapshot is a folder)';
  const parent = dirname(target);
  try { accessSync(parent, constants.W_OK | constants.X_OK); } catch { return `its parent folder ${parent} is not writable (the snapshot is written beside it, then renamed)`; }
  const entries = readdirSync(target);
  if (entries.length && !isOwnSnapshot(target, entries)) {
    return 'the folder exists and is not a kubectl-checkup snapshot; name a new or empty folder (an earlier snapshot is replaced only when it is provably one)';
  }
  try { accessSync(target, constants.W_OK | constants.X_OK); } catch { return 'the folder is not writable'; }
  return writableProbe(parent);
}

/** access(2) says yes to root on a read-only mount and on folders root may not write in some
 * containers; creating a file is the only sure test. */
function writableProbe(folder: string): string | null {
  const probe = join(folder, `.checkup-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = openSync(probe, 'wx');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    rmSync(probe, { force: true });
    return null;
  } catch (err) {
    return `${folder} is not writable (${errText(err)})`;
  }
}

/** A folder this tool wrote: its marker file (or, from versions before the marker, a valid
 * snapshot.json), and nothing else than a snapshot holds. Anything else is the user's. */
function isOwnSnapshot(dir: string, entries: string[]): boolean {
  const allowed = new Set(['snapshot.json', 'api', 'nodes', 'metrics', SNAPSHOT_MARKER]);
  if (entries.some((e) => !allowed.has(e))) return false;
  const marker = readSmall(join(dir, SNAPSHOT_MARKER));
  if (marker !== SNAPSHOT_MARKER_TEXT) {
    try {
      const meta = JSON.parse(readSmall(join(dir, 'snapshot.json')) ?? '') as Partial<SnapshotMeta>;
      if (meta.apiVersion !== SNAPSHOT_API_VERSION || meta.kind !== 'Snapshot' || meta.tool?.name !== 'kubectl-checkup') return false;
    } catch {
      return false;
    }
  }
  for (const [sub, ext] of [['api', '.jsonl'], ['nodes', '.json'], ['metrics', '.json']] as const) {
    const path = join(dir, sub);
    if (!exists(path)) continue;
    const st = lstatSync(path);
    if (!st.isDirectory()) return false;
    for (const e of readdirSync(path, { withFileTypes: true })) if (!e.isFile() || !e.name.endsWith(ext)) return false;
  }
  return true;
}

/** A small regular file's text, or undefined (missing, not a regular file, or too large). */
function readSmall(path: string, max = 1024 * 1024): string | undefined {
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.size > max) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Objects this big are saved whole, so a replay measures the size the API server sent (object-scale). */
const KEEP_WHOLE_BYTES = 512 * 1024;

/** Drops what no check reads and that only bloats a snapshot: managedFields and the
 * last-applied-configuration annotation (a full copy of the object, secrets included). */
function slim(obj: KubeObject): KubeObject {
  if ((objectBytes(obj) ?? 0) >= KEEP_WHOLE_BYTES) return obj;
  const meta = obj.metadata;
  if (!meta || (!meta.managedFields && !meta.annotations?.['kubectl.kubernetes.io/last-applied-configuration'])) return obj;
  const { managedFields: _drop, ...rest } = meta;
  const annotations = rest.annotations ? { ...rest.annotations } : undefined;
  if (annotations) delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  return { ...obj, metadata: { ...rest, ...(annotations ? { annotations } : {}) } } as KubeObject;
}
