// The volume directories that node-local provisioners keep under their fixed roots, with their
// modification times: local-path-provisioner names each one after its PersistentVolume
// (pvc-<uid>_<namespace>_<claim>), so one whose PersistentVolume is gone is data nothing uses any more
// (seed 004: "hostPath survives deletion; remove by hand"). Names only, no sizes: a du of every volume
// would be unbounded. The roots are constants of the fragment; it takes no input.
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';

/** local-path-provisioner's default root, and k3s's bundled one. */
export const LOCAL_VOLUME_ROOTS = ['/opt/local-path-provisioner', '/var/lib/rancher/k3s/storage'] as const;
export const MAX_DIRS_PER_ROOT = 500;

export interface LocalVolumeRoot {
  root: string;
  /** Directories named pvc-*, with their mtime (epoch seconds on the node's clock). */
  dirs: { name: string; mtime: number }[];
  /** How many pvc-* directories there are (more than `dirs` when capped). */
  total: number;
}

export interface LocalVolumeDirs {
  roots: LocalVolumeRoot[];
  /** The node's clock when it listed them (epoch seconds), to age the mtimes without trusting it to match ours. */
  now?: number;
}

export const localVolumeDirs = defineProbe<LocalVolumeDirs>({
  script: [
    'printf \'T %s\\n\' "$(date +%s 2>/dev/null)"',
    `for r in ${LOCAL_VOLUME_ROOTS.join(' ')}; do`,
    '  [ -d "$r" ] || continue',
    "  printf 'R %s\\n' \"$r\"",
    '  n=0',
    '  for d in "$r"/pvc-*; do',
    '    [ -d "$d" ] || continue',
    '    n=$((n + 1))',
    `    [ "$n" -le ${MAX_DIRS_PER_ROOT} ] || continue`,
    "    printf 'D %s %s\\n' \"$(stat -c %Y -- \"$d\" 2>/dev/null || echo 0)\" \"${d##*/}\"",
    '  done',
    "  printf 'N %s\\n' \"$n\"",
    'done',
    "echo 'E'",
  ].join('\n'),
  parse(samples) {
    const s = samples[0];
    if (!s) throw new ProbeError('localVolumeDirs: no sample');
    return parseOne(s);
  },
});

function parseOne(sample: RawSample): LocalVolumeDirs {
  const lines = sample.stdout.split('\n');
  while (lines.length && lines.at(-1) === '') lines.pop();
  if (lines.at(-1) !== 'E') throw new ProbeError('localVolumeDirs: output is truncated (no end line)');
  lines.pop();
  const out: LocalVolumeDirs = { roots: [] };
  let cur: LocalVolumeRoot | undefined;
  for (const line of lines) {
    const tag = line.slice(0, 2);
    const rest = line.slice(2);
    if (tag === 'T ') {
      if (/^\d+$/.test(rest)) out.now = Number(rest);
    } else if (tag === 'R ') {
      cur = { root: rest, dirs: [], total: 0 };
      out.roots.push(cur);
    } else if (tag === 'D ' && cur) {
      const m = /^(\d+) (pvc-.+)$/.exec(rest);
      // A name the provisioner would not make (a newline split it, say) is left out rather than guessed at.
      if (m && !m[2]!.includes('/')) cur.dirs.push({ mtime: Number(m[1]), name: m[2]! });
    } else if (tag === 'N ' && cur) {
      cur.total = Number(rest) || 0;
    } else if (!cur && tag !== 'T ') {
      throw new ProbeError(`localVolumeDirs: unexpected output ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  return out;
}
