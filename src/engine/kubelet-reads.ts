// When kubelet endpoints are read, relative to the API lists. Checks that want every node's facts
// (no wantsNodeFacts visitor) can have them read as soon as the Node list is in, while the pods and
// the other kinds are still being listed; checks that choose their nodes from what they saw can only
// say so after the lists. At 5,000 nodes that is ~10,000 proxy requests that no longer wait for the
// pods (issue 14). Each node's endpoint is read at most once, whoever asks first.
import { performance } from 'node:perf_hooks';
import { collectKubeletEndpoints, type KubeletEndpoints } from './kubelet-endpoints.js';
import type { ApiSource, KubeletPath, Recorder } from './source.js';
import type { NodeTarget } from '../node/node-source.js';
import type { Gap } from './types.js';

/** All kubelet reads of a run start within this long of the first (~10k reads at 5,000 nodes take
 * ~30 s through a healthy API server); past it the rest are one gap and the facts fall back. */
export const KUBELET_BUDGET_MS = 120_000;

export class KubeletReads {
  private deadline = Infinity;
  private readonly asked = new Map<string, Set<KubeletPath>>();
  /** One batch at a time: a later batch starts when the earlier one is done, so the concurrency
   * bound of collectKubeletEndpoints holds for the run. */
  private chain: Promise<Gap[]> = Promise.resolve([]);
  /** Requests made so far, per node (the bench prints them; tests count them). */
  requests = 0;

  constructor(private readonly api: ApiSource, private readonly deliver: (target: NodeTarget, endpoints: KubeletEndpoints) => void,
    private readonly recorder: Recorder | undefined, private readonly budgetMs = KUBELET_BUDGET_MS) {}

  /** Queues reads of these endpoints, minus those already asked for; does not wait for them. */
  start(requests: { target: NodeTarget; paths: KubeletPath[] }[]): void {
    const fresh = requests.flatMap(({ target, paths }) => {
      const seen = this.asked.get(target.name) ?? new Set<KubeletPath>();
      this.asked.set(target.name, seen);
      const todo = paths.filter((p) => !seen.has(p));
      todo.forEach((p) => seen.add(p));
      return todo.length ? [{ target, paths: todo }] : [];
    });
    if (!fresh.length) return;
    if (this.deadline === Infinity) this.deadline = performance.now() + this.budgetMs;
    const deadline = this.deadline;
    this.requests += fresh.reduce((n, r) => n + r.paths.length, 0);
    const before = this.chain;
    this.chain = before.then(async (gaps) => [...gaps, ...await collectKubeletEndpoints(this.api, fresh, this.deliver, this.recorder, deadline)]);
    // Failures surface from done(); until then a rejection must not count as unhandled.
    this.chain.catch(() => {});
  }

  /** Waits for every queued read; the gaps of all of them. */
  done(): Promise<Gap[]> {
    return this.chain;
  }
}
