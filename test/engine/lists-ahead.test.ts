// Listing kinds ahead: the next kinds' first pages are asked for while the checks are still on this
// kind, each list once, and a kind that fails ahead of its turn still becomes that kind's gap, in its turn.
import { describe, expect, it } from '@jest/globals';
import { ListsAhead } from '../../src/engine/lists-ahead.js';
import { memoryApiSource } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import { ResourceUnavailable, type ApiSource } from '../../src/engine/source.js';
import { defineCheck } from '../../src/engine/types.js';
import { resourceInfo, type ApiKind, type KubeObject } from '../../src/kube/resources.js';

const pods = Array.from({ length: 6 }, (_, i) => ({ metadata: { namespace: 'a', name: `p${i}` } })) as unknown as KubeObject[];
const events = [{ metadata: { namespace: 'a', name: 'e1' } }] as unknown as KubeObject[];

function logged(base: ApiSource, log: string[]): ApiSource {
  return {
    ...base,
    async *list(req) {
      log.push(`start ${req.info.kind}`);
      for await (const page of base.list(req)) {
        await new Promise((r) => setTimeout(r, 10));
        log.push(`page ${req.info.kind}`);
        yield page;
      }
    },
  };
}

const check = (seen: string[]) => defineCheck({
  id: 'missing-probes', title: 't', severity: 'info', description: 'd', rules: { r: { description: 'd' } },
  needs: { api: ['Pod', 'Event'] },
  create: () => ({
    Pod: (p) => { seen.push(`Pod ${p.metadata?.name}`); },
    Event: (e) => { seen.push(`Event ${e.metadata?.name}`); },
  }),
});

describe('lists one kind ahead', () => {
  it('asks for the next kind while the checks are still on this one, and delivers in RESOURCES order', async () => {
    const log: string[] = [];
    const seen: string[] = [];
    await runChecks({ checks: [check(seen)], api: logged(memoryApiSource({ Pod: pods, Event: events }, { pageSize: 2 }), log), scope: {}, settings: { sampleIntervalSeconds: 0 } });
    expect(log.indexOf('start Event')).toBeLessThan(log.lastIndexOf('page Pod'));
    expect(seen).toEqual(['Pod p0', 'Pod p1', 'Pod p2', 'Pod p3', 'Pod p4', 'Pod p5', 'Event e1']);
  });

  it('a next kind that cannot be listed is its gap, and its check is skipped, as without the lookahead', async () => {
    const seen: string[] = [];
    const out = await runChecks({
      checks: [check(seen)], api: memoryApiSource({ Pod: pods }, { pageSize: 2, unavailable: { Event: 'forbidden' } }),
      scope: {}, settings: { sampleIntervalSeconds: 0 },
    });
    expect(seen).toHaveLength(6);
    expect(out.gaps).toEqual([{ source: 'api', resource: 'events', reason: 'forbidden' }]);
    expect(out.results[0]).toMatchObject({ status: 'skip', reason: 'forbidden: events' });
  });
});

const KINDS: ApiKind[] = ['Node', 'Namespace', 'Service', 'Deployment', 'ReplicaSet', 'Pod'];

/** Two pages of one object each per kind, through the logging source above (`start KIND` when a list
 * is asked for). */
function source(failing?: ApiKind) {
  const log: string[] = [];
  const objects = Object.fromEntries(KINDS.map((k) => [k, [{ metadata: { name: `${k}-1` } }, { metadata: { name: `${k}-2` } }]]));
  const api = logged(memoryApiSource(objects, { pageSize: 1, ...(failing ? { unavailable: { [failing]: 'forbidden' } } : {}) }), log);
  return { api, get started() { return log.filter((l) => l.startsWith('start ')).map((l) => l.slice(6)); } };
}

const names = async (pages: AsyncIterable<KubeObject[]>) => {
  const out: string[] = [];
  for await (const page of pages) out.push(...page.map((o) => o.metadata!.name!));
  return out;
};

describe('ListsAhead', () => {
  it('starts the next three lists with each one, every list once, pages in order', async () => {
    const src = source();
    const ahead = new ListsAhead(src.api, KINDS.map((k) => ({ info: resourceInfo(k) })));
    const seen: string[][] = [];
    for (const [i] of KINDS.entries()) {
      const pages = ahead.pages(i)[Symbol.asyncIterator]();
      const first = await pages.next();
      // While on list i, lists up to i+3 have been asked for, none further.
      expect(src.started).toEqual(KINDS.slice(0, Math.min(i + 4, KINDS.length)));
      seen.push([...(first.value as KubeObject[]).map((o) => o.metadata!.name!), ...await names({ [Symbol.asyncIterator]: () => pages })]);
    }
    expect(seen).toEqual(KINDS.map((k) => [`${k}-1`, `${k}-2`]));
  });

  it('a list that fails while started ahead fails at its turn', async () => {
    const { api } = source('Service');
    const ahead = new ListsAhead(api, KINDS.map((k) => ({ info: resourceInfo(k) })));
    expect(await names(ahead.pages(0))).toEqual(['Node-1', 'Node-2']);
    // Service (2) was started with Node and has failed by now; nothing is thrown until it is read.
    await new Promise((r) => setTimeout(r, 10));
    expect(await names(ahead.pages(1))).toEqual(['Namespace-1', 'Namespace-2']);
    await expect(names(ahead.pages(2))).rejects.toThrow(ResourceUnavailable);
    expect(await names(ahead.pages(3))).toEqual(['Deployment-1', 'Deployment-2']);
  });
});
