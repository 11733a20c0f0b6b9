// Kubelet endpoints (configz, stats/summary) through the API server's node proxy, for the nodes whose
// facts some check wants, after the API lists and before SSH. Optional data: failures become gaps and
// the node facts fall back (src/engine/node-facts.ts).
import { performance } from 'node:perf_hooks';
import type { NodeTarget, ProbeOutcome } from '../node/node-source.js';
import { ResourceUnavailable, type ApiSource, type KubeletPath, type Recorder } from './source.js';
import type { Gap } from './types.js';

export type KubeletEndpoints = { [P in KubeletPath]?: ProbeOutcome<unknown> };

/** Kubelet endpoints through the API server's node proxy, a few nodes at a time. RBAC can allow the
 * proxy per node (resourceNames), so every node is asked — until the answer is plainly cluster-wide:
 * after PRESUMED_FORBIDDEN refusals and no success, the rest count as refused without a request.
 * Refusals are summed up in one gap per reason; other failures are one gap per node. */
export const PRESUMED_FORBIDDEN = 8;

/** Nodes read at once. Each read is a small proxied GET over a kept-alive connection (the API
 * client's pool has room for these and the list requests beside them). */
export const KUBELET_CONCURRENCY = 64;

/** What a read not made because of the time budget says (aggregated into one gap, like refusals). */
export const NOT_ASKED = 'not asked: the kubelet reads ran out of time';

export async function collectKubeletEndpoints(api: ApiSource, requests: { target: NodeTarget; paths: KubeletPath[] }[],
  deliver: (target: NodeTarget, endpoints: KubeletEndpoints) => void, recorder: Recorder | undefined,
  /** performance.now() after which no read starts: a slow proxy becomes a gap, not a stall. */
  deadline = Infinity): Promise<Gap[]> {
  const targets = requests.map((r) => r.target);
  const gaps: Gap[] = [];
  const gapFor = new Set<string>(); // resources already in a gap: one per node, without a scan per failure
  const refused = new Map<string, Set<string>>(); // "resource\0reason" → nodes
  let answered = 0;
  let refusals = 0;
  let next = 0; // index into requests: Array.shift() per node is O(n) at thousands of nodes
  const ask = async (node: string, path: KubeletPath): Promise<ProbeOutcome<unknown>> => {
    if (refusals >= PRESUMED_FORBIDDEN && answered === 0) return { ok: false, reason: 'nodes/proxy: forbidden' };
    if (performance.now() >= deadline) return { ok: false, reason: `nodes/proxy: ${NOT_ASKED}` };
    try {
      const value = await api.getNodeProxy(node, path);
      answered++;
      return { ok: true, value };
    } catch (err) {
      if (!(err instanceof ResourceUnavailable)) throw err;
      if (err.reason === 'forbidden') refusals++;
      return { ok: false, reason: `${err.resource}: ${err.reason}` };
    }
  };
  const worker = async () => {
    for (let r = requests[next++]; r; r = requests[next++]) {
      const t = r.target;
      const endpoints: KubeletEndpoints = {};
      for (const path of r.paths) {
        const outcome = await ask(t.name, path);
        endpoints[path] = outcome;
        if (!outcome.ok) {
          const [resource, reason] = splitReason(outcome.reason);
          if (reason === 'forbidden' || reason === 'not in the snapshot' || reason === NOT_ASKED) {
            const key = `${resource}\0${reason}`;
            refused.set(key, (refused.get(key) ?? new Set()).add(t.name));
          } else if (!gapFor.has(`${resource} (node ${t.name})`)) {
            gapFor.add(`${resource} (node ${t.name})`);
            gaps.push({ source: 'api', resource: `${resource} (node ${t.name})`, reason });
          }
        }
        await recorder?.nodeApi(t.name, path, outcome);
      }
      deliver(t, endpoints);
    }
  };
  await Promise.all(Array.from({ length: Math.min(KUBELET_CONCURRENCY, targets.length) }, worker));
  for (const [key, nodes] of refused) {
    const [resource, reason] = key.split('\0') as [string, string];
    const names = [...nodes].sort();
    gaps.push(nodes.size === targets.length
      ? { source: 'api', resource, reason }
      : { source: 'api', resource: `${resource} (${names.length === 1 ? 'node' : 'nodes'} ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`, reason });
  }
  return gaps;
}

/** "nodes/proxy: forbidden" → ["nodes/proxy", "forbidden"]. */
function splitReason(reason: string): [string, string] {
  const at = reason.indexOf(': ');
  return at < 0 ? ['nodes/proxy', reason] : [reason.slice(0, at), reason.slice(at + 2)];
}
