// Lists a few kinds ahead: while the checks go through kind i, the first pages of kinds i+1..i+3
// are already being fetched and parsed. Most kinds fit in one page, so without this every kind cost
// a round trip the checks waited for (a dozen of them before the pods; issue 14); one kind ahead still
// left the checks waiting while the API server was busy with kubelet reads (at 15k pods the kinds
// before the pods took 440 ms one ahead, 260 ms three ahead). The memory bound stays a few pages: the
// kind in hand and each kind started ahead hold their first page parsed, the next one as text and one
// more read ahead by the request thread (src/kube/api-client.ts, request-worker.ts).
import type { KubeObject } from '../kube/resources.js';
import type { ApiSource, ListRequest } from './source.js';

const LISTS_AHEAD = 3;

interface Started {
  it: AsyncIterator<KubeObject[]>;
  first: Promise<IteratorResult<KubeObject[]>>;
}

export class ListsAhead {
  private readonly started = new Map<number, Started>();

  constructor(private readonly api: ApiSource, private readonly requests: readonly ListRequest[]) {}

  /** The pages of list i; starting it also starts the next LISTS_AHEAD lists. */
  async *pages(i: number): AsyncIterable<KubeObject[]> {
    const mine = this.start(i);
    for (let j = i + 1; j <= i + LISTS_AHEAD && j < this.requests.length; j++) this.start(j);
    this.started.delete(i);
    for (let r = await mine.first; !r.done; r = await mine.it.next()) yield r.value;
  }

  private start(i: number): Started {
    let s = this.started.get(i);
    if (!s) {
      const it = this.api.list(this.requests[i]!)[Symbol.asyncIterator]();
      const first = it.next();
      // A list that fails is reported when its turn comes, not as an unhandled rejection now.
      first.catch(() => {});
      this.started.set(i, (s = { it, first }));
    }
    return s;
  }
}
