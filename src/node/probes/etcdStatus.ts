// etcd as its member on this node reports itself: `etcdctl endpoint status` (db size, in-use size,
// leader, version, errors such as an active alarm) and `etcdctl alarm list`, with the certificates the
// static pod manifest names (check-facts §12.2). Without etcdctl on the host (kubeadm runs it only in
// the container), the same answers come from etcd's JSON gateway with curl (maintenance/status and
// alarm GET are reads, even if they are POSTs). Also: whether the data directory is on a rotational
// disk, and how often the member logged "took too long" in its pod log.
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';
import { ETCD_FLAGS, ETCD_MANIFEST, READ_ETCD_MANIFEST } from './etcdManifest.js';

export interface EtcdMemberStatus {
  endpoint: string;
  /** uint64 ids as decimal strings (they do not fit a double). */
  memberId: string;
  /** 0 = no leader. */
  leader: string;
  version: string;
  dbSize: number;
  dbSizeInUse?: number;
  raftTerm?: number;
  /** e.g. "memberID:… alarm:NOSPACE ". */
  errors: string[];
}

export type EtcdStatus =
  | { manifest: 'absent' }
  | {
    manifest: 'present';
    /** The manifest's flags that matter here (paths and URLs, never file contents). */
    flags: Record<string, string>;
    endpoint: string;
    client: 'etcdctl' | 'curl' | 'none';
    members: EtcdMemberStatus[];
    /** Why the status could not be read (connection refused, certificate rejected, …). */
    statusError?: string;
    /** Active alarms, e.g. [{ memberId, alarm: 'NOSPACE' }]; undefined when they could not be read. */
    alarms?: { memberId: string; alarm: string }[];
    alarmsError?: string;
    rotational?: { device: string; rotational: boolean };
    /** The member's pod log(s): lines, "took too long" lines, and the time span they cover. */
    log?: { lines: number; tooLong: number; first?: string; last?: string };
  };

const CLIENT_AND_STATUS = [
  'if command -v etcdctl >/dev/null 2>&1; then',
  `  echo "${MARK}client etcdctl"`,
  '  set -- --endpoints="$ep" --dial-timeout=2s --command-timeout=4s',
  '  case "$ep" in https:*) set -- "$@" --cacert="$ca" --cert="$cert" --key="$key";; esac',
  '  out=$(ETCDCTL_API=3 etcdctl "$@" endpoint status --cluster -w json 2>&1) || out=$(ETCDCTL_API=3 etcdctl "$@" endpoint status -w json 2>&1)',
  `  rc=$?; echo "${MARK}status $rc"; printf '%s\\n' "$out"`,
  // A member that did not answer the status will not answer for alarms either: save the node's time.
  `  if [ "$rc" -ne 0 ]; then echo "${MARK}alarms skipped"; else out=$(ETCDCTL_API=3 etcdctl "$@" alarm list 2>&1); rc=$?; echo "${MARK}alarms $rc"; printf '%s\\n' "$out"; fi`,
  'elif command -v curl >/dev/null 2>&1; then',
  `  echo "${MARK}client curl"`,
  '  set -- -sS --max-time 5 -X POST -H "Content-Type: application/json"',
  '  case "$ep" in https:*) set -- "$@" --cacert "$ca" --cert "$cert" --key "$key";; esac',
  `  out=$(curl "$@" -d '{}' "$ep/v3/maintenance/status" 2>&1); rc=$?; echo "${MARK}status $rc"; printf '%s\\n' "$out"`,
  `  if [ "$rc" -ne 0 ]; then echo "${MARK}alarms skipped"; else out=$(curl "$@" -d '{"action":"GET"}' "$ep/v3/maintenance/alarm" 2>&1); rc=$?; echo "${MARK}alarms $rc"; printf '%s\\n' "$out"; fi`,
  `else echo "${MARK}client none"; fi`,
].join('\n');

const DISK_AND_LOG = [
  'dd=$(flag data-dir); [ -n "$dd" ] || dd=/var/lib/etcd',
  "dev=$(df -P \"$dd\" 2>/dev/null | awk 'NR==2 {print $1}'); b=${dev##*/}; r=",
  'if [ -n "$b" ] && [ -r "/sys/class/block/$b/queue/rotational" ]; then r=$(cat "/sys/class/block/$b/queue/rotational")',
  'elif [ -n "$b" ] && [ -r "/sys/class/block/$b/../queue/rotational" ]; then r=$(cat "/sys/class/block/$b/../queue/rotational"); fi',
  `echo "${MARK}disk"; printf '%s %s\\n' "$b" "$r"`,
  `echo "${MARK}log"`,
  'for f in /var/log/pods/kube-system_etcd-*/etcd/*.log; do',
  '  [ -r "$f" ] || continue',
  "  awk '{ n++; if (first == \"\") first = $1; last = $1 } /took too long/ { t++ } END { printf \"%d %d %s %s\\n\", n, t, first, last }' \"$f\"",
  'done',
].join('\n');

