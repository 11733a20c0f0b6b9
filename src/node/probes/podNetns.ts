// TCP listen-queue counters and listeners of the pods' network namespaces, read from the node without
// entering them (check-facts §1; seed 001: the liveness probes that failed under load were failing
// inside a pod's namespace, where the host's `ss` and /proc/net/netstat see nothing).
//
// How: every process's /proc/<pid>/ns/net is a handle on its network namespace, and the namespace's
// identity is that handle's inode (stat -L). One `stat` over /proc/[0-9]*/ns/net lists them all; awk
// keeps the first few pids of each namespace other than the session's own. For each namespace the
// fragment reads, through one of those pids, /proc/<pid>/cgroup — which names the pod for every process
// the kubelet starts (…/kubepods…/pod<UID>/… with the cgroupfs driver, …kubepods-…-pod<UID with
// underscores>.slice/… with the systemd driver) — and only for a namespace with a kubepods cgroup, its
// /proc/<pid>/net/netstat and /snmp (the namespace's own TcpExt and Tcp counters) and /proc/<pid>/net/tcp
// and tcp6 (its sockets; for a LISTEN row rx_queue is the accept queue's current length). The check
// maps the UID to the pod through the API. Namespaces without a kubepods process (other containers,
// the node's own daemons) are counted, never read further.
//
// Bounded: at most MAX_NAMESPACES namespaces per pass (the rest are counted as skipped), one awk per
// namespace, only the counters the check needs and only LISTEN rows are printed. Nothing from the
// cluster reaches this fragment: it takes no input.
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';

export const MAX_NAMESPACES = 400;
/** Pids tried per namespace for a kubepods cgroup: a debugging tool nsenter'ed into a pod's namespace
 * sits in another cgroup, the pod's own processes come before or after it. */
const PIDS_PER_NAMESPACE = 3;

/** The TcpExt/Tcp counters kept (the ones syn-backlog judges). */
export const POD_COUNTERS = ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDrop', 'TCPReqQFullDoCookies', 'SyncookiesSent', 'PassiveOpens'] as const;
export type PodCounter = (typeof POD_COUNTERS)[number];

export interface PodListener {
  /** Local address as text: "0.0.0.0", "127.0.0.1", "::", … */
  address: string;
  port: number;
  /** Accept queue length at this sample. (Its limit is not in /proc/<pid>/net/tcp: only `ss` inside
   * the namespace shows it, which would mean entering it.) */
  acceptQueue: number;
}

export interface PodNamespaceSample {
  /** The network namespace's inode: its identity across samples. */
  inode: string;
  /** The pid it was read through. */
  pid: number;
  /** The pod UID from the cgroup path (dashes restored for the systemd driver's underscores). */
  podUid: string;
  /** The cgroup line the UID came from, for the evidence. */
  cgroup: string;
  counters: Partial<Record<PodCounter, number>>;
  listeners: PodListener[];
  /** Seconds since boot when this namespace was read. */
  at?: number;
}

export interface PodNetnsPass {
  /** The session's own namespace (the host's): never read here, the netstat probe has it. */
  hostInode: string;
  namespaces: PodNamespaceSample[];
  /** Namespaces seen whose processes are not in a kubepods cgroup. */
  notPods: number;
  /** Namespaces past MAX_NAMESPACES, not read. */
  skipped: number;
}

export interface PodNetns {
  /** One per sample (two with --sample-interval > 0). */
  samples: PodNetnsPass[];
  intervalSeconds: number;
}

// The awk program that reads one namespace: arguments are the cgroup file and the net files, in that
// order. It stops at the cgroup file when no line names kubepods (exit 3: try the next pid).
const READ_NAMESPACE = [
  'FNR == 1 { f = FILENAME; sub(/^.*\\//, "", f) }',
  'f == "cgroup" { if (!g && index($0, "kubepods")) g = $0; next }',
  'f != "cgroup" && !started { if (!g) exit 3; print "G " g; started = 1 }',
  '(f == "netstat" || f == "snmp") && ($1 == "TcpExt:" || $1 == "Tcp:") {',
  '  if (!(($1) in names)) { names[$1] = $0; next }',
  '  n = split(names[$1], k, " "); line = "C"',
  '  for (i = 2; i <= n && i <= NF; i++) if (k[i] in want) line = line " " k[i] "=" $i',
  '  print line; delete names[$1]; next',
  '}',
  '(f == "tcp" || f == "tcp6") && $4 == "0A" { split($5, q, ":"); print "L " $2 " " q[2] }',
  'END { if (!started && !g) exit 3 }',
].join('\n');

