// Shared by the snapshot writer and reader (FORMAT.md describes the layout).
import type { ClusterInfo } from '../engine/source.js';
import type { Gap } from '../engine/types.js';
import type { ApiKind } from '../kube/resources.js';

export const SNAPSHOT_API_VERSION = 'checkup.k8s.io/v1';

/** A file every snapshot folder holds: the proof that --save-snapshot may replace the folder. */
export const SNAPSHOT_MARKER = '.kubectl-checkup-snapshot';
export const SNAPSHOT_MARKER_TEXT = 'kubectl-checkup snapshot (checkup.k8s.io/v1): this folder is replaced whole by the next --save-snapshot to it\n';

export interface SnapshotMeta {
  apiVersion: string;
  kind: 'Snapshot';
  tool: { name: string; version: string };
  cluster: ClusterInfo;
  /** The cluster identity fingerprints were keyed on when collected: a replay keeps them (DESIGN §2.5). */
  identity?: string;
  /** How the nodes were reached (a replay names it in node gaps); absent = ssh. */
  transport?: 'ssh' | 'pod';
  collectedAt: string;
  scope: { namespace: string | null; labelSelector: string | null };
  /** The kinds that were listed (their files may be empty). */
  kinds: ApiKind[];
  /** How each kind was listed, when narrower than everything: a replay asking for more is refused. */
  lists?: { [K in ApiKind]?: SavedList };
  gaps: Gap[];
}

export interface SavedList {
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
}

/** Node names are DNS subdomains; anything else is encoded so it cannot leave the nodes/ folder. */
export function nodeFileName(node: string): string {
  return /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(node) && !node.includes('..') ? `${node}.json` : `${encodeURIComponent(node).replace(/\./g, '%2E')}.json`;
}
