// A parser for the Prometheus text exposition format 0.0.4 (what kube-apiserver and etcd serve).
// Written here rather than taken from npm: the packages that parse it are unmaintained for years, and
// the format is small. Only the families a caller asks for are kept, so a 10 MB apiserver scrape
// costs one pass over the text and memory for the few series the checks judge.
//
// Format facts this follows: `# TYPE name type` and `# HELP` comments; samples are
// `name{label="value",…} value [timestamp]`; label values escape `\\`, `\"` and `\n`; values are Go
// floats, including `+Inf`, `-Inf`, `NaN` and exponents (etcd writes `1.7641472e+07`).

export interface Sample {
  /** The sample name as written: `x_bucket`, `x_sum`, `x_count` for a histogram named x. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Family name → declared type (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  /** Sample name → its samples, in the order served. */
  samples: Map<string, Sample[]>;
}

export class MetricsParseError extends Error {}

/** Parses the exposition; `keep(family)` chooses the families whose samples are kept (all when omitted).
 * Throws MetricsParseError on a line that is not the format (with its number), so garbage is a gap. */
export function parseExposition(text: string, keep?: (family: string) => boolean): Exposition {
  const types = new Map<string, string>();
  const samples = new Map<string, Sample[]>();
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    lineNo++;
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)/.exec(line);
      if (m) types.set(m[1]!, m[2]!);
      continue;
    }
    const nameEnd = scanName(line);
    if (nameEnd === 0) throw new MetricsParseError(`line ${lineNo}: no metric name`);
    const name = line.slice(0, nameEnd);
    if (keep && !keep(name) && !keep(familyOf(name, types))) continue;
    let i = nameEnd;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i + 1, lineNo);
      labels = parsed.labels;
      i = parsed.end;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    const value = parseValue(rest[0] ?? '');
    if (value === undefined) throw new MetricsParseError(`line ${lineNo}: value "${(rest[0] ?? '').slice(0, 40)}" of ${name} is not a number`);
    let list = samples.get(name);
    if (!list) samples.set(name, (list = []));
    list.push({ name, labels, value });
  }
  return { types, samples };
}

/** x_bucket / x_sum / x_count belong to family x when x is declared a histogram or summary. */
export function familyOf(sampleName: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const t = types.get(base);
    if (t === 'histogram' || t === 'summary' || (suffix === '_total' && t === 'counter')) return base;
  }
  return sampleName;
}

function scanName(line: string): number {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  return /^[a-zA-Z_:]/.test(line) ? i : 0;
}

function parseLabels(line: string, from: number, lineNo: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = Object.create(null);
  let i = from;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i, i + 200));
    if (!m) throw new MetricsParseError(`line ${lineNo}: bad label name`);
    const key = m[0];
    i += key.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"') throw new MetricsParseError(`line ${lineNo}: label ${key} has no quoted value`);
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new MetricsParseError(`line ${lineNo}: unterminated label value`);
      if (c === '"') { i++; break; }
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : n === '\\' ? '\\' : n === '"' ? '"' : `\\${n ?? ''}`;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[key] = value;
  }
}

function parseValue(s: string): number | undefined {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}
