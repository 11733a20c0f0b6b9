// One manifest file (or stdin) → the Kubernetes objects in it, each with its file and line, and the
// problems met on the way. A bad document is a problem of that document only; the others still count.
//
// The `yaml` package parses here because it keeps source positions (a LineCounter and per-node ranges),
// reports errors with offsets instead of giving up on the stream, and bounds alias expansion
// (maxAliasCount) — js-yaml, already a dependency, has none of the positions.
//
// Hostile input is bounded before the parser sees it: a stream is split at `---` lines (YAML forbids
// that marker inside any scalar, so the split is exact), each document is size-capped and its flow
// nesting counted in one cheap pass, because the parser is recursive and slow on pathological nesting.
import { Composer, isScalar, isSeq, LineCounter, Parser, visit, type Document, type Tags } from 'yaml';
import type { ApiKind, KubeObject } from '../kube/resources.js';
import { objectProblem } from '../kube/validate.js';
import { classifyKind } from './kinds.js';
import { PositionReader } from './positions.js';

/** Larger than any object the API server accepts (it refuses request bodies over 3 MiB). */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** Real objects nest a few dozen levels; CRD schemas rarely more than a hundred. */
export const MAX_NESTING = 200;
/** A rendered chart has hundreds of documents, a large repository a few thousand. The parser costs
 * ~150 µs per document, so a stream of a million tiny ones would take minutes: stop at this many. */
export const MAX_DOCUMENTS = 20_000;
/** Each alias use counts; past this the document is refused as a likely YAML bomb (the yaml default). */
export const MAX_ALIASES = 100;

export type ProblemCode = 'manifest-invalid' | 'manifest-template' | 'manifest-unknown-kind' | 'manifest-too-large'
  | 'manifest-unreadable' | 'manifest-empty' | 'manifest-duplicate' | 'manifest-nothing-checked';

export interface ManifestProblem {
  code: ProblemCode;
  file: string;
  line?: number;
  message: string;
}

/** An object some check can read, with where it came from. */
export interface ManifestObject {
  kind: ApiKind;
  object: KubeObject;
  file: string;
  line: number;
  /** The chart template a Helm `# Source:` comment names. */
  source?: string;
  /** Container name → line of its `name:`. */
  containers: Map<string, number>;
}

export interface ParsedManifest {
  objects: ManifestObject[];
  problems: ManifestProblem[];
  /** Objects that parsed but are of kinds no check reads. */
  ignored: number;
}

/** YAML 1.1 with merge keys, as kubectl reads manifests (go-yaml v2): `yes` is a boolean, 0644 octal.
 * Like go-yaml decoding into plain JSON values, timestamps and 1:20-style sexagesimals stay strings
 * (a Date here would differ from what the API server returns), and !!binary, !!set, !!omap, !!pairs
 * are not resolved into JavaScript types the checks never see from a cluster. */
const PLAIN_JSON_TAGS = /^tag:yaml\.org,2002:(map|seq|str|null|bool|int|float|merge)$/;
const YAML_OPTIONS = {
  version: '1.1' as const, merge: true, logLevel: 'error' as const, uniqueKeys: true,
  customTags: (tags: Tags) => tags.filter((t) => typeof t === 'object' && PLAIN_JSON_TAGS.test(t.tag) && t.format !== 'TIME'),
};

const RENDER_FIRST = 'render it first: helm template RELEASE CHART | kubectl checkup -f -, or kubectl kustomize DIR | kubectl checkup -f -';

export function parseManifest(file: string, text: string): ParsedManifest {
  const out: ParsedManifest = { objects: [], problems: [], ignored: 0 };
  let documents = 0;
  for (const chunk of splitDocuments(text)) {
    const meta = prelude(chunk.text);
    if (!meta.hasContent) continue;
    const firstLine = chunk.line + meta.contentLine;
    if (++documents > MAX_DOCUMENTS) {
      out.problems.push({ code: 'manifest-too-large', file, line: firstLine, message: `more than ${MAX_DOCUMENTS} documents; the rest is not read` });
      break;
    }
    const problem = (code: ProblemCode, line: number, message: string) => out.problems.push({ code, file, line, message });

    if (sniffIgnoredKind(chunk.text)) { out.ignored++; continue; }
    const bytes = Buffer.byteLength(chunk.text);
    if (bytes > MAX_DOCUMENT_BYTES) {
      problem('manifest-too-large', firstLine, `document is ${mib(bytes)}, over the ${mib(MAX_DOCUMENT_BYTES)} limit (the API server refuses objects over 3 MiB); not read`);
      continue;
    }
    if (exceedsFlowNesting(chunk.text, MAX_NESTING)) {
      problem('manifest-invalid', firstLine, `document nests brackets more than ${MAX_NESTING} levels deep; not read`);
      continue;
    }
    parseChunk(file, chunk, meta.source, out, problem);
  }
  if (!documents) out.problems.push({ code: 'manifest-empty', file, message: 'no objects in it (empty, or only comments)' });
  return out;
}