export const etcdStatus = defineProbe<EtcdStatus>({
  script: [
    READ_ETCD_MANIFEST,
    `echo "${MARK}manifest present"`,
    `for f in ${ETCD_FLAGS.join(' ')}; do printf '%s=%s\\n' "$f" "$(flag "$f")"; done`,
    `echo "${MARK}endpoint"; printf '%s\\n' "$ep"`,
    CLIENT_AND_STATUS,
    DISK_AND_LOG,
    `echo "${MARK}end"`,
  ].join('\n'),
  parse([s]) {
    const { sections } = splitMarked(s!.stdout, 'etcdStatus');
    const get = (name: string) => sections.find((x) => x.marker === name || x.marker.startsWith(`${name} `));
    const manifest = get('manifest');
    if (!manifest) throw new ProbeError('etcdStatus: unexpected output');
    if (manifest.marker === 'manifest absent') return { manifest: 'absent' };
    if (manifest.marker === 'manifest unreadable') throw new ProbeError(`${ETCD_MANIFEST}: permission denied (use --sudo)`);
    const flags: Record<string, string> = {};
    for (const line of manifest.lines) {
      const at = line.indexOf('=');
      if (at > 0 && line.slice(at + 1)) flags[line.slice(0, at)] = line.slice(at + 1);
    }
    const client = (get('client')?.marker.split(' ')[1] ?? 'none') as 'etcdctl' | 'curl' | 'none';
    const out: EtcdStatus = { manifest: 'present', flags, endpoint: get('endpoint')?.lines[0] ?? '', client, members: [] };
    const status = get('status');
    if (client === 'none') out.statusError = 'neither etcdctl nor curl is installed on the node';
    else if (status) {
      const rc = Number(status.marker.split(' ')[1]);
      const text = status.lines.join('\n').trim();
      const parsed = rc === 0 ? parseStatus(text, client) : undefined;
      if (parsed) out.members = parsed;
      else out.statusError = errorText(text, rc);
    }
    const alarms = get('alarms');
    if (alarms?.marker === 'alarms skipped') out.alarmsError = 'not asked: the status did not answer';
    else if (alarms && client !== 'none') {
      const rc = Number(alarms.marker.split(' ')[1]);
      const parsed = rc === 0 ? parseAlarms(alarms.lines.join('\n'), client) : undefined;
      if (parsed) out.alarms = parsed;
      else out.alarmsError = errorText(alarms.lines.join('\n'), rc);
    }
    const disk = get('disk')?.lines[0]?.split(' ');
    if (disk && disk[0] && (disk[1] === '0' || disk[1] === '1')) out.rotational = { device: disk[0], rotational: disk[1] === '1' };
    const logs = get('log')?.lines.map((l) => l.split(' ')).filter((p) => p.length >= 2 && /^\d+$/.test(p[0]!)) ?? [];
    if (logs.length) {
      out.log = { lines: 0, tooLong: 0 };
      for (const [n, t, first, last] of logs) {
        out.log.lines += Number(n);
        out.log.tooLong += Number(t);
        if (first && (!out.log.first || first < out.log.first)) out.log.first = first;
        if (last && (!out.log.last || last > out.log.last)) out.log.last = last;
      }
    }
    return out;
  },
});

/** Quotes the uint64 ids before JSON.parse: member ids exceed 2^53 and would lose digits. */
const quoteIds = (text: string) => text.replace(/"(member_id|leader|cluster_id)":(\d+)/g, '"$1":"$2"');

function parseStatus(text: string, client: 'etcdctl' | 'curl' | 'none'): EtcdMemberStatus[] | undefined {
  try {
    if (client === 'curl') {
      const st = JSON.parse(text) as Record<string, unknown> & { header?: { member_id?: string } };
      if (!st.header) return undefined;
      return [member('', st)];
    }
    const list = JSON.parse(quoteIds(text)) as { Endpoint: string; Status: Record<string, unknown> }[];
    if (!Array.isArray(list)) return undefined;
    return list.map((x) => member(x.Endpoint, x.Status));
  } catch {
    return undefined;
  }
}

function member(endpoint: string, st: Record<string, unknown>): EtcdMemberStatus {
  const header = (st.header ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));
  return {
    endpoint,
    memberId: String(header.member_id ?? ''),
    leader: String(st.leader ?? '0'),
    version: String(st.version ?? ''),
    dbSize: num(st.dbSize) ?? 0,
    dbSizeInUse: num(st.dbSizeInUse),
    raftTerm: num(st.raftTerm),
    errors: Array.isArray(st.errors) ? st.errors.map(String) : [],
  };
}

function parseAlarms(text: string, client: 'etcdctl' | 'curl' | 'none'): { memberId: string; alarm: string }[] | undefined {
  if (client === 'curl') {
    try {
      // etcd 3.4's gateway answers {"alarms":[…]} (no header) with alarms, and an error object on failure.
      const doc = JSON.parse(text) as { error?: unknown; code?: unknown; alarms?: { memberID?: string; alarm?: string }[] };
      if (typeof doc !== 'object' || doc === null || doc.error !== undefined || doc.code !== undefined) return undefined;
      return (doc.alarms ?? []).map((a) => ({ memberId: String(a.memberID ?? ''), alarm: String(a.alarm ?? '') }));
    } catch {
      return undefined;
    }
  }
  // etcdctl: "memberID:13668033151171901709 alarm:NOSPACE " per line, nothing when none.
  const out: { memberId: string; alarm: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /memberID:(\d+)\s+alarm:(\w+)/.exec(line);
    if (m) out.push({ memberId: m[1]!, alarm: m[2]! });
    else if (line.trim()) return undefined;
  }
  return out;
}

/** A short reason from etcdctl/curl output: the summary line ("Failed to get the status of endpoint …
 * (context deadline exceeded)", "Error: …", "curl: (7) …") and the underlying dial/TLS error from
 * etcdctl's JSON log line ("connect: connection refused", "x509: …"). */
function errorText(text: string, rc: number): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const summary = lines.find((l) => /^(Error:|Failed|curl: )/.test(l));
  const logged = lines.map((l) => /"error":"((?:[^"\\]|\\.)*)"/.exec(l)?.[1]).find(Boolean)?.replace(/\\"/g, '"');
  const cause = logged?.split('desc = ').pop()?.replace(/^"|"$/g, '');
  const parts = [summary, cause && !summary?.includes(cause) ? cause : undefined].filter(Boolean);
  return `${(parts.join(': ') || lines.at(-1) || 'no output').slice(0, 300)} (exit ${rc})`;
}
