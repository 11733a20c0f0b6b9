// Decisions for measured hostPaths (check-facts §7.2 thresholds), one finding per workload and path
// across the nodes it is on. The words are in messages.ts.
//
// What a path is for decides how it is judged. Log-like and scratch paths: a large share of the
// filesystem, fast growth, a projected fill within 24 h, or a full filesystem under a large hostPath.
// Known data directories (etcd, storage provisioners, metrics TSDBs) hold data on the node by design:
// their share is the point, so only a full filesystem they take a large part of, or a projected fill
// measured over a long enough sample, is reported — with remediation for what they are.
import { reporter, type CheckContext, type Severity } from '../../src/check.js';
import type { PathUsage } from '../../src/node/probes/hostpathUsage.js';
import type { EffectiveConfig } from '../../src/node/kubelet-config.js';
import type { LocalVolumeDirs } from '../../src/node/probes/localVolumeDirs.js';
import { rules, type Confidence, type Limits, type Owner, type Projection, type Verdict } from './messages.js';
import { isLogLike, type DataPurpose } from './paths.js';

export { sshCommand } from './messages.js';
export type { Limits, Owner } from './messages.js';

/** Less than this between the two samples is du granularity and bursts, not a rate to extrapolate. */
export const MIN_GROWTH_BYTES = 1024 ** 2;
/** A data directory's growth is projected only from at least this much writing over at least this
 * long: etcd preallocates 64 MiB WAL segments and rewrites its snapshot at once, a TSDB compacts in
 * blocks — seconds of that are not a rate. */
export const DATA_MIN_GROWTH_BYTES = 128 * 1024 ** 2;
export const DATA_MIN_SECONDS = 300;

export interface Measured {
  node: string;
  path: string;
  usage: PathUsage;
  owners: Owner[];
  podLogs?: PathUsage;
  config: EffectiveConfig;
  /** Set for a known data directory. */
  purpose?: DataPurpose;
}

const RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };
const r1 = (n: number) => Math.round(n * 10) / 10;
/** Two significant digits: 0.0019 h stays visible, 341.33 h reads 340. */
const sig2 = (n: number) => Number(n.toPrecision(2));

/** How far a time to full can be trusted, from how much was written over how long. */
export function confidence(grownBytes: number, overSeconds: number): Confidence {
  if (overSeconds >= 300 && grownBytes >= 64 * 1024 ** 2) return 'high';
  if (overSeconds >= 60 && grownBytes >= 16 * 1024 ** 2) return 'moderate';
  return 'low';
}

interface Judged { v: Verdict; m: Measured; severity: Severity; notProjected?: string }

function judge(m: Measured, limits: Limits): Judged | undefined {
  const u = m.usage;
  const fs = u.filesystem;
  if (u.state !== 'ok' || u.sizeBytes === undefined || !fs || fs.capacityBytes <= 0) return undefined;
  const sharePercent = (u.sizeBytes * 100) / fs.capacityBytes;
  const fsUsedPercent = 100 - (fs.availableBytes * 100) / fs.capacityBytes;
  const seconds = u.measuredOverSeconds;
  const grownBytes = u.growthBytesPerHour !== undefined && seconds !== undefined ? (u.growthBytesPerHour * seconds) / 3600 : undefined;
  const growth = grownBytes !== undefined && grownBytes >= MIN_GROWTH_BYTES ? u.growthBytesPerHour! : undefined;
  let projection: Projection | undefined;
  let notProjected: string | undefined;
  if (growth !== undefined && growth > 0) {
    const p: Projection = { hoursToFull: fs.availableBytes / growth, grownBytes: grownBytes!, overSeconds: seconds!, confidence: confidence(grownBytes!, seconds!) };
    if (!m.purpose || (grownBytes! >= DATA_MIN_GROWTH_BYTES && seconds! >= DATA_MIN_SECONDS)) projection = p;
    else notProjected = `${Math.round(grownBytes! / 1024 ** 2)} MiB in ${Math.round(seconds!)} s is too little to project a data directory's growth ` +
      `(needs ${DATA_MIN_GROWTH_BYTES / 1024 ** 2} MiB over ${DATA_MIN_SECONDS} s: preallocation and compaction come in bursts)`;
  }
  const fillsSoon = projection !== undefined && projection.hoursToFull < limits.fillHours;
  const base = { node: m.node, path: m.path, usage: u, sizeBytes: u.sizeBytes, sharePercent, fsUsedPercent, growthBytesPerHour: growth, projection, limits };

  if (m.purpose) {
    // A data directory's share is what it is for; a full filesystem is its problem only when it is a
    // large part of what fills it (otherwise kubelet-gc and the disk's other users are the story).
    const full = fsUsedPercent >= limits.fullPercent && sharePercent > limits.sharePercent;
    if (!fillsSoon && !full) return undefined;
    const v: Verdict = { ...base, share: false, fast: false, fillsSoon, full };
    const severity: Severity = full || projection!.confidence === 'high' ? 'critical' : 'warning';
    return { v, m, severity, notProjected };
  }

  const share = sharePercent > limits.sharePercent;
  const fast = growth !== undefined && growth >= limits.fastBytesPerHour;
  if (!share && !fast && !fillsSoon) return undefined;
  // A full filesystem makes a hostPath that already stands out urgent; a small one on it is not the cause.
  const full = fsUsedPercent >= limits.fullPercent;
  const severity: Severity = fillsSoon || full ? 'critical' : 'warning';
  return { v: { ...base, share, fast, fillsSoon, full }, m, severity };
}

