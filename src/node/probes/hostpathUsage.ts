// Size of hostPath directories on a node (du -skx), the filesystem each one is on (df), and whether a
// logrotate config names it. check-facts §7.2, §7.3.
//
// The paths come from pod specs, which anyone who may create a pod controls. They reach this fragment
// only as data: the engine feeds them on stdin (src/node/script.ts), one per line, and every use below
// is a double-quoted "$p"/"$r" after `--`. Nothing here is ever built from a path.
// Time is bounded: each du gets 4 s, and a pass stops starting new ones after 6 s, so two passes stay
// well inside the per-node timeout; paths left out say so ("budget").
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';
import { parseDfLine, type DfRow } from './diskUsage.js';
import { dict } from '../../util/dict.js';

export const DU_TIMEOUT_SECONDS = 4;
export const PASS_BUDGET_SECONDS = 6;

export type PathState =
  | 'ok' // measured
  | 'missing' // no such file or directory on the node
  | 'timeout' // du ran out of time: the directory is large or the disk slow
  | 'budget' // not measured: the pass had used its time
  | 'no-timeout' // the node has no `timeout` command, and an unbounded du could hang the session
  | 'failed'; // du printed nothing usable

export interface PathUsage {
  /** The path as given (the hostPath). */
  path: string;
  /** Where it leads after symlinks (readlink -f), when that differs. */
  resolved?: string;
  state: PathState;
  /** Latest measured size. */
  sizeBytes?: number;
  /** du could not read everything (exit 1): the size is a lower bound. */
  partial?: boolean;
  /** The filesystem the path is on (df of the resolved path). */
  filesystem?: DfRow;
  /** Growth between the two samples, per hour; absent with one sample. Negative = shrinking. */
  growthBytesPerHour?: number;
  /** Seconds between the two measurements of this path. */
  measuredOverSeconds?: number;
  /** logrotate configs that mention the path. */
  logrotate: string[];
}

export interface HostpathUsage {
  paths: Record<string, PathUsage>;
}

export const hostpathUsage = defineProbe<HostpathUsage>({
  sampled: true,
  takesInput: true,
  script: [
    "io=; if command -v ionice >/dev/null 2>&1 && ionice -c3 true </dev/null >/dev/null 2>&1; then io='ionice -c3'; fi",
    'to=; command -v timeout >/dev/null 2>&1 && to=1',
    'read -r t0 _ < /proc/uptime; t0=${t0%.*}',
    'while IFS= read -r p; do',
    "  printf 'P %s\\n' \"$p\"",
    "  case $p in /*) ;; *) echo 'M invalid'; continue;; esac",
    "  if [ ! -e \"$p\" ] && [ ! -L \"$p\" ]; then echo 'M missing'; continue; fi",
    '  read -r now _ < /proc/uptime',
    `  if [ $(( \${now%.*} - t0 )) -ge ${PASS_BUDGET_SECONDS} ]; then echo 'M budget'; continue; fi`,
    "  if [ -z \"$to\" ]; then echo 'M no-timeout'; continue; fi",
    '  r=$(readlink -f -- "$p" </dev/null 2>/dev/null) || r=$p',
    '  [ -n "$r" ] || r=$p',
    "  [ \"$r\" = \"$p\" ] || printf 'R %s\\n' \"$r\"",
    `  s=$(timeout ${DU_TIMEOUT_SECONDS} nice -n 19 $io du -skx -- "$r" </dev/null 2>/dev/null)`,
    '  rc=$?',
    "  printf 'S %s %s %s\\n' \"$rc\" \"$now\" \"${s%%[!0-9]*}\"",
    "  df -Pk -- \"$r\" </dev/null 2>/dev/null | sed -n '2s/^/F /p'",
    '  for f in /etc/logrotate.conf /etc/logrotate.d/*; do',
    "    [ -f \"$f\" ] && grep -qF -- \"$p\" \"$f\" </dev/null 2>/dev/null && printf 'L %s\\n' \"$f\"",
    '  done',
    'done',
    "echo 'E'",
  ].join('\n'),
  parse(samples, intervalSeconds) {
    const passes = samples.map((s, i) => parsePass(s, i + 1));
    const last = passes.at(-1)!;
    const first = passes.length > 1 ? passes[0]! : undefined;
    // Keyed by paths from pod specs: no prototype, so a path named `__proto__` is only a path.
    const paths = dict<PathUsage>();
    for (const [path, m] of last) {
      const usage: PathUsage = { path, state: m.state, logrotate: m.logrotate };
      if (m.resolved) usage.resolved = m.resolved;
      if (m.sizeKiB !== undefined) usage.sizeBytes = m.sizeKiB * 1024;
      if (m.partial) usage.partial = true;
      if (m.filesystem) usage.filesystem = m.filesystem;
      const before = first?.get(path);
      if (before?.sizeKiB !== undefined && m.sizeKiB !== undefined && before.at !== undefined && m.at !== undefined) {
        // Each path's own timestamps: its Δt includes the time du took on the other paths.
        const dt = m.at - before.at > 0 ? m.at - before.at : intervalSeconds;
        if (dt > 0) {
          usage.measuredOverSeconds = Math.round(dt * 100) / 100;
          usage.growthBytesPerHour = Math.round(((m.sizeKiB - before.sizeKiB) * 1024 * 3600) / dt);
        }
      }
      paths[path] = usage;
    }
    return { paths };
  },
});

