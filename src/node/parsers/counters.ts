// Cumulative kernel counters → what happened between two samples (check-facts §0.2). A counter that
// went down was reset (reboot, new namespace, module reload): no rate, rather than a negative one.

export interface CounterChange {
  /** Value at the last sample: the since-boot total. */
  total: number;
  /** Increase between the first and last sample; undefined with one sample or after a reset. */
  delta?: number;
  /** delta per second; undefined when delta is, or the interval is 0. */
  perSecond?: number;
  reset: boolean;
}

export function counterChange(first: number | undefined, last: number | undefined, samples: number, seconds: number): CounterChange | undefined {
  if (last === undefined) return undefined;
  if (samples < 2 || first === undefined) return { total: last, reset: false };
  if (last < first) return { total: last, reset: true };
  const delta = last - first;
  return { total: last, delta, perSecond: seconds > 0 ? delta / seconds : undefined, reset: false };
}
