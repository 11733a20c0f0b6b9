// Raw probe samples → parsed values, per probe. A parser that throws (garbage, truncated output,
// permission denied) costs that probe on that node, never the run.
import type { NodeCollection, NodeProbeResults, ProbeOutcome } from './node-source.js';
import { ProbeError } from './probe-types.js';
import { PROBES, type ProbeName } from './probes.js';
import { dict, own } from '../util/dict.js';

export function parseNodeCollection(c: Extract<NodeCollection, { reached: true }>, requested: readonly ProbeName[]): NodeProbeResults {
  const probes = dict<ProbeOutcome<unknown>>();
  // A requested probe without samples did not finish (cut off, or missing from a snapshot): say why.
  for (const name of requested) {
    if (own(c.samples, name)) continue;
    const problem = c.problems?.find((p) => p.probe === name);
    probes[name] = { ok: false, reason: problem?.reason ?? 'no output from the node' };
  }
  for (const [name, samples] of Object.entries(c.samples) as [ProbeName, NonNullable<(typeof c.samples)[ProbeName]>][]) {
    const def = own(PROBES as Record<string, (typeof PROBES)[ProbeName]>, name);
    if (!def) continue; // a snapshot from a newer version may carry probes this one does not know
    try {
      probes[name] = { ok: true, value: def.parse(samples, c.intervalSeconds) };
    } catch (err) {
      const reason = err instanceof ProbeError ? err.message : `could not parse output: ${err instanceof Error ? err.message : String(err)}`;
      probes[name] = { ok: false, reason };
    }
  }
  return { node: c.node, probes: probes as NodeProbeResults['probes'] };
}

/** Applies each probe's `reduce` to what a node sent, before anything records or parses it. */
export function reduceNodeCollection(c: NodeCollection): NodeCollection {
  if (!c.reached) return c;
  const samples: typeof c.samples = dict();
  for (const [name, raw] of Object.entries(c.samples) as [ProbeName, NonNullable<(typeof c.samples)[ProbeName]>][]) {
    const reduce = own(PROBES as Record<string, (typeof PROBES)[ProbeName]>, name)?.reduce;
    samples[name] = reduce ? raw.map((s) => ({ ...s, stdout: reduce(s.stdout) })) : raw;
  }
  return { ...c, samples };
}
