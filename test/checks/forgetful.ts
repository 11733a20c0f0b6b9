// Checks reduce node data on arrival (DESIGN: stream, don't hoard): a check that kept the NodeProbes
// results until finish() would hold every probe of the node, other checks' included. This wrapper
// empties those results right after the check has seen them, so a check that still reads them in
// finish() reports something else than the plain check. (Node facts are already reduced by the engine.)
import type { CheckDefinition } from '../../src/engine/types.js';

export function forgetful(check: CheckDefinition): CheckDefinition {
  return {
    ...check,
    create(ctx) {
      const v = check.create(ctx);
      const { NodeProbes } = v;
      return {
        ...v,
        ...(NodeProbes ? { NodeProbes: (r) => { NodeProbes(r); for (const k of Object.keys(r.probes)) delete r.probes[k as keyof typeof r.probes]; } } : {}),
      };
    },
  };
}
