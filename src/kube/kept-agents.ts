// One keep-alive connection pool per set of TLS credentials, for the whole run.
// client-node's applyToHTTPSOptions builds a fresh https.Agent (keepAlive off) on every call, so each
// request paid a TCP connect, a TLS handshake and a new SecureContext (parsing the CA bundle): at 15k
// pods that was ~1 s of the CLI's CPU (cpu profile, issue 14) plus as much again on the server side.
// The options it fills in still come fresh per request (an exec plugin may rotate a token or a client
// certificate); only the agent is swapped for a pooled one keyed on the TLS material it would carry.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/** Sockets per pool. Kubelet reads get a pool of their own (the 'kubelet' lane): dozens of them are
 * queued at once, and lists queued behind them for a socket stalled the run after the Node list. */
export const MAX_SOCKETS = 32;
const API_SOCKETS = 8;

/** Which pool a request goes through: lists and other API reads, or kubelet reads through the proxy. */
export type Lane = 'api' | 'kubelet';

const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/** A pool of https connections: its key (a hash of the TLS material) and the material itself, so the
 * request thread can keep an identical pool of its own. */
export interface PoolKey { key: string; tls: https.AgentOptions }

export class KeptAgents {
  private readonly pools = new Map<string, { agent: http.Agent; pool?: PoolKey }>();
  /** Agents seen before (a loader that hands out the same agent each time): no hashing per request. */
  private readonly seen = new WeakMap<object, { [L in Lane]?: { agent: http.Agent; pool?: PoolKey } }>();

  /** Replaces options.agent (a throwaway made by client-node) with the pooled agent for the same TLS
   * material. Agents of other kinds (proxy agents) are kept once per material and reused as they are.
   * Returns the pool's key for an https pool, undefined for other agents (they stay in this thread). */
  reuse(options: https.RequestOptions, lane: Lane = 'api'): PoolKey | undefined {
    const made = options.agent;
    if (!made || typeof made === 'boolean') return undefined;
    const seen = this.seen.get(made);
    const known = seen?.[lane];
    if (known) { options.agent = known.agent; return known.pool; }
    const hash = createHash('sha256').update(made.constructor.name);
    const o = options as Record<string, unknown>;
    for (const f of TLS_FIELDS) hash.update(`\0${f}=`).update(material(o[f]));
    const key = hash.digest('hex');
    let kept = this.pools.get(`${key}/${lane}`);
    if (!kept) {
      if (made.constructor === https.Agent) {
        const material = pick(o);
        kept = { agent: pooledAgent(material, lane), pool: { key, tls: material } };
      } else {
        kept = { agent: made };
      }
      this.pools.set(`${key}/${lane}`, kept);
    }
    // Only an agent whose material cannot change under it is remembered by identity: the plain
    // loader's (fixed at load). client-node makes a new one per request, so nothing is kept for it.
    if ((made as { checkupFixed?: boolean }).checkupFixed) this.seen.set(made, { ...seen, [lane]: kept });
    options.agent = kept.agent;
    return kept.pool;
  }

  destroy(): void {
    for (const { agent } of this.pools.values()) agent.destroy();
    this.pools.clear();
  }
}

/** A keep-alive agent for this TLS material, here or in the request thread. The material goes in as
 * one secure context made once: given as ca/cert/key, the agent would turn them into its pool name on
 * every request (Buffer to string, ~70 µs each: 10% of a kubelet read) and parse them again for every
 * new connection. */
export function pooledAgent(material: https.AgentOptions, lane: Lane): https.Agent {
  const { rejectUnauthorized, servername, ...secure } = material;
  return new https.Agent({
    secureContext: tls.createSecureContext(secure as tls.SecureContextOptions),
    ...(rejectUnauthorized !== undefined ? { rejectUnauthorized } : {}),
    ...(servername !== undefined ? { servername } : {}),
    keepAlive: true, maxSockets: lane === 'kubelet' ? MAX_SOCKETS : API_SOCKETS,
  });
}

function material(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(material).join('\0');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function pick(o: Record<string, unknown>): https.AgentOptions {
  const out: Record<string, unknown> = {};
  for (const f of TLS_FIELDS) if (o[f] !== undefined) out[f] = o[f];
  return out as https.AgentOptions;
}
