// The request thread's side (started by src/kube/request-thread.ts): makes each GET it is sent, on
// kept-alive connections of its own, digests the answer and sends it back, the body's buffer moved
// rather than copied. Nothing here decides anything; errors travel back as they are worded.
import type https from 'node:https';
import { parentPort } from 'node:worker_threads';
import { digestAnswer } from './answer-digest.js';
import { httpGet, RequestFailed } from './http-get.js';
import { pooledAgent } from './kept-agents.js';
import type { Ask, Reply } from './request-thread.js';

const agents = new Map<string, https.Agent>();
const port = parentPort!;

port.on('message', (ask: Ask) => { void answer(ask); });

async function answer(ask: Ask): Promise<void> {
  let reply: Reply;
  try {
    if (ask.pool?.tls) agents.set(ask.pool.key, pooledAgent(ask.pool.tls));
    const agent = ask.pool ? agents.get(ask.pool.key) : undefined;
    const raw = await httpGet(new URL(ask.url), { method: 'GET', headers: ask.headers, ...(agent ? { agent } : {}) }, ask.limits);
    reply = { id: ask.id, answer: digestAnswer(raw, ask.digest) };
  } catch (err) {
    const e = err instanceof RequestFailed ? err : new RequestFailed(String(err));
    reply = { id: ask.id, failed: { reason: e.reason, retryable: e.retryable, credentials: e.credentials } };
  }
  const body = 'answer' in reply ? reply.answer.bytes : undefined;
  port.postMessage(reply, body ? [body.buffer as ArrayBuffer] : []);
}
