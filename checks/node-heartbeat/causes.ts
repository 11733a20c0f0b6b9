// Why a kubelet's connection to the API server can stay dead for minutes, and what to change — from
// what this node shows: kubelet version vs the HTTP/2 health check, the client-go switches in its
// environment, and net.ipv4.tcp_retries2 (check-facts §13, §14; kubernetes PRs #95981, #96778, #108107).
import type { KubeletConn, TcpConnection } from '../../src/node/probes/kubeletConn.js';

/** client-go's HTTP/2 health check defaults: ping after 30 s without a frame, give up 15 s later. */
export const READ_IDLE_SECONDS = 30;
export const PING_TIMEOUT_SECONDS = 15;

/** Seconds until the kernel gives up retransmitting with `retries` (tcp_retries2), RTO starting at
 * TCP_RTO_MIN 200 ms, doubling, capped at TCP_RTO_MAX 120 s (Linux tcp_timer.c retransmits_timed_out):
 * 15 → 924.6 s, 8 → 102.2 s. */
export function retransmitGiveUpSeconds(retries: number): number {
  let total = 0;
  for (let k = 0; k <= retries; k++) total += Math.min(0.2 * 2 ** k, 120);
  return Math.round(total * 10) / 10;
}

/** Major.minor of "v1.19.3", "v1.27.4-eks-8ccc7ba". */
export function minorVersion(v: string | undefined): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export type Http2Support = 'yes' | 'no' | 'backport';
/** The health check came with client-go in 1.20 (#95981) and was cherry-picked to 1.19 (#96778). */
export function http2PingSupport(kubeletVersion: string | undefined): Http2Support | undefined {
  const v = minorVersion(kubeletVersion);
  if (!v) return undefined;
  if (v[0] > 1 || v[1] >= 20) return 'yes';
  return v[1] === 19 ? 'backport' : 'no';
}

/** A connection the peer stopped acknowledging: data queued and the retransmit timer firing repeatedly,
 * or nothing acknowledged for far longer than any RTO. */
export function isStuck(c: TcpConnection): boolean {
  if (c.sendQ <= 0) return false;
  return (c.timer?.name === 'on' && c.timer.retries >= 3) || (c.lastAckMs ?? 0) > 15_000;
}

export interface CauseInput {
  kubeletVersion?: string;
  conn?: KubeletConn;
  stuck: boolean;
}

/** The causes this node shows, each with its fix, most decisive first. */
export function causesOf(i: CauseInput): string[] {
  const out: string[] = [];
  const env = i.conn?.env && i.conn.env !== 'unreadable' ? i.conn.env : {};
  const support = http2PingSupport(i.kubeletVersion);
  if (support === 'no') {
    out.push(`kubelet ${i.kubeletVersion} predates client-go's HTTP/2 health check (1.20, kubernetes#95981): a dead connection is only noticed when the kernel gives up — upgrade the kubelet.`);
  } else if (support === 'backport') {
    out.push(`kubelet ${i.kubeletVersion}: 1.19 has the HTTP/2 health check only in patch releases with the cherry-pick (kubernetes#96778) — upgrade to ≥ 1.20.`);
  }
  if (env.HTTP2_READ_IDLE_TIMEOUT_SECONDS === '0') {
    out.push('HTTP2_READ_IDLE_TIMEOUT_SECONDS=0 in the kubelet\'s environment turns the HTTP/2 health check off: remove it from the kubelet unit or drop-in.');
  } else if (env.HTTP2_READ_IDLE_TIMEOUT_SECONDS && Number(env.HTTP2_READ_IDLE_TIMEOUT_SECONDS) + Number(env.HTTP2_PING_TIMEOUT_SECONDS ?? PING_TIMEOUT_SECONDS) > 45) {
    out.push(`HTTP2_READ_IDLE_TIMEOUT_SECONDS=${env.HTTP2_READ_IDLE_TIMEOUT_SECONDS} (with a ${env.HTTP2_PING_TIMEOUT_SECONDS ?? PING_TIMEOUT_SECONDS} s ping timeout) lets a dead connection live longer than the node grace period (40 s, 50 s from 1.32): keep the sum at or below the defaults (30 + 15 s).`);
  }
  if (env.HTTP2_PING_TIMEOUT_SECONDS === '0') out.push('HTTP2_PING_TIMEOUT_SECONDS=0 in the kubelet\'s environment disables the ping timeout: remove it.');
  if (env.DISABLE_HTTP2 !== undefined) {
    out.push(`DISABLE_HTTP2=${env.DISABLE_HTTP2} in the kubelet's environment: it talks HTTP/1.1, so no HTTP/2 ping guards its connections; it relies on closing them after failed heartbeats (kubernetes#108107). Remove it unless it works around a known proxy problem.`);
  }
  const retries = i.conn?.tcpRetries2;
  if (i.stuck && retries !== undefined && retries >= 10) {
    out.push(`net.ipv4.tcp_retries2=${retries}: the kernel keeps retransmitting into the dead connection for ≈ ${retransmitGiveUpSeconds(retries)} s before failing it. ` +
      `Set net.ipv4.tcp_retries2 = 8 (≈ ${retransmitGiveUpSeconds(8)} s) in /etc/sysctl.d/ on the nodes as a backstop.`);
  }
  if (i.stuck && !out.length) {
    out.push(`Nothing on this node disables the HTTP/2 health check, which closes a silent HTTP/2 connection within ${READ_IDLE_SECONDS + PING_TIMEOUT_SECONDS} s ` +
      `(${READ_IDLE_SECONDS} s without a frame, then a ${PING_TIMEOUT_SECONDS} s ping): a connection stuck longer is not guarded by it (HTTP/1.1, or a client other than client-go). ` +
      'Lower net.ipv4.tcp_retries2 (8 ≈ 102 s) as a backstop and look at the path: the API server load balancer\'s idle timeout and backend health checks.');
  }
  return out;
}
