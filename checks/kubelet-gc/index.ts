// Upstream: https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/ and https://kubernetes.io/docs/concepts/architecture/garbage-collection/#containers-images
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { defineCheck, type ProbeOutcome } from '../../src/engine/types.js';
import { eventCount, eventLastSeen } from '../../src/kube/events.js';
import { resolveConfig, type EffectiveConfig } from '../../src/node/kubelet-config.js';
import { EvictionTally } from './evictions.js';
import { evaluateNode, type NodeEvent } from './findings.js';
import { fromDf, fromSummary, type NodeDisk } from '../../src/node/node-disk.js';
import type { DiskUsage } from '../../src/node/probes/diskUsage.js';

/** Node events that tell GC or eviction is failing or acting (check-facts §4.1, §5.1). */
const EVENT_REASONS = new Set(['ImageGCFailed', 'FreeDiskSpaceFailed', 'ContainerGCFailed', 'EvictionThresholdMet']);

/** What the check keeps of a node: the derived values, never the raw kubelet responses or probe results. */
interface NodeState {
  kubeletVersion?: string;
  runtime?: string;
  diskPressure?: { status: string; since?: string; message?: string };
  /** Resolved settings, once a source settled them (configz, else the file over SSH). */
  config?: EffectiveConfig;
  /** configz when it did not settle them: the failure, or an answer without kubeletconfig (as null). */
  configz?: ProbeOutcome<unknown>;
  disk?: NodeDisk;
  /** Why better disk sources were not used. */
  diskNotes: string[];
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
  needs: {
    api: [
      'Node',
      // The kubelet writes node events to `default`: read them whatever -n says.
      { kind: 'Event', fieldSelector: 'involvedObject.kind=Node', optional: true, allNamespaces: true },
      { kind: 'Pod', fieldSelector: 'status.phase=Failed', optional: true },
    ],
    nodeApi: ['configz', 'stats/summary'],
    probes: ['kubeletConfig', 'diskUsage'],
    probesOptional: true,
  },
  create(ctx) {
    const nodes = new Map<string, NodeState>();
    const events = new Map<string, Map<string, NodeEvent>>();
    const evictions = new EvictionTally(ctx.now.getTime());
    /** Nodes the engine targeted (the kubelet endpoints were asked for): --nodes narrows this. */
    const targeted = new Set<string>();

    return {
      Node(node: V1Node) {
        const name = node.metadata?.name;
        if (!name) return;
        const cond = node.status?.conditions?.find((c) => c.type === 'DiskPressure');
        nodes.set(name, {
          kubeletVersion: node.status?.nodeInfo?.kubeletVersion,
          runtime: node.status?.nodeInfo?.containerRuntimeVersion,
          diskPressure: cond && { status: cond.status, since: cond.lastTransitionTime as unknown as string | undefined, message: cond.message },
          diskNotes: [],
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
        if (!seen) {
          perNode.set(ev.reason, { reason: ev.reason, count, last: t, message: (ev.message ?? '').slice(0, 300) });
        } else {
          seen.count += count;
          if ((t ?? -Infinity) > (seen.last ?? -Infinity)) { seen.last = t; seen.message = (ev.message ?? '').slice(0, 300); }
        }
      },

      NodeApi(results) {
        targeted.add(results.node);
        const s = nodes.get(results.node);
        if (!s) return;
        const configz = results.endpoints.configz;
        const live = resolveConfig({ configz, kubeletVersion: s.kubeletVersion });
        // configz is the running kubelet's own view: when it answered, the file is never needed.
        if (live.source === 'configz') s.config = live;
        else if (configz) s.configz = configz.ok ? { ok: true, value: null } : configz;
        diskFromSummary(s, results.endpoints['stats/summary']);
      },

      NodeProbes(results) {
        targeted.add(results.node);
        const s = nodes.get(results.node);
        if (!s) return;
        s.config ??= resolveConfig({ configz: s.configz, file: results.probes.kubeletConfig, kubeletVersion: s.kubeletVersion });
        s.configz = undefined;
        diskFromDf(s, results.probes.diskUsage);
      },

      finish() {
        for (const [name, s] of nodes) {
          if (!targeted.has(name)) continue;
          const config = s.config ?? resolveConfig({ configz: s.configz, kubeletVersion: s.kubeletVersion });
          evaluateNode(ctx, {
            node: name, kubeletVersion: s.kubeletVersion, config, disk: s.disk, diskNotes: s.diskNotes,
            diskPressure: s.diskPressure, events: events.get(name) ?? new Map(), evictions: evictions.forNode(name),
          });
        }
      },
    };
  },
});

/** Summary API first (the eviction manager's own numbers)… */
function diskFromSummary(s: NodeState, summary: ProbeOutcome<unknown> | undefined): void {
  if (summary?.ok) {
    const disk = fromSummary(summary.value);
    if (disk) s.disk = disk;
    else s.diskNotes.push('stats/summary: no node filesystem in the response');
  } else if (summary) s.diskNotes.push(`stats/summary: ${summary.reason}`);
}

/** …df over SSH second. */
function diskFromDf(s: NodeState, df: ProbeOutcome<DiskUsage> | undefined): void {
  if (s.disk) return;
  if (df?.ok) {
    const disk = fromDf(df.value, s.runtime);
    if (disk) s.disk = disk;
    else s.diskNotes.push('df: /var/lib/kubelet not found on the node');
  } else if (df) s.diskNotes.push(`df: ${df.reason}`);
}
