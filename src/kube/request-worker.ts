// The request thread's side (started by src/kube/request-thread.ts): makes each GET it is sent, on
// kept-alive connections of its own, digests the answer and sends it back, the body's buffer moved
// rather than copied. Nothing here decides anything; errors travel back as they are worded.
import type https from 'node:https';
import { parentPort } from 'node:worker_threads';
import { digestAnswer } from './answer-digest.js';
import { httpGet, RequestFailed } from './http-get.js';
import { pooledAgent, type Lane } from './kept-agents.js';
import type { Ask, Reply } from './request-thread.js';

/** TLS material by pool key (sent with the first request of a pool); agents by pool key and lane. */
const materials = new Map<string, https.AgentOptions>();
const agents = new Map<string, https.Agent>();

function agentFor(pool: NonNullable<Ask['pool']>, lane: Lane): https.Agent | undefined {
  const id = `${pool.key}/${lane}`;
  let agent = agents.get(id);
  const material = materials.get(pool.key);
  if (!agent && material) agents.set(id, (agent = pooledAgent(material, lane)));
  return agent;
}
const port = parentPort!;

port.on('message', (ask: Ask) => { void answer(ask); });

async function answer(ask: Ask): Promise<void> {
  let reply: Reply;
  try {
    if (ask.pool?.tls) materials.set(ask.pool.key, ask.pool.tls);
    const agent = ask.pool ? agentFor(ask.pool, ask.digest.kind === 'kubelet' ? 'kubelet' : 'api') : undefined;
    const raw = await httpGet(new URL(ask.url), { method: 'GET', headers: ask.headers, ...(agent ? { agent } : {}) }, ask.limits);
    reply = { id: ask.id, answer: digestAnswer(raw, ask.digest) };
  } catch (err) {
    const e = err instanceof RequestFailed ? err : new RequestFailed(String(err));
    reply = { id: ask.id, failed: { reason: e.reason, retryable: e.retryable, credentials: e.credentials } };
  }
  const body = 'answer' in reply ? reply.answer.bytes : undefined;
  port.postMessage(reply, body ? [body.buffer as ArrayBuffer] : []);
}
