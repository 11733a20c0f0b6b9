// The request thread's side (started by src/kube/request-thread.ts): makes each GET it is sent, on
// kept-alive connections of its own, digests the answer and sends it back (the body as text, see
// Digested in answer-digest.ts), and reads list pages ahead. Nothing here decides anything; errors
// travel back as they are worded.
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

/**
 * Read-ahead of list pages (issue 14). When a page names the next one, that page is asked for at
 * once, with the same headers, and kept until the main thread asks for exactly that request (same
 * URL, same headers) — else it is never used. The main thread asks for the next page as soon as a page
 * reaches it, but a page can wait in its queue while it evaluates the one before; asked for here, the
 * next page is on its way during that wait too. One page per list at most: a read-ahead starts only
 * when the main thread's own request for the page before it is answered, and a new one for the same
 * list replaces one never asked for.
 */
const ahead = new Map<string, { url: string; headers: string; reply: Promise<Reply> }>();

async function answer(ask: Ask): Promise<void> {
  const list = ask.digest.kind === 'list' ? listKey(ask.url) : undefined;
  const kept = list === undefined ? undefined : ahead.get(list);
  let reply: Reply;
  if (kept && kept.url === ask.url && kept.headers === JSON.stringify(ask.headers)) {
    ahead.delete(list!);
    reply = { ...await kept.reply, id: ask.id };
  } else {
    reply = await fetched(ask);
  }
  const next = 'answer' in reply ? reply.answer.continueHint : undefined;
  if (list !== undefined && next) {
    const url = new URL(ask.url);
    url.searchParams.set('continue', next);
    ahead.set(list, { url: url.href, headers: JSON.stringify(ask.headers), reply: fetched({ ...ask, url: url.href, pool: ask.pool && { key: ask.pool.key } }) });
  }
  port.postMessage(reply);
}

/** Which list a page request belongs to: its URL without the continue token. */
function listKey(href: string): string {
  const url = new URL(href);
  url.searchParams.delete('continue');
  return url.href;
}

async function fetched(ask: Ask): Promise<Reply> {
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
  return reply;
}
