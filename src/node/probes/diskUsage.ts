// Capacity, usage and inodes of the filesystems the kubelet garbage-collects and evicts on (nodefs:
// the kubelet root; imagefs: the container runtime's root), read with `df -Pk` / `df -Pi` — the SSH
// fallback when the Summary API (GET …/proxy/stats/summary) is not allowed. check-facts §4.2.
import { defineProbe, ProbeError } from '../probe-types.js';

/** Fixed directories: the kubelet root, each runtime's root (containerd, Docker, CRI-O), the logs. */
export const DISK_PATHS = [
  '/var/lib/kubelet',
  '/var/lib/containerd',
  '/var/lib/docker',
  '/var/lib/containers/storage',
  '/var/log',
] as const;

/** One `df -Pk` data line. Sizes in bytes. */
export interface DfRow {
  filesystem: string;
  capacityBytes: number;
  usedBytes: number;
  availableBytes: number;
  /** df's own Capacity column (used / (used + available), rounded up): what `df -h` shows a person. */
  dfUsePercent: number | null;
  mount: string;
}

/** One `df -Pi` data line; null counts when the filesystem has no fixed inode table (btrfs, vfat). */
export interface DfInodeRow {
  inodes: number | null;
  inodesUsed: number | null;
  inodesFree: number | null;
  mount: string;
}

export type PathDisk =
  | { state: 'ok'; df: DfRow; inodes: DfInodeRow | null }
  | { state: 'missing' }
  | { state: 'failed' };

export interface DiskUsage {
  paths: Partial<Record<(typeof DISK_PATHS)[number], PathDisk>>;
}

// Filesystem names may contain spaces and mount points may too; the four numbers and the percent
// column between them anchor the split (POSIX -P output keeps each filesystem on one line). Split by
// a scan over the words, not by a pattern: `^(.*?)\s+(\d+)…` backtracks quadratically on a long run of
// spaces, and the line comes from the node.
const NUMBER = /^\d+$/;
const PERCENT = /^(?:\d+%|-)$/;

/** filesystem, the four columns and the mount of a df -P data line, or undefined. */
function splitDfLine(text: string): string[] | undefined {
  const line = text.trimEnd();
  const words: [number, number][] = [];
  for (const m of line.matchAll(/\S+/g)) words.push([m.index, m.index + m[0].length]);
  const word = (i: number) => line.slice(words[i]![0], words[i]![1]);
  // Words k..k+4: size, used, available, capacity, then the mount point (to the end of the line).
  for (let k = 0; k + 4 < words.length; k++) {
    // The size column needs whitespace before it (an empty filesystem name only after leading spaces).
    if (k === 0 && words[0]![0] === 0) continue;
    if (!NUMBER.test(word(k)) || !NUMBER.test(word(k + 1)) || !NUMBER.test(word(k + 2)) || !PERCENT.test(word(k + 3))) continue;
    if (!word(k + 4).startsWith('/')) continue;
    return [k === 0 ? '' : line.slice(0, words[k - 1]![1]), word(k), word(k + 1), word(k + 2), word(k + 3), line.slice(words[k + 4]![0])];
  }
  return undefined;
}

/** Parses the data line of `df -Pk` (1024-byte blocks). Undefined when the line is not one. */
export function parseDfLine(line: string): DfRow | undefined {
  const m = splitDfLine(line);
  if (!m) return undefined;
  const [filesystem, size, used, avail, pct, mount] = m;
  return {
    filesystem: filesystem!,
    capacityBytes: Number(size) * 1024,
    usedBytes: Number(used) * 1024,
    availableBytes: Number(avail) * 1024,
    dfUsePercent: pct === '-' ? null : Number(pct!.slice(0, -1)),
    mount: mount!,
  };
}

/** Parses the data line of `df -Pi`. Undefined when the line is not one. */
export function parseDfInodeLine(line: string): DfInodeRow | undefined {
  const m = splitDfLine(line);
  if (!m) return undefined;
  const [, total, used, free, , mount] = m;
  const inodes = Number(total);
  // btrfs and friends report 0 inodes: there is no limit to be near, so no numbers at all.
  if (inodes === 0) return { inodes: null, inodesUsed: null, inodesFree: null, mount: mount! };
  return { inodes, inodesUsed: Number(used), inodesFree: Number(free), mount: mount! };
}

const HEADER_K = /^Filesystem\s+1024-blocks\s+Used\s+Available\s+Capacity\s+Mounted on\s*$/;
const HEADER_I = /^Filesystem\s+Inodes\s+IUsed\s+IFree\s+IUse%\s+Mounted on\s*$/;

export const diskUsage = defineProbe<DiskUsage>({
  script: [
    `for p in ${DISK_PATHS.join(' ')}; do`,
    '  if [ ! -e "$p" ]; then echo "@@ missing $p"; continue; fi',
    '  echo "@@ df $p"; df -Pk -- "$p" </dev/null',
    '  echo "@@ dfi $p"; df -Pi -- "$p" </dev/null',
    'done',
    'echo "@@ end"',
  ].join('\n'),
  parse([s]) {
    const lines = s!.stdout.split('\n');
    if (!lines.some((l) => l === '@@ end')) throw new ProbeError('diskUsage: output is truncated (no end marker)');
    const paths: DiskUsage['paths'] = {};
    const known = new Set<string>(DISK_PATHS);
    let current: { kind: 'df' | 'dfi'; path: string } | null = null;
    const rows = new Map<string, { df?: DfRow; inodes?: DfInodeRow }>();
    for (const line of lines) {
      if (line === '@@ end') break;
      const marker = /^@@ (missing|df|dfi) (\/\S*)$/.exec(line);
      if (marker) {
        const [, kind, path] = marker as unknown as [string, string, string];
        if (!known.has(path)) throw new ProbeError(`diskUsage: unexpected path ${JSON.stringify(path)}`);
        if (kind === 'missing') { paths[path as keyof DiskUsage['paths']] = { state: 'missing' }; current = null; continue; }
        current = { kind: kind as 'df' | 'dfi', path };
        if (!rows.has(path)) rows.set(path, {});
        continue;
      }
      if (line.startsWith('@@ ')) throw new ProbeError(`diskUsage: unexpected marker ${JSON.stringify(line.slice(0, 80))}`);
      if (!current || line.trim() === '' || HEADER_K.test(line) || HEADER_I.test(line)) continue;
      const entry = rows.get(current.path)!;
      if (current.kind === 'df') {
        const row = parseDfLine(line);
        if (!row) throw new ProbeError(`diskUsage: unexpected df line ${JSON.stringify(line.slice(0, 80))}`);
        entry.df ??= row;
      } else {
        const row = parseDfInodeLine(line);
        if (!row) throw new ProbeError(`diskUsage: unexpected df -i line ${JSON.stringify(line.slice(0, 80))}`);
        entry.inodes ??= row;
      }
    }
    for (const [path, entry] of rows) {
      paths[path as keyof DiskUsage['paths']] = entry.df ? { state: 'ok', df: entry.df, inodes: entry.inodes ?? null } : { state: 'failed' };
    }
    if (!Object.keys(paths).length) throw new ProbeError('diskUsage: no output for any path');
    return { paths };
  },
});
