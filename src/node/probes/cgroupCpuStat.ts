// CFS bandwidth counters of the kubelet's pod cgroups (check-facts §10.2), sampled twice so a check
// can see throttling now, not only since the pod started. cgroup v1: cpu.stat nr_periods,
// nr_throttled, throttled_time (ns), cpu.cfs_quota_us / cpu.cfs_period_us, and cpuacct.usage (ns),
// which lives in a separate hierarchy when cpu and cpuacct are not co-mounted. cgroup v2: cpu.stat
// usage_usec, nr_periods, nr_throttled, throttled_usec, and cpu.max ("max 100000" or "<quota> <period>").
// Pod cgroups: kubepods[/<qos>]/pod<uid> (cgroupfs driver) or kubepods.slice[/kubepods-<qos>.slice]/
// kubepods[-<qos>]-pod<uid with _>.slice (systemd driver).
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';
import { splitMarked } from '../parsers/marked.js';

export interface CpuCounters {
  /** Enforcement periods in which the group had runnable tasks. */
  periods: number;
  throttledPeriods: number;
  throttledSeconds: number;
  /** CPU time used; undefined when cpuacct could not be read (v1). */
  usageSeconds?: number;
}

export interface CgroupCpu {
  /** Path below the cpu hierarchy's mount point, e.g. "kubepods/burstable/pod1f2e…". */
  path: string;
  /** The pod's UID (with dashes) for a pod cgroup; undefined for the kubepods root. */
  podUid?: string;
  /** CFS quota in CPUs; null when unlimited; undefined when the quota file was not read. */
  quotaCores?: number | null;
  periodSeconds?: number;
  /** Counters at the last sample (since the cgroup was created). */
  total: CpuCounters;
  /** Change between the two samples; undefined with one sample or when a counter went back (new pod). */
  delta?: CpuCounters;
}

export interface CgroupCpuStat {
  version: 1 | 2;
  intervalSeconds: number;
  /** The kubepods cgroup: all pods together. */
  node?: CgroupCpu;
  pods: CgroupCpu[];
}

const SCRIPT = `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then v=2; base=/sys/fs/cgroup; acct=
elif [ -d /sys/fs/cgroup/cpu,cpuacct ]; then v=1; base=/sys/fs/cgroup/cpu,cpuacct; acct=$base
else v=1; base=/sys/fs/cgroup/cpu; acct=/sys/fs/cgroup/cpuacct; fi
echo "@@ cgroup $v"
root=
for r in "$base/kubepods.slice" "$base/kubepods"; do if [ -d "$r" ]; then root=$r; break; fi; done
if [ -z "$root" ]; then echo "@@ no-kubepods $base"; echo "@@ end"; exit 0; fi
for d in "$root" "$root"/kubepods-pod*.slice "$root"/*/kubepods-*-pod*.slice "$root"/pod* "$root"/*/pod*; do
  [ -f "$d/cpu.stat" ] || continue
  rel=\${d#"$base"/}
  echo "@@ group $rel"
  cat "$d/cpu.stat"
  if [ $v = 2 ]; then
    q=$(cat "$d/cpu.max" 2>/dev/null) && echo "cpu.max $q"
  else
    q=$(cat "$d/cpu.cfs_quota_us" 2>/dev/null) && echo "cfs_quota_us $q"
    q=$(cat "$d/cpu.cfs_period_us" 2>/dev/null) && echo "cfs_period_us $q"
    q=$(cat "$acct/$rel/cpuacct.usage" 2>/dev/null) && echo "usage_ns $q"
  fi
done
echo "@@ end"`;

interface Group { path: string; values: Map<string, number>; quota?: number | null; periodUs?: number }

export const cgroupCpuStat = defineProbe<CgroupCpuStat>({
  script: SCRIPT,
  sampled: true,
  parse(samples, intervalSeconds) {
    if (!samples.length) throw new ProbeError('cgroupCpuStat: no sample');
    const parsed = samples.map(parseSample);
    const last = parsed.at(-1)!;
    if (parsed.some((p) => p.version !== last.version)) throw new ProbeError('cgroupCpuStat: the cgroup version changed between samples');
    const first = parsed.length > 1 ? new Map(parsed[0]!.groups.map((g) => [g.path, g])) : undefined;
    const groups = last.groups.map((g) => toCgroupCpu(g, last.version, first?.get(g.path)));
    return {
      version: last.version,
      intervalSeconds: parsed.length > 1 ? intervalSeconds : 0,
      node: groups.find((g) => g.podUid === undefined),
      pods: groups.filter((g) => g.podUid !== undefined),
    };
  },
});

