// The API requests of a run, made in a thread of their own. At 5,000 nodes a run makes ~10,000
// kubelet reads and hundreds of list pages; their TLS, HTTP and parsing took about as much of the
// main thread as the checks and the list parsing together (cpu profiles, issue 14). In a worker they
// run on another core while the main thread parses pages and runs the checks. The main thread keeps
// everything that decides: credentials (applied per request, so a rotated token is used at once),
// retries, pagination, gaps. The request thread only fetches and digests (src/kube/answer-digest.ts).
import { existsSync } from 'node:fs';
import type https from 'node:https';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Digest, Digested } from './answer-digest.js';
import { RequestFailed, type RequestLimits } from './http-get.js';
import type { PoolKey } from './kept-agents.js';

/** A request for the thread. The pool's TLS material travels with the first request that uses it. */
export interface Ask {
  id: number;
  url: string;
  headers: https.RequestOptions['headers'];
  pool?: { key: string; tls?: https.AgentOptions };
  limits: RequestLimits;
  digest: Digest;
}

export type Reply =
  | { id: number; answer: Digested }
  | { id: number; failed: { reason: string; retryable: boolean; credentials: boolean } };

/** The compiled worker beside this module. Run from the TypeScript sources (unit tests) there is none:
 * then requests stay in the main thread (same code, src/kube/http-get.ts). */
export const WORKER_URL = new URL('./request-worker.js', import.meta.url);

let early: RequestThread | undefined;

/** Starts the request thread ahead of the client that will use it (src/cli/main.ts: while the rest of
 * the CLI loads); the next RequestThread.at() takes it. Unused, it does not keep the process alive. */
export function startRequestThreadEarly(): void {
  early ??= RequestThread.at();
}

export class RequestThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (d: Digested) => void; reject: (e: RequestFailed) => void }>();
  private readonly poolsSent = new Set<string>();
  private nextId = 0;

  private constructor(private readonly url: URL) {}

  /** A thread with the worker at `url`, or undefined when that file is not there. The worker starts
   * now, so it is up by the first request (the one started early, if any, is taken). */
  static at(url: URL = WORKER_URL): RequestThread | undefined {
    if (url === WORKER_URL && early) {
      const thread = early;
      early = undefined;
      return thread;
    }
    if (!existsSync(fileURLToPath(url))) return undefined;
    const thread = new RequestThread(url);
    thread.start();
    return thread;
  }

  get(url: URL, headers: https.RequestOptions['headers'], pool: PoolKey | undefined, limits: RequestLimits, digest: Digest): Promise<Digested> {
    const worker = this.start();
    const id = this.nextId++;
    const first = pool && !this.poolsSent.has(pool.key);
    if (pool) this.poolsSent.add(pool.key);
    const ask: Ask = { id, url: url.href, headers, pool: pool && (first ? pool : { key: pool.key }), limits, digest };
    return new Promise<Digested>((resolve, reject) => {
      // Only while requests are out does the thread keep the process alive.
      if (!this.pending.size) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage(ask);
    });
  }

  /** Stops the thread; requests still out fail. */
  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // The thread holds little: a few answers in flight. A small young generation keeps its memory
    // small; 8 MB rather than 4: at 4 its answers outlived scavenges and were promoted (~20 MB more
    // peak RSS at 150k pods, issue 14).
    const worker = new Worker(this.url, { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (!this.pending.size) worker.unref();
      if ('answer' in reply) p.resolve(reply.answer);
      else p.reject(new RequestFailed(reply.failed.reason, reply.failed.retryable, reply.failed.credentials));
    });
    // A thread that dies (it should not) fails what it had; the next request starts a new one, which
    // is sent the TLS material again.
    const died = (why: string) => {
      if (this.worker === worker) { this.worker = undefined; this.poolsSent.clear(); }
      for (const p of this.pending.values()) p.reject(new RequestFailed(`the request thread stopped (${why})`, true));
      this.pending.clear();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit ${code}`));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
