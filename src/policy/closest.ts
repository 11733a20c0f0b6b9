// "Did you mean …?" for names in the config file: the known name nearest by edit distance, when it is
// near enough to be a plausible typo (a wholly different word gets no suggestion).

/** Levenshtein distance (insert, delete, substitute), case-insensitive: `Namespace` vs `namespace` is 0. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length]!;
}

/** The known name closest to `name`, or undefined when none is within about a third of its length.
 * A known name that starts with `name` (a shortened `noReadiness`) is always plausible. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  const prefixed = [...known].filter((k) => name.length >= 3 && k.toLowerCase().startsWith(name.toLowerCase()));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` or '' — appended to warnings. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const c = closest(name, known);
  return c ? ` (did you mean "${c}"?)` : '';
}
