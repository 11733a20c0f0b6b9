// Kernel log lines as the three sources print them, and the messages the network checks look for.
import { ProbeError } from '../probe-types.js';

export interface KernelLogLine {
  /** The kernel message without timestamp or host prefix. */
  text: string;
  /** Wall-clock time (epoch ms) for journalctl and dmesg --time-format=iso. */
  at?: number;
  /** Age at collection time in seconds, for plain dmesg (from /proc/uptime). */
  ageSeconds?: number;
}

// journalctl -o short-iso: "2026-11-25T10:00:00+0000 node-1 kernel: TCP: …" (newer systemd: +00:00).
const JOURNAL = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d))\s+\S+\s+kernel:\s?(.*)$/;
// dmesg --time-format=iso: "2026-11-25T18:44:22,201023+00:00 TCP: …".
const DMESG_ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d))\s(.*)$/;
// dmesg: "[ 1234.567890] TCP: …", busybox may prefix the priority "<4>".
const DMESG = /^(?:<\d+>)?\[\s*(\d+(?:\.\d+)?)\]\s?(.*)$/;

/** The kernel formats a message into at most 1024 bytes (printk); a longer line did not come from it
 * whole, and only the start of a message is ever matched. Keeps every pattern below linear and cheap. */
export const MAX_KERNEL_LINE = 4096;

export function parseKernelLogLine(line: string, source: 'journalctl' | 'dmesg-iso' | 'dmesg', uptime?: number): KernelLogLine {
  if (line.length > MAX_KERNEL_LINE) line = line.slice(0, MAX_KERNEL_LINE);
  if (source === 'dmesg') {
    const m = DMESG.exec(line);
    if (!m) throw new ProbeError(`kernelLog: unexpected dmesg line ${JSON.stringify(line.slice(0, 80))}`);
    return { text: m[2]!, ageSeconds: Math.max(0, (uptime ?? 0) - Number(m[1])) };
  }
  const m = (source === 'journalctl' ? JOURNAL : DMESG_ISO).exec(line);
  const at = m ? isoMillis(m[1]!) : undefined;
  if (!m || at === undefined) throw new ProbeError(`kernelLog: unexpected ${source} line ${JSON.stringify(line.slice(0, 80))}`);
  return { text: m[2]!, at };
}

function isoMillis(s: string): number | undefined {
  // Normalise what Date.parse does not promise to accept: ",micro" fractions and "+0000" offsets.
  const norm = s.replace(',', '.').replace(/\.(\d{3})\d+/, '.$1').replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  const ms = Date.parse(norm);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whether a line falls in the last `windowSeconds` before `now`. */
export function inWindow(line: KernelLogLine, now: Date, windowSeconds: number): boolean {
  if (line.ageSeconds !== undefined) return line.ageSeconds <= windowSeconds;
  if (line.at !== undefined) return now.getTime() - line.at <= windowSeconds * 1000 && line.at - now.getTime() <= 5 * 60_000;
  return false;
}

export interface SynFloodLine {
  /** "request_sock_TCP" / "request_sock_TCPv6" or "TCPv6" on old kernels, when present. */
  proto?: string;
  /** Listening address when the kernel prints it (≥ 6.2), without brackets. */
  address?: string;
  port: number;
  action: 'Sending cookies' | 'Dropping request';
  text: string;
}

// The protocol prefix is bounded ({1,40}): unbounded, an unanchored lazy \S+? makes a long line quadratic.
const SYN_FLOOD = /(?:(\S{1,40}?):\s+)?possible SYN flooding on port (?:\[?([0-9a-f.:]{0,64})\]?:)?(\d{1,5})\.\s+(Sending cookies|Dropping request)/i;

export function synFloodLine(line: KernelLogLine): SynFloodLine | undefined {
  const m = SYN_FLOOD.exec(line.text);
  if (!m) return undefined;
  const action = m[4]!.toLowerCase().startsWith('send') ? 'Sending cookies' : 'Dropping request';
  return { proto: m[1] && m[1] !== 'TCP' ? m[1] : undefined, address: m[2] || undefined, port: Number(m[3]), action, text: line.text };
}

/** "neighbour: arp_cache: neighbor table overflow!" (IPv6: ndisc_cache); old kernels "Neighbour table overflow." */
export function neighOverflowFamily(line: KernelLogLine): 'ipv4' | 'ipv6' | 'unknown' | undefined {
  if (!/neighbou?r table overflow/i.test(line.text)) return undefined;
  if (/ndisc_cache/.test(line.text)) return 'ipv6';
  if (/arp_cache/.test(line.text)) return 'ipv4';
  return 'unknown';
}

/** "net_ratelimit: 123 callbacks suppressed": messages the kernel dropped, of any networking kind. */
export function suppressedCallbacks(line: KernelLogLine): number | undefined {
  const m = /net_ratelimit:\s+(\d+) callbacks suppressed/.exec(line.text);
  return m ? Number(m[1]) : undefined;
}

/** "nf_conntrack: table full, dropping packet" (also "nf_conntrack: nf_conntrack: table full, …" on
 * kernels that prefix the module name twice): a packet was dropped because the table was full and no
 * unassured entry could be evicted (Linux nf_conntrack_core.c __nf_conntrack_alloc). */
export function conntrackFullLine(line: KernelLogLine): boolean {
  return /nf_conntrack: table full, dropping packet/.test(line.text);
}
