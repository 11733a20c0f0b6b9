// Upstream: https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/ and https://kubernetes.io/docs/concepts/architecture/garbage-collection/#containers-images
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { defineCheck, reporter, type NodeFacts } from '../../src/check.js';
import { rules } from './messages.js';
import { eventCount, eventLastSeen } from '../../src/kube/events.js';
import { EvictionTally } from './evictions.js';
import { evaluateNode, type NodeEvent } from './findings.js';
import { NEAR_POINTS } from '../../src/node/node-disk.js';

/** Node events that tell GC or eviction is failing or acting (check-facts §4.1, §5.1). */
const EVENT_REASONS = new Set(['ImageGCFailed', 'FreeDiskSpaceFailed', 'ContainerGCFailed', 'EvictionThresholdMet']);

/** What the check keeps of a node: the derived values, never the raw kubelet responses or probe results. */
interface NodeState {
  kubeletVersion?: string;
  diskPressure?: { status: string; since?: string; message?: string };
  /** The node's facts (src/engine/node-facts.ts): effective settings and disk usage, with their sources. */
  facts?: NodeFacts;
}

export default defineCheck({
  id: 'kubelet-gc',
  title: 'Kubelet image GC and disk eviction keep nodes out of disk pressure',
  severity: 'critical',
  description:
    'Reads each kubelet\'s effective image-GC and evictionHard settings (configz through the API server, else the config ' +
    'file and flags over SSH) and its nodefs/imagefs usage (Summary API, else df). Flags image filesystems above the GC ' +
    'high threshold while ImageGCFailed/FreeDiskSpaceFailed events say GC cannot reclaim, nodes in DiskPressure or within ' +
    '5 points of an eviction threshold, evictionHard maps that set only some signals and so switch the others off, image ' +
    'GC disabled (high threshold 100) and low ≥ high thresholds. Findings cite the pods already evicted on the node.',
  rules,
  needs: {
    api: [
      'Node',
      // The kubelet writes node events to `default`: read them whatever -n says.
      { kind: 'Event', fieldSelector: 'involvedObject.kind=Node', optional: true, allNamespaces: true },
      { kind: 'Pod', fieldSelector: 'status.phase=Failed', optional: true },
    ],
    nodeFacts: ['kubeletConfig', 'nodeDisk'],
  },
  // The other lines are the kubelet's: its evictionHard thresholds, imageGCHigh/LowThresholdPercent, and
  // the 100 that switches image GC off. They are read from each node, not set here.
  settings: {
    nearPoints: {
      type: 'number', default: NEAR_POINTS, min: 0, max: 100,
      description: 'Percentage points of headroom above an eviction threshold below which a disk signal is a warning (0: only thresholds crossed).',
    },
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const limits = { nearPoints: Number(ctx.options.nearPoints) };
    const nodes = new Map<string, NodeState>();
    const events = new Map<string, Map<string, NodeEvent>>();
    const evictions = new EvictionTally(ctx.now.getTime());

    return {
      Node(node: V1Node) {
        const name = node.metadata?.name;
        if (!name) return;
        const cond = node.status?.conditions?.find((c) => c.type === 'DiskPressure');
        nodes.set(name, {
          kubeletVersion: node.status?.nodeInfo?.kubeletVersion,
          diskPressure: cond && { status: cond.status, since: cond.lastTransitionTime as unknown as string | undefined, message: cond.message },
        });
      },

      Pod(pod: V1Pod) {
        evictions.add(pod);
      },

      Event(ev: CoreV1Event) {
        const obj = ev.involvedObject;
        if (obj?.kind !== 'Node' || !obj.name || !ev.reason || !EVENT_REASONS.has(ev.reason)) return;
        const perNode = events.get(obj.name) ?? new Map<string, NodeEvent>();
        events.set(obj.name, perNode);
        const t = eventLastSeen(ev);
        const count = eventCount(ev);
        const seen = perNode.get(ev.reason);
        const text = typeof ev.message === 'string' ? ev.message.slice(0, 300) : '';
        if (!seen) {
          perNode.set(ev.reason, { reason: ev.reason, count, last: t, message: text });
        } else {
          seen.count += count;
          if ((t ?? -Infinity) > (seen.last ?? -Infinity)) { seen.last = t; seen.message = text; }
        }
      },

      NodeFacts(facts) {
        const s = nodes.get(facts.node);
        if (s) s.facts = facts;
      },

      finish() {
        // Nodes without facts were not targeted (--nodes narrows the run).
        for (const [name, s] of nodes) {
          if (!s.facts?.kubeletConfig) continue;
          evaluateNode(say, {
            node: name, kubeletVersion: s.kubeletVersion, config: s.facts.kubeletConfig, disk: s.facts.nodeDisk, diskNotes: s.facts.nodeDiskNotes ?? [],
            diskPressure: s.diskPressure, events: events.get(name) ?? new Map(), evictions: evictions.forNode(name),
          }, limits);
        }
      },
    };
  },
});
