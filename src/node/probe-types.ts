// How a node probe is declared. A probe is a fixed POSIX sh fragment plus a parser of its output.
// The engine concatenates the probes a run needs into one script per node (one SSH session), so a
// fragment must be self-contained, read-only, and must never contain data from the cluster.

/** One run of a probe's fragment on a node. */
export interface RawSample {
  /** What the fragment wrote to stdout. */
  stdout: string;
  /** The fragment's exit status (of its last command). */
  exitCode: number;
}

export interface ProbeDefinition<T> {
  /** POSIX sh, fixed text. Write the data to stdout; stderr is discarded. */
  script: string;
  /** Rate counters: the fragment runs twice, --sample-interval apart, in the same session. */
  sampled?: boolean;
  /** The fragment reads per-node input lines (ProbeInputs) on its stdin. */
  takesInput?: boolean;
  /** What of a sample's output may be kept at all (reports, snapshots): applied as soon as the output
   * arrives, before it is recorded or parsed. For outputs that can carry secrets (a config file). */
  reduce?(stdout: string): string;
  /** Turns the sample(s) into a value. Throw ProbeError for garbage: it becomes a gap, not a crash. */
  parse(samples: RawSample[], intervalSeconds: number): T;
}

/** A probe whose output could not be used (missing file, permission denied, garbage). */
export class ProbeError extends Error {}

export function defineProbe<T>(def: ProbeDefinition<T>): ProbeDefinition<T> {
  return def;
}
