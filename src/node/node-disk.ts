// nodefs / imagefs capacity, availability and inodes: from the Summary API (the numbers the eviction
// manager itself uses) or, without nodes/proxy, from df over SSH. check-facts §4.2, §4.4.
import type { DiskUsage, PathDisk } from './probes/diskUsage.js';
import { DISK_SIGNALS, thresholdPercent, type DiskSignal, type EffectiveConfig } from './kubelet-config.js';

export interface FsStats {
  /** What a person would look at: the directory (df) or the filesystem role (summary). */
  path: string;
  mount?: string;
  device?: string;
  capacityBytes: number;
  availableBytes: number;
  inodes?: number;
  inodesFree?: number;
  /** df's Capacity column, when df was the source (it differs from the kubelet's arithmetic). */
  dfUsePercent?: number;
}

export interface NodeDisk {
  source: 'stats/summary' | 'df';
  nodefs?: FsStats;
  imagefs?: FsStats;
  /** nodefs and imagefs are one filesystem: one set of bytes, two thresholds. */
  sameFilesystem: boolean;
}

/** The kubelet's arithmetic (image GC and eviction): used% = 100 − available × 100 / capacity. */
export function usedPercent(fs: FsStats): number {
  return 100 - (fs.availableBytes * 100) / fs.capacityBytes;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

function summaryFs(v: unknown, path: string): FsStats | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const capacityBytes = num(o.capacityBytes);
  const availableBytes = num(o.availableBytes);
  if (!capacityBytes || availableBytes === undefined) return undefined;
  const fs: FsStats = { path, capacityBytes, availableBytes };
  const inodes = num(o.inodes);
  const inodesFree = num(o.inodesFree);
  if (inodes && inodesFree !== undefined) { fs.inodes = inodes; fs.inodesFree = inodesFree; }
  return fs;
}

/** From GET /api/v1/nodes/<n>/proxy/stats/summary; undefined when it has no node filesystem. */
export function fromSummary(value: unknown): NodeDisk | undefined {
  const node = (value as { node?: { fs?: unknown; runtime?: { imageFs?: unknown } } } | null)?.node;
  const nodefs = summaryFs(node?.fs, 'the kubelet root filesystem');
  if (!nodefs) return undefined;
  const imagefs = summaryFs(node?.runtime?.imageFs, 'the image filesystem');
  const same = !!imagefs && imagefs.capacityBytes === nodefs.capacityBytes && imagefs.inodes === nodefs.inodes;
  return { source: 'stats/summary', nodefs, imagefs, sameFilesystem: same };
}

/** Where each runtime keeps images, from node.status.nodeInfo.containerRuntimeVersion ("containerd://1.7.2"). */
const RUNTIME_ROOTS: Record<string, string> = {
  containerd: '/var/lib/containerd',
  docker: '/var/lib/docker',
  'cri-o': '/var/lib/containers/storage',
};

function dfFs(path: string, entry: PathDisk | undefined): FsStats | undefined {
  if (entry?.state !== 'ok' || entry.df.capacityBytes <= 0) return undefined;
  const fs: FsStats = {
    path, mount: entry.df.mount, device: entry.df.filesystem,
    capacityBytes: entry.df.capacityBytes, availableBytes: entry.df.availableBytes,
  };
  if (entry.df.dfUsePercent !== null) fs.dfUsePercent = entry.df.dfUsePercent;
  if (entry.inodes?.inodes && entry.inodes.inodesFree !== null) { fs.inodes = entry.inodes.inodes; fs.inodesFree = entry.inodes.inodesFree; }
  return fs;
}

/** From df over SSH: nodefs is the kubelet root's filesystem, imagefs the runtime root's. */
export function fromDf(usage: DiskUsage, runtimeVersion: string | undefined): NodeDisk | undefined {
  const nodefs = dfFs('/var/lib/kubelet', usage.paths['/var/lib/kubelet']);
  if (!nodefs) return undefined;
  const runtime = /^([a-z-]+):\/\//.exec(runtimeVersion ?? '')?.[1];
  const preferred = runtime ? RUNTIME_ROOTS[runtime] : undefined;
  const candidates = [preferred, ...Object.values(RUNTIME_ROOTS)].filter((p): p is string => !!p);
  let imagefs: FsStats | undefined;
  for (const p of candidates) {
    imagefs = dfFs(p, usage.paths[p as keyof DiskUsage['paths']]);
    if (imagefs) break;
  }
  const same = !!imagefs && imagefs.mount === nodefs.mount && imagefs.device === nodefs.device;
  return { source: 'df', nodefs, imagefs, sameFilesystem: same };
}

// What a node's disk looks like to the eviction manager: each disk signal against the kubelet's
// effective evictionHard threshold, and plain evidence of it that any check can cite (kubelet-gc for
// its findings, evicted-pods for pods evicted for ephemeral-storage / nodefs / imagefs). API-only.
/** Points of headroom below which an eviction threshold counts as imminent, by default (kubelet-gc's
 * `nearPoints` setting moves it for its findings; other evidence uses this). */
export const NEAR_POINTS = 5;

export interface SignalState {
  signal: DiskSignal;
  filesystem: string;
  threshold: string;
  thresholdPercent: number;
  availablePercent: number;
  available: number;
  capacity: number;
  unit: 'bytes' | 'inodes';
  state: 'met' | 'near' | 'ok';
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export function signalStates(disk: NodeDisk | undefined, hard: Record<string, string>, nearPoints = NEAR_POINTS): SignalState[] {
  if (!disk) return [];
  const out: SignalState[] = [];
  for (const signal of DISK_SIGNALS) {
    const raw = hard[signal];
    const fs = signal.startsWith('imagefs') ? disk.imagefs : disk.nodefs;
    if (raw === undefined || !fs) continue;
    const inodes = signal.endsWith('inodesFree');
    const capacity = inodes ? fs.inodes : fs.capacityBytes;
    const available = inodes ? fs.inodesFree : fs.availableBytes;
    if (!capacity || available === undefined) continue;
    const t = thresholdPercent(raw, capacity);
    if (t === undefined || t <= 0) continue; // 0 switches the signal off on purpose
    const availablePercent = (available * 100) / capacity;
    const state = availablePercent < t ? 'met' : availablePercent - t < nearPoints ? 'near' : 'ok';
    out.push({ signal, filesystem: fs.mount ?? fs.path, threshold: raw, thresholdPercent: r1(t), availablePercent: r1(availablePercent),
      available, capacity, unit: inodes ? 'inodes' : 'bytes', state });
  }
  return out;
}

export function fsEvidence(fs: FsStats | undefined): Record<string, unknown> | null {
  if (!fs) return null;
  return {
    path: fs.path, ...(fs.mount ? { mount: fs.mount } : {}), ...(fs.device ? { device: fs.device } : {}),
    capacityBytes: fs.capacityBytes, availableBytes: fs.availableBytes, usedPercent: r1(usedPercent(fs)),
    ...(fs.dfUsePercent !== undefined ? { dfUsePercent: fs.dfUsePercent } : {}),
    ...(fs.inodes !== undefined ? { inodes: fs.inodes, inodesFree: fs.inodesFree } : {}),
  };
}

/** A node's filesystems against its eviction thresholds, as plain evidence any check can cite. */
export function nodeDiskEvidence(disk: NodeDisk, config: EffectiveConfig): Record<string, unknown> {
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
