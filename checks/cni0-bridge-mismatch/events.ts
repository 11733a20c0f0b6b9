// FailedCreatePodSandBox events from the bridge CNI plugin's ensureAddr(): `"cni0" already has an IP
// address different from 10.244.1.1/24`. The address in the message is the one the plugin wanted to
// put on the bridge (flannel's gateway), not the one the bridge has. Grouped per node (source.host).
import type { CoreV1Event } from '@kubernetes/client-node';
import { eventCount, eventLastSeen } from '../../src/kube/events.js';

const MISMATCH = /"([^"]+)" already has an IP address different from ([0-9A-Fa-f.:]+\/\d{1,3})/;
const MAX_PODS = 10;

export interface SandboxFailures {
  /** Sum of the events' counts. */
  count: number;
  /** Epoch ms of the latest failure. */
  lastSeen?: number;
  /** namespace/name of the pods, at most MAX_PODS. */
  pods: string[];
  morePods: number;
  /** Bridge names and wanted addresses quoted by the plugin. */
  bridges: Set<string>;
  wanted: Set<string>;
  example: string;
}

/** The node and parsed message of a bridge-mismatch event, or undefined for any other event. */
export function parseSandboxEvent(e: CoreV1Event): { node: string; bridge: string; wanted: string } | undefined {
  if (e.reason !== 'FailedCreatePodSandBox' || !e.message) return undefined;
  const m = MISMATCH.exec(e.message);
  const node = e.source?.host || e.reportingInstance;
  if (!m || !node) return undefined;
  return { node, bridge: m[1]!, wanted: m[2]! };
}

export function addSandboxEvent(into: Map<string, SandboxFailures>, e: CoreV1Event): void {
  const parsed = parseSandboxEvent(e);
  if (!parsed) return;
  let g = into.get(parsed.node);
  if (!g) {
    g = { count: 0, pods: [], morePods: 0, bridges: new Set(), wanted: new Set(), example: e.message! };
    into.set(parsed.node, g);
  }
  g.count += eventCount(e);
  const seen = eventLastSeen(e);
  if (seen !== undefined && (g.lastSeen === undefined || seen > g.lastSeen)) g.lastSeen = seen;
  const pod = e.involvedObject?.name ? `${e.involvedObject.namespace ?? ''}/${e.involvedObject.name}` : undefined;
  if (pod && !g.pods.includes(pod)) {
    if (g.pods.length < MAX_PODS) g.pods.push(pod);
    else g.morePods++;
  }
  g.bridges.add(parsed.bridge);
  g.wanted.add(parsed.wanted);
}
