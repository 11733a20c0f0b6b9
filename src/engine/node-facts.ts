// Node facts with more than one source, resolved once per node for every check that asks
// (needs.nodeFacts): the kubelet's effective configuration (configz through the API server, else
// its config file over SSH, else the defaults of its version) and the node's disk usage (the Summary
// API, else df over SSH). Checks receive the resolved value and where it came from, never the sources.
import { resolveConfig } from '../node/kubelet-config.js';
import { fromDf, fromSummary, type NodeDisk } from '../node/node-disk.js';
import type { NodeProbeResults, NodeTarget, ProbeOutcome } from '../node/node-source.js';
import type { ProbeName } from '../node/probes.js';
import type { KubeletPath } from './source.js';
import type { NodeFactName, NodeFacts } from './types.js';

/** Where each fact comes from: a kubelet endpoint first, a node probe as the fallback. */
export const FACT_SOURCES: Record<NodeFactName, { kubelet: KubeletPath; probe: ProbeName }> = {
  kubeletConfig: { kubelet: 'configz', probe: 'kubeletConfig' },
  nodeDisk: { kubelet: 'stats/summary', probe: 'diskUsage' },
};

/** What is kept of a node between its kubelet reads and its SSH session: the settled values or the
 * reasons they did not settle — never the raw kubelet responses. */
interface Partial {
  target: NodeTarget;
  config?: ReturnType<typeof resolveConfig>;
  configz?: ProbeOutcome<unknown>;
  disk?: NodeDisk;
  diskNotes: string[];
}

export class NodeFactsResolver {
  private readonly nodes = new Map<string, Partial>();

  constructor(private readonly facts: ReadonlySet<NodeFactName>) {}

  /** The kubelet endpoints of one node, as read through the API server (absent when not asked). */
  fromKubelet(target: NodeTarget, endpoints: { [P in KubeletPath]?: ProbeOutcome<unknown> }): void {
    const p = this.entry(target);
    const configz = endpoints.configz;
    if (this.facts.has('kubeletConfig') && configz) {
      const live = resolveConfig({ configz, kubeletVersion: target.kubeletVersion });
      // configz is the running kubelet's own view: when it answered, the file is never needed.
      if (live.source === 'configz') p.config = live;
      else p.configz = configz.ok ? { ok: true, value: null } : configz; // keep why, not the answer
    }
    const summary = endpoints['stats/summary'];
    if (this.facts.has('nodeDisk') && summary) {
      if (summary.ok) {
        const disk = fromSummary(summary.value);
        if (disk) p.disk = disk;
        else p.diskNotes.push('stats/summary: no node filesystem in the response');
      } else p.diskNotes.push(`stats/summary: ${summary.reason}`);
    }
  }

  /** The node's facts, with its parsed probes when it was reached over SSH. Forgets the node. */
  complete(target: NodeTarget, probes?: NodeProbeResults['probes']): NodeFacts {
    const p = this.entry(target);
    this.nodes.delete(target.name);
    const facts: NodeFacts = { node: target.name };
    if (this.facts.has('kubeletConfig')) {
      facts.kubeletConfig = p.config ?? resolveConfig({ configz: p.configz, file: probes?.kubeletConfig, kubeletVersion: target.kubeletVersion });
    }
    if (this.facts.has('nodeDisk')) {
      const notes = [...p.diskNotes];
      let disk = p.disk;
      const df = probes?.diskUsage;
      if (!disk && df) {
        if (!df.ok) notes.push(`df: ${df.reason}`);
        else if (!(disk = fromDf(df.value, target.containerRuntime))) notes.push('df: /var/lib/kubelet not found on the node');
      }
      if (disk) facts.nodeDisk = disk;
      if (notes.length) facts.nodeDiskNotes = notes;
    }
    return facts;
  }

  private entry(target: NodeTarget): Partial {
    let p = this.nodes.get(target.name);
    if (!p) this.nodes.set(target.name, (p = { target, diskNotes: [] }));
    return p;
  }
}
