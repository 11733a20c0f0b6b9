// Kubelet reads as a run makes them: each endpoint of a node once, and a slow proxy ends in a gap
// within the time budget instead of stalling the run node by node.
import { describe, expect, it } from '@jest/globals';
import { KUBELET_CONCURRENCY, type KubeletEndpoints } from '../../src/engine/kubelet-endpoints.js';
import { KubeletReads } from '../../src/engine/kubelet-reads.js';
import type { ApiSource, KubeletPath } from '../../src/engine/source.js';
import type { NodeTarget } from '../../src/node/node-source.js';

const targets = (n: number): NodeTarget[] => Array.from({ length: n }, (_, i) => ({ name: `n${i}`, addresses: [] }));

function slowProxy(ms: number, asked: string[]): ApiSource {
  return {
    async open() { throw new Error('unused'); },
    async *list() { /* unused */ },
    async getNodeProxy(node: string, path: KubeletPath) {
      asked.push(`${node}/${path}`);
      await new Promise((r) => setTimeout(r, ms));
      return { kubeletconfig: {} };
    },
  };
}

describe('KubeletReads', () => {
  it('asks each endpoint of a node once, whoever asks for it', async () => {
    const asked: string[] = [];
    const got = new Map<string, KubeletEndpoints[]>();
    const reads = new KubeletReads(slowProxy(1, asked), (t, e) => { got.set(t.name, [...(got.get(t.name) ?? []), e]); }, undefined);
    const [a, b] = targets(2);
    reads.start([{ target: a!, paths: ['configz', 'stats/summary'] }, { target: b!, paths: ['configz'] }]);
    reads.start([{ target: a!, paths: ['configz'] }, { target: b!, paths: ['configz', 'stats/summary'] }]);
    expect(await reads.done()).toEqual([]);
    expect(asked.sort()).toEqual(['n0/configz', 'n0/stats/summary', 'n1/configz', 'n1/stats/summary']);
    expect(reads.requests).toBe(4);
  });

  it('a slow proxy: past the budget no read starts, the rest are one gap, and every node still gets its (failed) endpoints', async () => {
    const asked: string[] = [];
    const delivered: string[] = [];
    const reads = new KubeletReads(slowProxy(40, asked), (t) => { delivered.push(t.name); }, undefined, 100);
    const started = Date.now();
    const nodes = 20 * KUBELET_CONCURRENCY;
    reads.start(targets(nodes).map((target) => ({ target, paths: ['configz'] as KubeletPath[] })));
    const gaps = await reads.done();
    // KUBELET_CONCURRENCY at a time, 40 ms each: about three rounds fit in 100 ms, then the reads in
    // flight end.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.length).toBeLessThanOrEqual(5 * KUBELET_CONCURRENCY);
    expect(delivered).toHaveLength(nodes);
    expect(gaps).toEqual([{ source: 'api', resource: expect.stringMatching(/^nodes\/proxy \(nodes n\d+, .*…\)$/), reason: 'not asked: the kubelet reads ran out of time' }]);
  });
});
