// Gaps at scale: on a big cluster the same reason repeats once per node ("connection timed out after
// 10s" on 5,000 nodes). Identical reasons are folded into one gap with the number of nodes and a few
// of their names, so every format shows the problem once and the rest of the report stays readable.
import type { Gap } from '../engine/types.js';

/** How many node names a folded gap keeps (sorted, so the same cluster gives the same names). */
export const NAMES_KEPT = 5;

/** A gap as the report carries it: one node, or `count` nodes of which `nodes` names the first few. */
export type ReportGap =
  | (Extract<Gap, { source: 'api' }> & { count?: number; nodes?: string[] })
  | (Extract<Gap, { source: 'ssh' | 'pod' }> & { count?: number; nodes?: string[] });

// "nodes/proxy (node node-7)": the node API collector names the node in the resource. Split by hand,
// not by a backtracking pattern: the node name is the cluster's, of any length and content.
const NODE_MARK = ' (node ';
function perNode(resource: string): [string, string] | undefined {
  const at = resource.indexOf(NODE_MARK);
  if (at <= 0 || !resource.endsWith(')') || resource.length - 1 <= at + NODE_MARK.length) return undefined;
  return [resource.slice(0, at), resource.slice(at + NODE_MARK.length, -1)];
}

/** Folds gaps that differ only in the node. Order: by first appearance; single gaps stay as they were. */
export function aggregateGaps(gaps: readonly Gap[]): ReportGap[] {
  const groups = new Map<string, { gap: Gap; nodes: string[] }>();
  for (const g of gaps) {
    let key: string;
    let node: string | undefined;
    if (g.source !== 'api') {
      key = JSON.stringify([g.source, g.probe ?? null, g.reason]);
      node = g.node;
    } else {
      const m = perNode(g.resource);
      key = JSON.stringify(m ? ['api-node', m[0], g.reason] : ['api', g.resource, g.reason]);
      node = m?.[1];
    }
    const seen = groups.get(key);
    if (seen) {
      if (node !== undefined) seen.nodes.push(node);
    } else {
      groups.set(key, { gap: g, nodes: node !== undefined ? [node] : [] });
    }
  }
  const out: ReportGap[] = [];
  for (const { gap, nodes } of groups.values()) {
    if (nodes.length < 2) { out.push(gap); continue; }
    const names = [...new Set(nodes)].sort();
    const some = names.slice(0, NAMES_KEPT);
    const more = names.length > some.length ? ` and ${names.length - some.length} more` : '';
    if (gap.source !== 'api') {
      out.push({ ...gap, node: `${some.join(', ')}${more}`, count: names.length, nodes: some });
    } else {
      const base = perNode(gap.resource)![0];
      out.push({ ...gap, resource: `${base} (${names.length} nodes: ${some.join(', ')}${more})`, count: names.length, nodes: some });
    }
  }
  return out;
}