interface Measured {
  state: PathState;
  resolved?: string;
  sizeKiB?: number;
  partial?: boolean;
  at?: number;
  filesystem?: DfRow;
  logrotate: string[];
}

function parsePass(sample: RawSample, pass: number): Map<string, Measured> {
  const lines = sample.stdout.split('\n');
  while (lines.length && lines.at(-1) === '') lines.pop();
  if (lines.at(-1) !== 'E') throw new ProbeError(`hostpathUsage: sample ${pass} is truncated (no end line)`);
  lines.pop();
  const out = new Map<string, Measured>();
  let cur: Measured | null = null;
  for (const line of lines) {
    const tag = line.slice(0, 2);
    const rest = line.slice(2);
    if (tag === 'P ') {
      cur = { state: 'failed', logrotate: [] };
      out.set(rest, cur);
      continue;
    }
    if (!cur) throw new ProbeError(`hostpathUsage: output before the first path: ${JSON.stringify(line.slice(0, 80))}`);
    switch (tag) {
      case 'M ': {
        const state = rest === 'invalid' ? 'failed' : rest;
        if (!['missing', 'budget', 'no-timeout', 'failed'].includes(state)) throw new ProbeError(`hostpathUsage: unknown state ${JSON.stringify(rest.slice(0, 40))}`);
        cur.state = state as PathState;
        break;
      }
      case 'R ':
        cur.resolved = rest;
        break;
      case 'S ': {
        const m = /^(\d+) (\d+(?:\.\d+)?) ?(\d*)$/.exec(rest);
        if (!m) throw new ProbeError(`hostpathUsage: unexpected du line ${JSON.stringify(line.slice(0, 80))}`);
        const rc = Number(m[1]);
        cur.at = Number(m[2]);
        // timeout(1) exits 124 when it had to stop du; du exits 1 when some entries were unreadable
        // but still prints the total of what it could read.
        if (rc === 124) cur.state = 'timeout';
        else if (m[3] !== '' && (rc === 0 || rc === 1)) {
          cur.state = 'ok';
          cur.sizeKiB = Number(m[3]);
          if (rc === 1) cur.partial = true;
        } else cur.state = 'failed';
        break;
      }
      case 'F ': {
        const row = parseDfLine(rest);
        if (!row) throw new ProbeError(`hostpathUsage: unexpected df line ${JSON.stringify(line.slice(0, 80))}`);
        cur.filesystem = row;
        break;
      }
      case 'L ':
        cur.logrotate.push(rest);
        break;
      default:
        throw new ProbeError(`hostpathUsage: unexpected output ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  return out;
}
