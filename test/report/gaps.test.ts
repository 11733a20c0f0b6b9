// Identical gap reasons on many nodes fold into one gap: a count, a few sorted names, every format.
import { describe, expect, it } from '@jest/globals';
import { aggregateGaps, NAMES_KEPT } from '../../src/report/gaps.js';
import { buildReport } from '../../src/report/model.js';
import { renderText } from '../../src/report/text.js';
import { renderJson } from '../../src/report/json.js';
import type { Gap } from '../../src/engine/types.js';

const timedOut = (n: number): Gap[] => Array.from({ length: n }, (_, i) => ({ source: 'ssh', node: `node-${String(n - i).padStart(4, '0')}`, reason: 'connection timed out after 10s' }));

describe('aggregateGaps', () => {
  it('folds 5,000 nodes with one reason into one gap with the count and the first names', () => {
    const out = aggregateGaps(timedOut(5000));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ source: 'ssh', reason: 'connection timed out after 10s', count: 5000 });
    expect(out[0]!.nodes).toEqual(['node-0001', 'node-0002', 'node-0003', 'node-0004', 'node-0005']);
    expect(out[0]!.nodes).toHaveLength(NAMES_KEPT);
    expect((out[0] as { node: string }).node).toBe('node-0001, node-0002, node-0003, node-0004, node-0005 and 4995 more');
  });

  it('keeps different reasons and different probes apart, and a single gap as it was', () => {
    const gaps: Gap[] = [
      { source: 'ssh', node: 'a', reason: 'permission denied (publickey)' },
      { source: 'ssh', node: 'b', probe: 'netstat', reason: 'x' },
      { source: 'ssh', node: 'c', probe: 'netstat', reason: 'x' },
      { source: 'ssh', node: 'd', probe: 'sysctls', reason: 'x' },
      { source: 'api', resource: 'leases.coordination.k8s.io', reason: 'forbidden' },
    ];
    const out = aggregateGaps(gaps);
    expect(out).toEqual([
      { source: 'ssh', node: 'a', reason: 'permission denied (publickey)' },
      { source: 'ssh', node: 'b, c', probe: 'netstat', reason: 'x', count: 2, nodes: ['b', 'c'] },
      { source: 'ssh', node: 'd', probe: 'sysctls', reason: 'x' },
      { source: 'api', resource: 'leases.coordination.k8s.io', reason: 'forbidden' },
    ]);
  });

  it('folds per-node API gaps ("nodes/proxy (node n)") too', () => {
    const gaps: Gap[] = Array.from({ length: 30 }, (_, i) => ({ source: 'api', resource: `nodes/proxy (node n${i})`, reason: 'HTTP 502' }));
    const out = aggregateGaps(gaps);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ source: 'api', reason: 'HTTP 502', count: 30, nodes: ['n0', 'n1', 'n10', 'n11', 'n12'] });
    expect((out[0] as { resource: string }).resource).toBe('nodes/proxy (30 nodes: n0, n1, n10, n11, n12 and 25 more)');
  });

  it('the report carries the folded gap, so text shows one line and JSON one entry', () => {
    const report = buildReport({ cluster: { context: 'c', server: null, version: null }, identity: 'x', now: new Date(0), results: [], findings: [], gaps: timedOut(5000), nodes: { total: 5000, reached: 0 } },
      { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    expect(report.gaps).toHaveLength(1);
    const text = renderText(report, { colorLevel: 0 });
    expect(text.split('\n').filter((l) => l.includes('connection timed out'))).toHaveLength(1);
    expect(text).toContain('and 4995 more');
    expect(JSON.parse(renderJson(report)).gaps).toHaveLength(1);
  });
});

describe('aggregateGaps on hostile node names', () => {
  it('a 2 MB node name full of " (node " is split in linear time', () => {
    const name = ' (node x'.repeat(250_000);
    const gaps: Gap[] = [{ source: 'api', resource: `nodes/proxy (node ${name})`, reason: 'r' }, { source: 'api', resource: `nodes/proxy (node ${name}2)`, reason: 'r' }];
    const t0 = performance.now();
    const out = aggregateGaps(gaps);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ count: 2 });
  });
});