function parseChunk(file: string, chunk: Chunk, source: string | undefined, out: ParsedManifest,
  problem: (code: ProblemCode, line: number, message: string) => void): void {
  const lines = new LineCounter();
  const offset = chunk.line - 1;
  const at = (pos: number) => lines.linePos(pos).line + offset;
  const composer = new Composer(YAML_OPTIONS);
  for (const doc of composer.compose(new Parser(lines.addNewLine).parse(chunk.text), true)) {
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const templateLine = firstTemplateLine(chunk.text, doc, at);
    if (templateLine !== undefined) {
      problem('manifest-template', templateLine, `unrendered template ({{ … }}): ${RENDER_FIRST}`);
      continue;
    }
    const error = doc.errors[0];
    if (error) {
      problem('manifest-invalid', at(error.pos[0]), `invalid YAML: ${describeError(error.message)}`);
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      problem('manifest-invalid', at(start), err instanceof ReferenceError
        ? `aliases expand to too many nodes (more than ${MAX_ALIASES} alias uses — a YAML bomb?); not read`
        : describeError(err instanceof Error ? err.message : String(err)));
      continue;
    }
    const reader = new PositionReader(doc, lines, offset);
    admit(value, doc.contents, {}, { file, source, reader, out, problem, fallbackLine: at(start) });
  }
}

interface AdmitContext {
  file: string;
  source?: string;
  reader: PositionReader;
  out: ParsedManifest;
  problem: (code: ProblemCode, line: number, message: string) => void;
  fallbackLine: number;
}

/** One value from a document: an object, or a List of them. */
function admit(value: unknown, node: unknown, defaults: { apiVersion?: string; kind?: string }, c: AdmitContext): void {
  const line = c.reader.nodeLine(node) ?? c.fallbackLine;
  if (!isPlainObject(value)) {
    c.problem('manifest-invalid', line, `not a Kubernetes object: expected a mapping with apiVersion, kind and metadata, got ${describeValue(value)}`);
    return;
  }
  const kind = typeof value.kind === 'string' && value.kind ? value.kind : defaults.kind;
  const apiVersion = typeof value.apiVersion === 'string' && value.apiVersion ? value.apiVersion : defaults.apiVersion;
  if (!kind) { c.problem('manifest-invalid', line, 'object has no kind'); return; }
  const pos = c.reader.of(node);

  if (Array.isArray(value.items) && (kind === 'List' || kind.endsWith('List'))) {
    // A typed list (DeploymentList, as `kubectl get -o yaml` writes it) may leave kind out of its items.
    const itemDefaults = kind === 'List' ? {} : { apiVersion, kind: kind.slice(0, -'List'.length) };
    const itemNodes = c.reader.get(node, 'items');
    value.items.forEach((item, i) => {
      const itemNode = isSeq(itemNodes) ? itemNodes.items[i] : undefined;
      admit(item, itemNode, itemDefaults, { ...c, fallbackLine: c.reader.nodeLine(itemNode) ?? pos.line });
    });
    return;
  }
  const name = isPlainObject(value.metadata) ? value.metadata.name : undefined;
  if (!apiVersion) { c.problem('manifest-invalid', pos.line, `${kind} has no apiVersion`); return; }
  if (typeof name !== 'string' || !name) { c.problem('manifest-invalid', pos.line, `${kind} has no metadata.name`); return; }

  const verdict = classifyKind(apiVersion, kind);
  if ('unknown' in verdict) { c.problem('manifest-unknown-kind', pos.line, `${kind}/${name}: ${verdict.unknown}`); return; }
  if ('ignore' in verdict) { c.out.ignored++; return; }
  const object = { ...value, apiVersion, kind } as unknown as KubeObject;
  const { line: objectLine, containers } = c.reader.of(node, verdict.use);
  // The same shape check as objects from the API server and snapshots: a field of the wrong type
  // (`ports: "80"`) is this object's problem, reported where it is, instead of a check crashing on it
  // and losing its findings on every other object. kubectl apply would refuse it too.
  const misfit = objectProblem(object, verdict.use);
  if (misfit) {
    c.problem('manifest-invalid', containerLine(misfit, containers) ?? objectLine, `${kind}/${name}: ${misfit}; the object is not checked`);
    return;
  }
  c.out.objects.push({ kind: verdict.use, object, file: c.file, line: objectLine, containers, ...(c.source ? { source: c.source } : {}) });
}

/** The line of the container a shape problem names (`spec.containers[app].ports is not a list`), when
 * it names one by its name: closer to the field than the object's `kind:` line. */
function containerLine(misfit: string, containers: Map<string, number>): number | undefined {
  const named = /^(?:[\w.]*\.)?(?:initContainers|containers|ephemeralContainers)\[([^\]]+)\]/.exec(misfit);
  return named ? containers.get(named[1]!) : undefined;
}