function nodeEvidence(j: Judged): Record<string, unknown> {
  const { v, m } = j;
  const fs = m.usage.filesystem!;
  return {
    node: m.node, path: m.path, ...(m.usage.resolved ? { resolvedPath: m.usage.resolved } : {}),
    sizeBytes: v.sizeBytes, ...(m.usage.partial ? { sizeIsLowerBound: true } : {}),
    sharePercent: r1(v.sharePercent),
    filesystem: { mount: fs.mount, device: fs.filesystem, capacityBytes: fs.capacityBytes, availableBytes: fs.availableBytes, usedPercent: r1(v.fsUsedPercent), dfUsePercent: fs.dfUsePercent },
    ...(v.growthBytesPerHour !== undefined ? { growthBytesPerHour: v.growthBytesPerHour, measuredOverSeconds: m.usage.measuredOverSeconds } : {}),
    ...(v.projection ? {
      hoursToFull: sig2(v.projection.hoursToFull),
      projection: { grownBytes: Math.round(v.projection.grownBytes), overSeconds: v.projection.overSeconds, confidence: v.projection.confidence },
    } : {}),
    ...(j.notProjected ? { notProjected: j.notProjected } : {}),
  };
}

export function reportGroups(ctx: CheckContext, measured: Measured[]): void {
  const say = reporter(ctx, rules);
  const o = ctx.options;
  const limits: Limits = {
    sharePercent: Number(o.sharePercent), fastBytesPerHour: Number(o.fastGrowthMiBPerHour) * 1024 ** 2,
    fillHours: Number(o.fillWithinHours), fullPercent: Number(o.fullPercent),
  };
  const groups = new Map<string, { owner: Owner; judged: Judged[] }>();
  const unmeasured = new Map<string, { path: string; state: string }[]>();
  for (const m of measured) {
    if (m.usage.state !== 'ok' && m.usage.state !== 'missing') {
      unmeasured.set(m.node, [...(unmeasured.get(m.node) ?? []), { path: m.path, state: m.usage.state }]);
      continue;
    }
    const j = judge(m, limits);
    if (!j) continue;
    for (const owner of m.owners) {
      const key = `${owner.namespace}/${owner.kind}/${owner.name}\u0000${m.path}`;
      const g = groups.get(key) ?? { owner, judged: [] };
      groups.set(key, g);
      g.judged.push(j);
    }
  }

  for (const { owner, judged } of groups.values()) {
    judged.sort((a, b) => RANK[b.severity] - RANK[a.severity] || b.v.sharePercent - a.v.sharePercent);
    const worst = judged[0]!;
    const { path, config, purpose } = worst.m;
    const target = { kind: owner.kind, name: owner.name, namespace: owner.namespace };
    const nodes = judged.length > 1 ? { nodes: judged.map(nodeEvidence) } : {};
    if (purpose) {
      say('dataDirFillsDisk', {
        severity: worst.severity, target,
        evidence: { ...nodeEvidence(worst), pod: owner.pod, volume: owner.volume, purpose: purpose.kind, system: purpose.system, ...nodes },
      }, { owner, worst: worst.v, nodes: judged.length, severity: worst.severity, purpose });
      continue;
    }
    const logLike = isLogLike(path);
    const podLogs = worst.m.podLogs?.state === 'ok' ? worst.m.podLogs.sizeBytes : undefined;
    say('hostPathFillsDisk', {
      severity: worst.severity, target,
      evidence: {
        ...nodeEvidence(worst), pod: owner.pod, volume: owner.volume, logLike,
        ...(logLike ? { logrotateConfigs: worst.m.usage.logrotate } : {}),
        podLogs: {
          path: '/var/log/pods', ...(podLogs !== undefined ? { sizeBytes: podLogs } : {}),
          containerLogMaxSize: config.containerLogMaxSize, containerLogMaxFiles: config.containerLogMaxFiles, configSource: config.sourceDetail,
        },
        ...nodes,
      },
    }, { owner, worst: worst.v, nodes: judged.length, severity: worst.severity, logLike, config });
  }

  for (const [node, paths] of unmeasured) {
    say('hostPathsNotMeasured', { severity: 'info', target: { kind: 'Node', name: node }, evidence: { node, paths } }, { node, paths });
  }
}

/** hostPaths beyond the per-node limit of the probe input: never measured, and said so. */
export function reportNotSent(ctx: CheckContext, node: string, paths: string[], limit: number): void {
  reporter(ctx, rules)('tooManyHostPaths', {
    severity: 'info', target: { kind: 'Node', name: node },
    evidence: { node, notMeasured: paths.length, limit, firstNotMeasured: paths.slice(0, 10) },
  }, { node, paths, limit });
}

/** A volume directory younger than this may belong to a volume being provisioned right now: the
 * provisioner creates the directory before the PersistentVolume object. */
export const ORPHAN_MIN_AGE_SECONDS = 3600;

/**
 * The provisioner directories on a node that belong to no PersistentVolume. Judged only under a root
 * that at least one listed PersistentVolume points into: that proves the PersistentVolume list was
 * read (it is optional data) and that the provisioner's volumes are in it — otherwise nothing is said.
 */
export function orphanedDirectories(node: LocalVolumeDirs, volumePaths: ReadonlySet<string>): { root: string; dirs: string[]; total: number; known: number }[] {
  const out: { root: string; dirs: string[]; total: number; known: number }[] = [];
  for (const r of node.roots) {
    const known = [...volumePaths].filter((p) => p.startsWith(`${r.root}/`)).length;
    if (!known || node.now === undefined) continue;
    const dirs = r.dirs
      .filter((d) => d.mtime > 0 && node.now! - d.mtime >= ORPHAN_MIN_AGE_SECONDS && !volumePaths.has(`${r.root}/${d.name}`))
      .map((d) => d.name).sort();
    if (dirs.length) out.push({ root: r.root, dirs, total: r.total, known });
  }
  return out;
}
