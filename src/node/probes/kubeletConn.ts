// The kubelet's TCP connections and what decides how long a dead one lingers (check-facts §13, §14):
// `ss -tnpoi` rows of the kubelet process (Send-Q, the retransmit timer "timer:(on,…,retries)",
// backoff, lastack), net.ipv4.tcp_retries2, and the kubelet's HTTP/2 health-check switches from its
// environment (client-go: HTTP2_READ_IDLE_TIMEOUT_SECONDS, HTTP2_PING_TIMEOUT_SECONDS, DISABLE_HTTP2),
// plus kubelet journal lines about lost connections. The kubelet is the process named "kubelet" in this
// shell's network namespace (a host can run several, e.g. kind). Its environment can hold secrets: the
// fragment prints only those three variables, and reduce() drops any line that is not exactly one of
// them with a short plain value, before the output is kept anywhere.
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';

export const HTTP2_ENV = ['DISABLE_HTTP2', 'HTTP2_READ_IDLE_TIMEOUT_SECONDS', 'HTTP2_PING_TIMEOUT_SECONDS'] as const;
const ENV_LINE = new RegExp(`^(${HTTP2_ENV.join('|')})=([A-Za-z0-9._-]{0,20})$`);
const JOURNAL_PATTERN = 'http2: client connection lost|use of closed network connection|failed to renew lease|Error updating node status';

export interface TcpConnection {
  local: string;
  peer: string;
  recvQ: number;
  sendQ: number;
  /** The socket timer: "on" is the retransmit timer; retries = retransmissions of the oldest unacked segment. */
  timer?: { name: string; expires: string; retries: number };
  backoff?: number;
  /** Milliseconds since the peer last acknowledged anything. */
  lastAckMs?: number;
  lastSndMs?: number;
  rtoMs?: number;
}

export interface KubeletConn {
  /** Undefined when no kubelet process runs in this network namespace. */
  pid?: number;
  /** The HTTP/2 switches set in the kubelet's environment; 'unreadable' without root. */
  env?: Partial<Record<(typeof HTTP2_ENV)[number], string>> | 'unreadable';
  /** Established TCP connections of the kubelet, as a client (not its own :10250 server side). */
  connections?: TcpConnection[];
  /** Why connections are missing: ss not installed. */
  connectionsUnavailable?: string;
  tcpRetries2?: number;
  /** Matching kubelet journal lines of the last hour; undefined when journalctl has no kubelet unit. */
  journal?: { text: string; at?: string }[];
}

