// One keep-alive connection pool per set of TLS credentials, for the whole run.
// client-node's applyToHTTPSOptions builds a fresh https.Agent (keepAlive off) on every call, so each
// request paid a TCP connect, a TLS handshake and a new SecureContext (parsing the CA bundle): at 15k
// pods that was ~1 s of the CLI's CPU (cpu profile, issue 14) plus as much again on the server side.
// The options it fills in still come fresh per request (an exec plugin may rotate a token or a client
// certificate); only the agent is swapped for a pooled one keyed on the TLS material it would carry.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/** Sockets per pool: the engine asks for at most a handful of lists and kubelet endpoints at once. */
const MAX_SOCKETS = 16;

const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

export class KeptAgents {
  private readonly pools = new Map<string, http.Agent>();
  /** Agents seen before (a loader that hands out the same agent each time): no hashing per request. */
  private readonly seen = new WeakMap<object, http.Agent>();

  /** Replaces options.agent (a throwaway made by client-node) with the pooled agent for the same TLS
   * material. Agents of other kinds (proxy agents) are kept once per material and reused as they are. */
  reuse(options: https.RequestOptions): void {
    const made = options.agent;
    if (!made || typeof made === 'boolean') return;
    const known = this.seen.get(made);
    if (known) { options.agent = known; return; }
    const hash = createHash('sha256').update(made.constructor.name);
    const o = options as Record<string, unknown>;
    for (const f of TLS_FIELDS) hash.update(`\0${f}=`).update(material(o[f]));
    const key = hash.digest('hex');
    let agent = this.pools.get(key);
    if (!agent) {
      agent = made.constructor === https.Agent
        ? new https.Agent({ ...pick(o), keepAlive: true, maxSockets: MAX_SOCKETS })
        : made;
      this.pools.set(key, agent);
    }
    // Only an agent whose material cannot change under it is remembered by identity: the plain
    // loader's (fixed at load). client-node makes a new one per request, so nothing is kept for it.
    if ((made as { checkupFixed?: boolean }).checkupFixed) this.seen.set(made, agent);
    options.agent = agent;
  }

  destroy(): void {
    for (const a of this.pools.values()) a.destroy();
    this.pools.clear();
  }
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