interface Chunk { text: string; line: number }

/** Splits a stream at its `---` lines. Each chunk keeps its marker line, so the parser sees exactly
 * the file's text and lines stay exact. */
function* splitDocuments(text: string): Generator<Chunk> {
  const marker = /^---(?=[ \t\r\n]|$)/gm;
  let start = 0;
  let line = 1;
  for (const m of text.matchAll(marker)) {
    if (m.index === 0) continue;
    const chunk = text.slice(start, m.index);
    yield { text: chunk, line };
    line += countNewlines(chunk);
    start = m.index;
  }
  yield { text: text.slice(start), line };
}

/** What precedes a document's content: the Helm `# Source:` comment, and whether any content follows.
 * `contentLine` counts from 0 within the chunk. */
function prelude(chunk: string): { hasContent: boolean; contentLine: number; source?: string } {
  let source: string | undefined;
  let n = 0;
  for (const raw of chunk.split('\n', 64)) {
    const l = raw.trim();
    const helm = /^#\s*Source:\s*(\S.*)$/.exec(l);
    if (helm) source = helm[1]!.trim();
    // Markers, directives, comments and blank lines carry no object.
    else if (!(l === '' || l.startsWith('#') || l.startsWith('%') || /^---$|^\.\.\.$/.test(l))) {
      return { hasContent: true, contentLine: n, source };
    }
    n++;
  }
  // More than 64 leading comment lines: let the parser decide whether content follows.
  return { hasContent: /^\s*[^\s#%]/m.test(chunk.replace(/^---\s*$|^\.\.\.\s*$/gm, '')), contentLine: 0, source };
}

/** True when a block-style document plainly declares a kind no check reads (a CRD, RBAC, Ingress…):
 * it is skipped unparsed. Rendered charts are mostly CRDs by size, and parsing them is most of the time
 * a run would take. Only top-level keys start in column 0, and exactly one of each must be there;
 * anything less plain (JSON, flow style, quoting tricks) is parsed and classified as usual. */
function sniffIgnoredKind(text: string): boolean {
  const kinds = [...text.matchAll(/^kind:[ \t]*(["']?)([A-Za-z][A-Za-z0-9]*)\1[ \t]*(?:#.*)?\r?$/gm)];
  const versions = [...text.matchAll(/^apiVersion:[ \t]*(["']?)([a-z0-9.\-]+\/)?(v[a-z0-9]+)\1[ \t]*(?:#.*)?\r?$/gm)];
  // Any other column-0 kind:/apiVersion: line, in whatever form, makes the sniff unsure.
  if (kinds.length !== 1 || versions.length !== 1 || text.match(/^(?:kind|apiVersion):/gm)!.length !== 2) return false;
  const apiVersion = `${versions[0]![2] ?? ''}${versions[0]![3]}`;
  return 'ignore' in classifyKind(apiVersion, kinds[0]![2]!);
}

/** One pass over the text counting `[`/`{` nesting outside quotes and comments. It may overcount on
 * odd plain scalars (a stray `[`), never by the hundreds a legitimate object would need to trip it. */
function exceedsFlowNesting(text: string, limit: number): boolean {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    const prev = i === 0 ? '\n' : text[i - 1]!;
    const tokenStart = /[\s[{,:]/.test(prev);
    if (ch === '#' && /\s/.test(prev)) {
      const eol = text.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
    } else if ((ch === '"' || ch === "'") && tokenStart) quote = ch;
    else if (ch === '[' || ch === '{') { if (++depth > limit) return true; }
    else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return false;
}

/** Helm and Go templates left in: `{{` in a plain (unquoted) scalar or opening a flow mapping. Quoted
 * and block strings may hold `{{` legitimately (alerting rules, Argo parameters), so they are not
 * suspects. A document that does not even parse is a template if any non-comment line has `{{`. */
function firstTemplateLine(text: string, doc: Document, at: (offset: number) => number): number | undefined {
  if (!text.includes('{{')) return undefined;
  if (doc.errors.length) {
    const [start, , end] = doc.range ?? [0, 0, text.length];
    const lines = text.slice(start, end).split('\n');
    const i = lines.findIndex((l) => !l.trimStart().startsWith('#') && l.includes('{{'));
    return i < 0 ? undefined : at(start) + i;
  }
  let found: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (node.type === 'PLAIN' && typeof node.source === 'string' && node.source.includes('{{') && node.range) {
        found = at(node.range[0]);
        return visit.BREAK;
      }
      return undefined;
    },
    Map(_key, node) {
      if (node.flow && node.range && text.startsWith('{{', node.range[0])) {
        found = at(node.range[0]);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function describeError(message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return /call stack/i.test(first) ? 'document is nested too deeply to read' : first;
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return `a ${typeof v} (${JSON.stringify(v).slice(0, 40)})`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}
