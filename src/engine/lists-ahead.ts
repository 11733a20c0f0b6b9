// Lists one kind ahead: while the checks go through kind i, the first page of kind i+1 is already
// being fetched and parsed. Most kinds fit in one page, so without this every kind cost a round
// trip the checks waited for (a dozen of them before the pods; issue 14). The memory bound stays a
// few pages: the kind in hand (its page and the next one in flight, src/kube/api-client.ts) and the
// first page or two of the kind after it.
import type { KubeObject } from '../kube/resources.js';
import type { ApiSource, ListRequest } from './source.js';

interface Started {
  it: AsyncIterator<KubeObject[]>;
  first: Promise<IteratorResult<KubeObject[]>>;
}

export class ListsAhead {
  private readonly started = new Map<number, Started>();

  constructor(private readonly api: ApiSource, private readonly requests: readonly ListRequest[]) {}

  /** The pages of list i; starting it also starts list i+1. */
  async *pages(i: number): AsyncIterable<KubeObject[]> {
    const mine = this.start(i);
    if (i + 1 < this.requests.length) this.start(i + 1);
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
