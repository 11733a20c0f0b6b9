// Checks reduce node data on arrival (DESIGN: stream, don't hoard): a check that kept the NodeApi or
// NodeProbes results until finish() would hold every node's raw kubelet JSON and every probe of the
// node, other checks' included. This wrapper empties those results right after the check has seen
// them, so a check that still reads them in finish() reports something else than the plain check.
import type { CheckDefinition } from '../../src/engine/types.js';

export function forgetful(check: CheckDefinition): CheckDefinition {
  return {
    ...check,
    create(ctx) {
      const v = check.create(ctx);
      const { NodeApi, NodeProbes } = v;
      return {
        ...v,
        ...(NodeApi ? { NodeApi: (r) => { NodeApi(r); for (const k of Object.keys(r.endpoints)) delete r.endpoints[k as keyof typeof r.endpoints]; } } : {}),
        ...(NodeProbes ? { NodeProbes: (r) => { NodeProbes(r); for (const k of Object.keys(r.probes)) delete r.probes[k as keyof typeof r.probes]; } } : {}),
      };
    },
  };
}
