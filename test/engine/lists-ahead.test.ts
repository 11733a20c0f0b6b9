// Listing one kind ahead: the next kind's first page is asked for while the checks are still on this
// kind, and a next kind that fails still becomes that kind's gap, in its turn.
import { describe, expect, it } from '@jest/globals';
import { memoryApiSource } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import type { ApiSource } from '../../src/engine/source.js';
import { defineCheck } from '../../src/engine/types.js';
import type { KubeObject } from '../../src/kube/resources.js';

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
