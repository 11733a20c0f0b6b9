// What a node transport (SSH today; probe pods next) delivers: the node layer's own interface, so
// node code never imports the engine. The engine plans which probes run and parses what comes back.
import type { ProbeName, ProbeValues } from './probes.js';
import type { RawSample } from './probe-types.js';

/** A node to reach, with what the API says about it. */
export interface NodeTarget {
  name: string;
  addresses: { type: string; address: string }[];
  /** node.status.nodeInfo: decides kubelet defaults and where the runtime keeps images. */
  kubeletVersion?: string;
  containerRuntime?: string;
}

/** The raw result of one node's probe session. Parsing happens in the engine, so a snapshot stores
 * exactly what the node printed and replays through the same parsers. */
export type NodeCollection =
  | { node: string; reached: true; intervalSeconds: number; samples: { [P in ProbeName]?: RawSample[] };
      /** Probes whose output did not arrive complete (session cut off): absent from samples, with why. */
      problems?: { probe: string; reason: string }[] }
  | { node: string; reached: false; reason: string };

/** Data some probes take per node (e.g. hostPath paths to measure), one string per line. It travels
 * to the node as data (escaped inside the script, written onto the fragment's stdin), never as code. */
export type ProbeInputs = { [P in ProbeName]?: string[] };

export interface NodeSource {
  /** How nodes are reached: named in the gaps of nodes that were not (default ssh). */
  readonly transport?: 'ssh' | 'pod';
  /** Runs the probes on the nodes (bounded concurrency) and yields each node as it finishes. */
  collect(nodes: NodeTarget[], probes: ProbeName[], inputs?: (node: string) => ProbeInputs): AsyncIterable<NodeCollection>;
}

/** A probe result as a check sees it: parsed value, or the reason it is missing. */
export type ProbeOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Everything collected from one node, parsed. */
export interface NodeProbeResults {
  node: string;
  probes: { [P in ProbeName]?: ProbeOutcome<ProbeValues[P]> };
}
