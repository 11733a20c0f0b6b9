// Label and field selectors evaluated client-side, as the API server would, for snapshot replays
// (a snapshot saved cluster-wide can be replayed with -n or -l).
import { UsageError } from '../errors.js';

export type ObjectMatcher = (obj: unknown) => boolean;

type Requirement = (labels: Record<string, string>) => boolean;

// Labels come from the cluster: only the object's own keys count (`constructor` is not a label).
const has = (l: Record<string, string>, key: string) => Object.prototype.hasOwnProperty.call(l, key);
const get = (l: Record<string, string>, key: string) => (has(l, key) ? l[key] : undefined);

/** A Service selects pods when its selector is non-empty and every pair is in the pod's labels
 * (an empty selector selects nothing: such a Service has manually managed endpoints). */
export function serviceSelects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels != null && get(labels, k) === v);
}

/** Services (or anything with a Service's selector) of many namespaces, found by the labels they
 * select: each is filed under one pair of its selector, so a set of labels is answered from its own
 * pairs (a few lookups) instead of by testing every Service of the namespace — 10k Deployments × 500
 * Services a namespace was millions of tests (issue 14). */
export class SelectorIndex<T extends { selector: Record<string, string> }> {
  private readonly byPair = new Map<string, { seq: number; entry: T }[]>();
  private added = 0;

  /** Files an entry; one with an empty selector selects nothing and is not kept. */
  add(namespace: string, entry: T): void {
    const pairs = Object.entries(entry.selector);
    if (!pairs.length) return;
    const [k, v] = pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))[0]!;
    const key = `${namespace}\u0000${k}=${v}`;
    const filed = { seq: this.added++, entry };
    const list = this.byPair.get(key);
    if (list) list.push(filed);
    else this.byPair.set(key, [filed]);
  }

  /** The entries of this namespace whose selector selects these labels, in the order they were added. */
  selecting(namespace: string, labels: Record<string, string>): T[] {
    const found: { seq: number; entry: T }[] = [];
    for (const [k, v] of Object.entries(labels)) {
      for (const f of this.byPair.get(`${namespace}\u0000${k}=${v}`) ?? []) if (serviceSelects(f.entry.selector, labels)) found.push(f);
    }
    return found.sort((a, b) => a.seq - b.seq).map((f) => f.entry);
  }
}

/** Parses a label selector (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`). */
export function parseLabelSelector(selector: string): ObjectMatcher {
  const reqs: Requirement[] = [];
  for (const raw of splitTopLevel(selector)) {
    const term = raw.trim();
    if (!term) continue;
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((v) => v.trim()).filter(Boolean));
      reqs.push(op === 'in' ? (l) => has(l, key) && values.has(l[key]!) : (l) => !has(l, key) || !values.has(l[key]!));
    } else if ((m = term.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => get(l, key) !== value : (l) => get(l, key) === value);
    } else if ((m = term.match(/^(!?)([\w./-]+)$/))) {
      const [, not, key] = m as unknown as [string, string, string];
      reqs.push(not ? (l) => !has(l, key) : (l) => has(l, key));
    } else {
      throw new UsageError(`invalid label selector "${selector}": cannot parse "${term}"`);
    }
  }
  return (obj) => {
    const labels = ((obj as { metadata?: { labels?: Record<string, string> } }).metadata?.labels) ?? {};
    return reqs.every((r) => r(labels));
  };
}

/** Parses a field selector (`path=value`, `path==value`, `path!=value`, comma = and). */
export function parseFieldSelector(selector: string): ObjectMatcher {
  const reqs = selector.split(',').filter((t) => t.trim()).map((term) => {
    const m = term.trim().match(/^([\w.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new UsageError(`invalid field selector "${selector}"`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    const get = (o: unknown) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
    const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
    return op === '!=' ? (o: unknown) => str(get(o)) !== value : (o: unknown) => str(get(o)) === value;
  });
  return (obj) => reqs.every((r) => r(obj));
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}
