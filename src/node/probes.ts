// The registry of node probes. Checks name probes in needs.probes; the engine collects each probe at
// most once per node per run. To add a probe: write src/node/probes/<name>.ts and list it here.
import type { ProbeDefinition } from './probe-types.js';
import { uname } from './probes/uname.js';

export const PROBES = {
  uname,
} satisfies Record<string, ProbeDefinition<unknown>>;

export type ProbeName = keyof typeof PROBES;
export type ProbeValues = { [K in ProbeName]: ReturnType<(typeof PROBES)[K]['parse']> };