export const podNetns = defineProbe<PodNetns>({
  sampled: true,
  script: [
    "if ! command -v stat >/dev/null 2>&1 || ! command -v awk >/dev/null 2>&1; then echo 'U stat or awk missing'; echo 'E'; exit 0; fi",
    // Another user's /proc/<pid>/ns/net cannot be read without root: an empty answer would look clean.
    "if [ \"$(id -u 2>/dev/null)\" != 0 ]; then echo 'U not root: pod network namespaces are not readable (connect as root or use --sudo)'; echo 'E'; exit 0; fi",
    'self=$(stat -L -c %i /proc/self/ns/net 2>/dev/null)',
    "if [ -z \"$self\" ]; then echo 'U cannot stat /proc/self/ns/net'; echo 'E'; exit 0; fi",
    'echo "H $self"',
    `want='${POD_COUNTERS.join(' ')}'`,
    `prog='BEGIN { n = split(w, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }\n${READ_NAMESPACE.replaceAll("'", '')}'`,
    // inode pid pid pid per namespace, at most MAX_NAMESPACES lines, then "S <skipped>".
    'stat -L -c \'%i %n\' /proc/[0-9]*/ns/net 2>/dev/null |',
    ` awk -v self="$self" -v max=${MAX_NAMESPACES} -v per=${PIDS_PER_NAMESPACE} '`,
    '  { split($2, p, "/"); if ($1 == self) next',
    '    if (!($1 in c)) { if (n >= max) { if (!($1 in over)) { over[$1] = 1; s++ } next } order[++n] = $1; c[$1] = 0 }',
    '    if (c[$1] < per) { pids[$1] = pids[$1] " " p[3]; c[$1]++ } }',
    "  END { for (i = 1; i <= n; i++) print order[i] pids[order[i]]; print \"S \" (s + 0) }' |",
    'while read -r ino rest; do',
    '  if [ "$ino" = S ]; then echo "S $rest"; continue; fi',
    '  found=',
    '  for pid in $rest; do',
    '    set --',
    '    for f in netstat snmp tcp tcp6; do [ -r "/proc/$pid/net/$f" ] && set -- "$@" "/proc/$pid/net/$f"; done',
    '    [ $# -gt 0 ] || continue',
    '    read -r up _ < /proc/uptime',
    '    out=$(awk -v w="$want" "$prog" "/proc/$pid/cgroup" "$@" 2>/dev/null) || continue',
    '    printf \'N %s %s %s\\n%s\\n\' "$ino" "$pid" "$up" "$out"; found=1; break',
    '  done',
    '  [ -n "$found" ] || echo "X $ino"',
    'done',
    "echo 'E'",
  ].join('\n'),
  parse(samples, intervalSeconds) {
    if (!samples.length) throw new ProbeError('podNetns: no sample');
    return { samples: samples.map((s, i) => parsePass(s, i + 1)), intervalSeconds };
  },
});

/** Pod UIDs in cgroup paths: "pod" + 36 characters, dashes or (systemd driver) underscores. */
const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

export function parsePass(sample: RawSample, pass: number): PodNetnsPass {
  const lines = sample.stdout.split('\n');
  while (lines.length && lines.at(-1) === '') lines.pop();
  if (lines.at(-1) !== 'E') throw new ProbeError(`podNetns: sample ${pass} is truncated (no end line)`);
  lines.pop();
  const unusable = lines.find((l) => l.startsWith('U '));
  if (unusable) throw new ProbeError(`podNetns: ${unusable.slice(2)}`);
  const pass_: PodNetnsPass = { hostInode: '', namespaces: [], notPods: 0, skipped: 0 };
  let cur: PodNamespaceSample | undefined;
  for (const line of lines) {
    const tag = line.slice(0, 2);
    const rest = line.slice(2);
    switch (tag) {
      case 'H ': pass_.hostInode = rest.trim(); break;
      case 'S ': pass_.skipped = Number(rest) || 0; break;
      case 'X ': pass_.notPods++; cur = undefined; break;
      case 'N ': {
        const [inode, pid, up] = rest.split(' ');
        if (!inode || !/^\d+$/.test(pid ?? '')) throw new ProbeError(`podNetns: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
        cur = { inode, pid: Number(pid), podUid: '', cgroup: '', counters: {}, listeners: [] };
        const at = Number.parseFloat(up ?? '');
        if (Number.isFinite(at)) cur.at = at;
        break;
      }
      case 'G ': {
        if (!cur) throw new ProbeError('podNetns: cgroup line outside a namespace');
        const m = POD_UID.exec(rest);
        cur.cgroup = rest.slice(0, 300);
        if (m) {
          cur.podUid = m[1]!.replaceAll('_', '-');
          pass_.namespaces.push(cur);
        } else {
          pass_.notPods++;
          cur = undefined;
        }
        break;
      }
      case 'C ':
        if (!cur) break;
        for (const kv of rest.split(' ')) {
          const [k, v] = kv.split('=');
          if (k && v !== undefined && /^\d+$/.test(v)) cur.counters[k as PodCounter] = Number(v);
        }
        break;
      case 'L ': {
        if (!cur) break;
        const [local, rxq] = rest.split(' ');
        const l = decodeListener(local ?? '', rxq ?? '');
        if (!l) throw new ProbeError(`podNetns: unexpected listener line ${JSON.stringify(line.slice(0, 80))}`);
        cur.listeners.push(l);
        break;
      }
      default:
        throw new ProbeError(`podNetns: unexpected output ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  if (!pass_.hostInode) throw new ProbeError('podNetns: the node\'s own namespace was not identified');
  return pass_;
}

/** A /proc/net/tcp{,6} local_address ("0100007F:1F90": the address as the kernel stores it, in host
 * byte order per 32-bit word, then the port in hex) and rx_queue. */
export function decodeListener(local: string, rxq: string): PodListener | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(local);
  if (!m || !/^[0-9A-Fa-f]+$/.test(rxq)) return undefined;
  const words = m[1]!.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  let address: string;
  if (words.length === 1) address = words[0]!.match(/../g)!.map((b) => Number.parseInt(b, 16)).join('.');
  else {
    const groups = words.join('').match(/.{4}/g)!.map((g) => Number.parseInt(g, 16).toString(16));
    address = compressV6(groups);
  }
  return { address, port: Number.parseInt(m[2]!, 16), acceptQueue: Number.parseInt(rxq, 16) };
}

function compressV6(groups: string[]): string {
  // The longest run of zero groups becomes "::" (RFC 5952).
  let best = -1, bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