export const kubeletConn = defineProbe<KubeletConn>({
  script: [
    'me=$(readlink /proc/self/ns/net)',
    'pid=',
    'for d in /proc/[0-9]*; do',
    '  c=; read -r c < "$d/comm" 2>/dev/null || continue',
    '  [ "$c" = kubelet ] || continue',
    '  [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$me" ] || continue',
    '  pid=${d#/proc/}; break',
    'done',
    'if [ -n "$pid" ]; then',
    `  echo "${MARK}pid $pid"`,
    `  if [ -r "/proc/$pid/environ" ]; then echo "${MARK}env"; tr '\\000' '\\n' < "/proc/$pid/environ" | grep -E '^(${HTTP2_ENV.join('|')})='`,
    `  else echo "${MARK}env-unreadable"; fi`,
    '  if command -v ss >/dev/null 2>&1; then',
    `    echo "${MARK}ss"`,
    // One row per socket plus its -i info line; keep the kubelet's rows and their info lines.
    `    ss -tnpoi state established 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) { print; k = 1; next } k && /^[ \\t]/ { print; k = 0; next } { k = 0 }'`,
    `  else echo "${MARK}no-ss"; fi`,
    'fi',
    `echo "${MARK}retries2"; cat /proc/sys/net/ipv4/tcp_retries2`,
    'if command -v journalctl >/dev/null 2>&1; then',
    `  echo "${MARK}journal"`,
    `  journalctl -u kubelet --since=-1h -o short-iso -q --no-pager 2>/dev/null | grep -E '${JOURNAL_PATTERN}' | tail -n 20`,
    'fi',
    `echo "${MARK}end"`,
  ].join('\n'),
  reduce(stdout) {
    const out: string[] = [];
    let inEnv = false;
    for (const line of stdout.split('\n')) {
      if (line.startsWith(MARK)) { inEnv = line === `${MARK}env`; out.push(line); continue; }
      if (inEnv && !ENV_LINE.test(line)) continue;
      out.push(line);
    }
    return out.join('\n');
  },
  parse([s]) {
    const { sections } = splitMarked(s!.stdout, 'kubeletConn');
    const out: KubeletConn = {};
    for (const { marker, lines } of sections) {
      const pid = /^pid (\d+)$/.exec(marker);
      if (pid) out.pid = Number(pid[1]);
      else if (marker === 'env') {
        const env: Record<string, string> = {};
        for (const l of lines) { const m = ENV_LINE.exec(l); if (m) env[m[1]!] = m[2]!; }
        out.env = env;
      } else if (marker === 'env-unreadable') out.env = 'unreadable';
      else if (marker === 'ss') out.connections = parseSs(lines);
      else if (marker === 'no-ss') out.connectionsUnavailable = 'the ss command is not installed (iproute2)';
      else if (marker === 'retries2') {
        const t = lines.join('').trim();
        if (/^\d+$/.test(t)) out.tcpRetries2 = Number(t);
      } else if (marker === 'journal') {
        out.journal = lines.filter((l) => l.trim()).map((l) => {
          const m = /^(\d{4}-\d\d-\d\dT\S+)\s+\S+\s+\S+?:\s?(.*)$/.exec(l);
          return m ? { at: m[1], text: m[2]!.slice(0, 300) } : { text: l.slice(0, 300) };
        });
      } else throw new ProbeError(`kubeletConn: unexpected marker ${JSON.stringify(marker.slice(0, 40))}`);
    }
    return out;
  },
});

const KUBELET_SERVER_PORTS = new Set(['10250', '10248', '10255']);

/** `ss -tnpoi state established` rows (no State column) with their indented info lines. */
export function parseSs(lines: readonly string[]): TcpConnection[] {
  const out: TcpConnection[] = [];
  let cur: TcpConnection | undefined;
  for (const line of lines) {
    if (!line.trim() || line.startsWith('Recv-Q')) continue;
    if (/^[ \t]/.test(line)) {
      if (!cur) continue;
      const num = (k: string) => { const m = new RegExp(`(?:^|\\s)${k}:(\\d+(?:\\.\\d+)?)`).exec(line); return m ? Number(m[1]) : undefined; };
      cur.backoff = num('backoff');
      cur.lastAckMs = num('lastack');
      cur.lastSndMs = num('lastsnd');
      cur.rtoMs = num('rto');
      continue;
    }
    const t = line.trim().split(/\s+/);
    const [recvQ, sendQ, local, peer] = t;
    if (!recvQ || !/^\d+$/.test(recvQ) || !sendQ || !/^\d+$/.test(sendQ) || !local || !peer) {
      throw new ProbeError(`kubeletConn: unexpected ss line ${JSON.stringify(line.slice(0, 80))}`);
    }
    const timer = /timer:\((\w+),([^,]+),(\d+)\)/.exec(line);
    cur = { local, peer, recvQ: Number(recvQ), sendQ: Number(sendQ), ...(timer ? { timer: { name: timer[1]!, expires: timer[2]!, retries: Number(timer[3]) } } : {}) };
    // The kubelet's own servers (accepted connections) are not its connections to the API server.
    if (!KUBELET_SERVER_PORTS.has(local.slice(local.lastIndexOf(':') + 1))) out.push(cur);
  }
  return out;
}
