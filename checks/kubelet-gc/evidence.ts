// What a node's disk looks like to the eviction manager, as plain evidence for other checks (the
// evicted-pods check cites it for pods evicted for ephemeral-storage / nodefs / imagefs): the usage
// of nodefs and imagefs from the Summary API, each disk signal against the kubelet's effective
// evictionHard threshold (configz), and where both came from. API-only: no SSH.
import type { ProbeOutcome } from '../../src/engine/types.js';
import { resolveConfig } from './config.js';
import { fsEvidence, signalStates } from './findings.js';
import { fromSummary } from './usage.js';

export interface DiskEvidenceInput {
  /** NodeApiResults.endpoints['stats/summary'] */
  summary?: ProbeOutcome<unknown>;
  /** NodeApiResults.endpoints.configz */
  configz?: ProbeOutcome<unknown>;
  /** node.status.nodeInfo.kubeletVersion (decides the default evictionHard) */
  kubeletVersion?: string;
}

/** Undefined when the Summary API gave nothing usable (forbidden, or no node filesystem). */
export function nodeDiskEvidence(input: DiskEvidenceInput): Record<string, unknown> | undefined {
  const disk = input.summary?.ok ? fromSummary(input.summary.value) : undefined;
  if (!disk) return undefined;
  const config = resolveConfig({ configz: input.configz, kubeletVersion: input.kubeletVersion });
  return {
    usageSource: disk.source,
    thresholdsSource: config.sourceDetail,
    nodefs: fsEvidence(disk.nodefs),
    imagefs: fsEvidence(disk.imagefs),
    sameFilesystem: disk.sameFilesystem,
    signals: signalStates(disk, config.evictionHard).map(({ signal, threshold, availablePercent, state }) => ({ signal, threshold, availablePercent, state })),
    ...(config.missingSignals.length && config.source !== 'defaults' ? { notWatched: config.missingSignals } : {}),
  };
}