function parseSample(s: RawSample): { version: 1 | 2; groups: Group[] } {
  const { sections } = splitMarked(s.stdout, 'cgroupCpuStat');
  const head = /^cgroup ([12])$/.exec(sections[0]?.marker ?? '');
  if (!head) throw new ProbeError('cgroupCpuStat: output does not start with the cgroup version');
  const version = Number(head[1]) as 1 | 2;
  const missing = sections.find((x) => x.marker.startsWith('no-kubepods '));
  if (missing) throw new ProbeError(`cgroupCpuStat: no kubepods cgroup under ${missing.marker.slice('no-kubepods '.length)} (not a kubelet node, or an unknown cgroup layout)`);
  const groups: Group[] = [];
  for (const sec of sections.slice(1)) {
    const m = /^group (\S+)$/.exec(sec.marker);
    if (!m) throw new ProbeError(`cgroupCpuStat: unexpected marker ${JSON.stringify(sec.marker.slice(0, 80))}`);
    groups.push(parseGroup(m[1]!, sec.lines, version));
  }
  if (!groups.length) throw new ProbeError('cgroupCpuStat: kubepods has no readable cpu.stat');
  return { version, groups };
}

function parseGroup(path: string, lines: string[], version: 1 | 2): Group {
  const g: Group = { path, values: new Map() };
  for (const line of lines) {
    if (!line.trim()) continue;
    let m: RegExpExecArray | null;
    if ((m = /^cpu\.max (max|\d+) (\d+)$/.exec(line))) {
      g.quota = m[1] === 'max' ? null : Number(m[1]);
      g.periodUs = Number(m[2]);
    } else if ((m = /^cfs_quota_us (-1|\d+)$/.exec(line))) g.quota = m[1] === '-1' ? null : Number(m[1]);
    else if ((m = /^cfs_period_us (\d+)$/.exec(line))) g.periodUs = Number(m[1]);
    else if ((m = /^([a-z_.]+) (\d+)$/.exec(line))) g.values.set(m[1]!, Number(m[2]));
    else throw new ProbeError(`cgroupCpuStat: unexpected line in ${path}: ${JSON.stringify(line.slice(0, 80))}`);
  }
  const need = version === 2 ? ['usage_usec'] : ['nr_periods', 'nr_throttled', 'throttled_time'];
  for (const key of need) if (!g.values.has(key)) throw new ProbeError(`cgroupCpuStat: ${path}/cpu.stat has no ${key}`);
  return g;
}

function counters(g: Group, version: 1 | 2): CpuCounters {
  const v = g.values;
  // v2 omits the bandwidth keys when the cpu controller is not enabled for the group: no periods yet.
  if (version === 2) {
    return { periods: v.get('nr_periods') ?? 0, throttledPeriods: v.get('nr_throttled') ?? 0, throttledSeconds: (v.get('throttled_usec') ?? 0) / 1e6, usageSeconds: v.get('usage_usec')! / 1e6 };
  }
  const usage = v.get('usage_ns');
  return { periods: v.get('nr_periods')!, throttledPeriods: v.get('nr_throttled')!, throttledSeconds: v.get('throttled_time')! / 1e9, ...(usage !== undefined ? { usageSeconds: usage / 1e9 } : {}) };
}

function toCgroupCpu(g: Group, version: 1 | 2, before: Group | undefined): CgroupCpu {
  const total = counters(g, version);
  let delta: CpuCounters | undefined;
  if (before) {
    const a = counters(before, version);
    const d: CpuCounters = {
      periods: total.periods - a.periods,
      throttledPeriods: total.throttledPeriods - a.throttledPeriods,
      throttledSeconds: total.throttledSeconds - a.throttledSeconds,
      ...(total.usageSeconds !== undefined && a.usageSeconds !== undefined ? { usageSeconds: total.usageSeconds - a.usageSeconds } : {}),
    };
    // A pod recreated under the same path between the samples starts its counters again.
    if (d.periods >= 0 && d.throttledPeriods >= 0 && (d.usageSeconds ?? 0) >= 0) delta = d;
  }
  const periodUs = g.periodUs;
  return {
    path: g.path,
    podUid: podUid(g.path),
    ...(g.quota !== undefined ? { quotaCores: g.quota === null || !periodUs ? null : g.quota / periodUs } : {}),
    ...(periodUs ? { periodSeconds: periodUs / 1e6 } : {}),
    total,
    ...(delta ? { delta } : {}),
  };
}

/** "pod1f2e…" (cgroupfs) or "kubepods-burstable-pod1f2e_…slice" (systemd, dashes as underscores). */
export function podUid(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const m = /^(?:kubepods-(?:[a-z]+-)?)?pod([0-9a-fA-F_-]{32,36})(?:\.slice)?$/.exec(base);
  return m ? m[1]!.replace(/_/g, '-').toLowerCase() : undefined;
}
