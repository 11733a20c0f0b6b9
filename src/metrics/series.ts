// Rates and quantiles from two scrapes of cumulative Prometheus counters and histograms.
// A process restart between the scrapes resets its counters to zero: then the second value is the
// whole increase since the restart (what Prometheus' increase() assumes), never a negative delta.
import type { Exposition, Sample } from './prometheus-text.js';

/** How much a counter grew between two readings, with a reset between them handled. */
export function counterIncrease(first: number | undefined, second: number): { increase: number; reset: boolean } {
  if (first === undefined) return { increase: second, reset: false };
  return second >= first ? { increase: second - first, reset: false } : { increase: second, reset: true };
}

const keyOf = (labels: Record<string, string>, omit: readonly string[] = []): string =>
  Object.keys(labels).filter((k) => !omit.includes(k)).sort().map((k) => `${k}=${labels[k]}`).join(',');

/** The samples of one name, by their full label set. */
export function byLabels(exp: Exposition | undefined, name: string): Map<string, Sample> {
  const out = new Map<string, Sample>();
  for (const s of exp?.samples.get(name) ?? []) out.set(keyOf(s.labels), s);
  return out;
}

/** Counter increases between two scrapes, summed into groups by the labels `groupBy` names. */
export function counterIncreases(first: Exposition, second: Exposition, name: string, groupBy: readonly string[]):
  { labels: Record<string, string>; increase: number; total: number; reset: boolean }[] {
  const before = byLabels(first, name);
  const groups = new Map<string, { labels: Record<string, string>; increase: number; total: number; reset: boolean }>();
  for (const s of second.samples.get(name) ?? []) {
    const { increase, reset } = counterIncrease(before.get(keyOf(s.labels))?.value, s.value);
    const labels = Object.fromEntries(groupBy.map((k) => [k, s.labels[k] ?? '']));
    const key = keyOf(labels);
    const g = groups.get(key) ?? { labels, increase: 0, total: 0, reset: false };
    g.increase += increase;
    g.total += s.value;
    g.reset ||= reset;
    groups.set(key, g);
  }
  return [...groups.values()];
}

export interface HistogramWindow {
  labels: Record<string, string>;
  /** Cumulative bucket counts observed between the scrapes, by upper bound (ascending, +Inf last). */
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
  /** Some series in the group restarted between the scrapes. */
  reset: boolean;
}

/** Histogram observations between two scrapes (or since start, with one scrape), summed into groups by
 * `groupBy` labels. A series whose _count went down restarted: its second reading is taken whole. */
export function histogramWindows(first: Exposition | undefined, second: Exposition, family: string, groupBy: readonly string[]): HistogramWindow[] {
  const countsBefore = byLabels(first, `${family}_count`);
  const bucketsBefore = byLabels(first, `${family}_bucket`);
  const sumsBefore = byLabels(first, `${family}_sum`);
  const restarted = new Set<string>();
  const groups = new Map<string, HistogramWindow>();
  const group = (labels: Record<string, string>): HistogramWindow => {
    const picked = Object.fromEntries(groupBy.map((k) => [k, labels[k] ?? '']));
    const key = keyOf(picked);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: picked, buckets: [], count: 0, sum: 0, reset: false }));
    return g;
  };
  for (const s of second.samples.get(`${family}_count`) ?? []) {
    const key = keyOf(s.labels);
    const before = countsBefore.get(key)?.value;
    const reset = before !== undefined && s.value < before;
    if (reset) restarted.add(key);
    const g = group(s.labels);
    g.count += reset || before === undefined ? s.value : s.value - before;
    g.reset ||= reset;
  }
  for (const s of second.samples.get(`${family}_sum`) ?? []) {
    const key = keyOf(s.labels);
    const before = sumsBefore.get(key)?.value;
    group(s.labels).sum += restarted.has(key) || before === undefined ? s.value : s.value - before;
  }
  const perGroupBucket = new Map<HistogramWindow, Map<number, number>>();
  for (const s of second.samples.get(`${family}_bucket`) ?? []) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    const seriesKey = keyOf(s.labels, ['le']);
    const before = bucketsBefore.get(keyOf(s.labels))?.value;
    const delta = restarted.has(seriesKey) || before === undefined ? s.value : Math.max(0, s.value - before);
    const g = group(s.labels);
    let m = perGroupBucket.get(g);
    if (!m) perGroupBucket.set(g, (m = new Map()));
    m.set(le, (m.get(le) ?? 0) + delta);
  }
  for (const [g, m] of perGroupBucket) g.buckets = [...m].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
  return [...groups.values()];
}

/** The q-quantile of cumulative buckets, interpolated linearly inside the bucket as Prometheus'
 * histogram_quantile() does. Undefined when nothing was observed (an idle histogram is not fast). When
 * the quantile falls in the +Inf bucket, the highest finite bound is returned with `above` set. */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): { value: number; above: boolean } | undefined {
  if (!buckets.length) return undefined;
  const total = buckets[buckets.length - 1]!.le === Infinity ? buckets[buckets.length - 1]!.count : Math.max(...buckets.map((b) => b.count));
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { value: prevLe, above: true };
      if (b.count === prevCount) return { value: b.le, above: false };
      return { value: prevLe + (b.le - prevLe) * ((rank - prevCount) / (b.count - prevCount)), above: false };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { value: prevLe, above: true };
}

/** The value of a gauge (first sample with matching labels). */
export function gauge(exp: Exposition | undefined, name: string, where: Record<string, string> = {}): number | undefined {
  return exp?.samples.get(name)?.find((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v))?.value;
}
