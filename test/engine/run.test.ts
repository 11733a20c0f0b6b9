import { describe, expect, it } from '@jest/globals';
import { memoryApiSource, memoryNodeSource } from '../../src/engine/memory-source.js';
import { planCollection } from '../../src/engine/plan.js';
import { runChecks } from '../../src/engine/run.js';
import { defineCheck, type CheckDefinition } from '../../src/engine/types.js';
import type { V1Node, V1Pod } from '@kubernetes/client-node';

const pod = (ns: string, name: string, phase = 'Running'): V1Pod => ({ metadata: { namespace: ns, name }, status: { phase } });
const node = (name: string): V1Node => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } });

/** A check that reports one warning per pod in phase Failed, and counts what it saw. */
function failedPods(seen: string[] = []): CheckDefinition {
  return defineCheck({
    id: 'evicted-pods', title: 't', severity: 'warning', description: 'd',
    needs: { api: [{ kind: 'Pod', fieldSelector: 'status.phase=Failed' }] },
    create: (ctx) => ({
      Pod(p) {
        seen.push(p.metadata!.name!);
        if (p.status?.phase === 'Failed') {
          ctx.report({ severity: 'warning', target: { kind: 'Pod', namespace: p.metadata!.namespace, name: p.metadata!.name! }, message: 'failed', remediation: { summary: 'fix' } });
        }
      },
    }),
  });
}

const run = (checks: CheckDefinition[], objects: Parameters<typeof memoryApiSource>[0], extra: Partial<Parameters<typeof runChecks>[0]> = {}, unavailable?: Record<string, string>) =>
  runChecks({
    checks, api: memoryApiSource(objects, { now: new Date('2026-11-25T00:00:00Z'), unavailable, pageSize: 2 }),
    scope: {}, settings: { sampleIntervalSeconds: 5 }, ...extra,
  });

describe('planCollection', () => {
  it('merges needs per kind and keeps a field selector only when every check asked for the same one', () => {
    const a = failedPods();
    const b = defineCheck({ ...failedPods(), id: 'missing-probes', needs: { api: ['Pod', { kind: 'Event', optional: true }] } });
    const onlyA = planCollection([a]);
    expect(onlyA.lists.map((l) => [l.info.kind, l.fieldSelector])).toEqual([['Pod', 'status.phase=Failed']]);
    const both = planCollection([a, b]);
    expect(both.lists.map((l) => [l.info.kind, l.fieldSelector])).toEqual([['Pod', undefined], ['Event', undefined]]);
    expect([...both.lists[1]!.requiredBy]).toEqual([]);
    expect([...both.lists[1]!.consumers]).toEqual(['missing-probes']);
  });

  it('lists nodes for checks that probe nodes, in streaming order (nodes first)', () => {
    const c = defineCheck({ ...failedPods(), id: 'syn-backlog', needs: { api: ['Pod'], probes: ['uname'] } });
    expect(planCollection([c]).lists.map((l) => l.info.kind)).toEqual(['Node', 'Pod']);
  });
});

describe('runChecks', () => {
  it('streams every page through the check and reports its findings', async () => {
    const seen: string[] = [];
    const out = await run([failedPods(seen)], { Pod: [pod('a', 'p1', 'Failed'), pod('a', 'p2'), pod('b', 'p3', 'Failed')] });
    expect(seen).toEqual(['p1', 'p2', 'p3']);
    expect(out.results[0]).toMatchObject({ id: 'evicted-pods', status: 'fail', reason: null });
    expect(out.findings.map((f) => [f.check, f.target.name])).toEqual([['evicted-pods', 'p1'], ['evicted-pods', 'p3']]);
  });

  it('passes a check whose findings are all info', async () => {
    const c = defineCheck({ ...failedPods(), create: (ctx) => ({ finish() { ctx.report({ severity: 'info', target: { kind: 'Cluster', name: 'c' }, message: 'fyi', remediation: { summary: 's' } }); } }) });
    const out = await run([c], {});
    expect(out.results[0]!.status).toBe('pass');
    expect(out.findings).toHaveLength(1);
  });

  it('isolates a check that throws: status error with the message, the others still run', async () => {
    const boom = defineCheck({ ...failedPods(), id: 'missing-probes', create: () => ({ Pod() { throw new Error('kaboom'); } }) });
    const out = await run([boom, failedPods()], { Pod: [pod('a', 'p1', 'Failed')] });
    expect(out.results[0]).toMatchObject({ id: 'missing-probes', status: 'error' });
    expect(out.results[0]!.reason).toContain('kaboom');
    expect(out.results[1]).toMatchObject({ id: 'evicted-pods', status: 'fail' });
  });

  it('skips a check whose required list is forbidden, reports the gap, and runs the rest', async () => {
    const nodesCheck = defineCheck({ ...failedPods(), id: 'node-heartbeat', needs: { api: ['Node'] }, create: () => ({}) });
    const out = await run([nodesCheck, failedPods()], { Pod: [pod('a', 'p1', 'Failed')] }, {}, { Node: 'forbidden' });
    expect(out.results[0]).toMatchObject({ status: 'skip', reason: 'forbidden: nodes' });
    expect(out.results[1]).toMatchObject({ status: 'fail' });
    expect(out.gaps).toEqual([{ source: 'api', resource: 'nodes', reason: 'forbidden' }]);
  });

  it('with -n, a check that needs a kind from every namespace gets it; the others see only the namespace', async () => {
    const seen: Record<string, string[]> = { wide: [], narrow: [] };
    const spy = (id: 'kubelet-gc' | 'missing-probes', key: 'wide' | 'narrow', allNamespaces: boolean) => defineCheck({
      id, title: 't', severity: 'info', description: 'd', needs: { api: [{ kind: 'Event', allNamespaces }] },
      create: () => ({ Event: (e) => { seen[key]!.push(`${e.metadata?.namespace}/${e.metadata?.name}`); } }),
    });
    const events = [{ metadata: { namespace: 'default', name: 'node-gc' } }, { metadata: { namespace: 'shop', name: 'pod-event' } }];
    await runChecks({
      checks: [spy('kubelet-gc', 'wide', true), spy('missing-probes', 'narrow', false)],
      api: memoryApiSource({ Event: events }), scope: { namespace: 'shop' }, settings: { sampleIntervalSeconds: 0 },
    });
    expect(seen.wide).toEqual(['default/node-gc', 'shop/pod-event']);
    expect(seen.narrow).toEqual(['shop/pod-event']);
  });

  it('runs a check whose optional list is forbidden', async () => {
    const c = defineCheck({ ...failedPods(), needs: { api: ['Pod', { kind: 'Event', optional: true }] } });
    const out = await run([c], { Pod: [pod('a', 'p1', 'Failed')] }, {}, { Event: 'forbidden' });
    expect(out.results[0]!.status).toBe('fail');
    expect(out.gaps).toEqual([{ source: 'api', resource: 'events', reason: 'forbidden' }]);
  });

  describe('node probes', () => {
    const probing = (optional = false) => defineCheck({
      id: 'cpu-throttling-kernel', title: 't', severity: 'warning', description: 'd',
      needs: { api: ['Node'], probes: ['uname'], probesOptional: optional },
      create: (ctx) => ({
        NodeProbes(r) {
          const u = r.probes.uname;
          if (u?.ok && u.value.release.startsWith('4.')) ctx.report({ severity: 'warning', target: { kind: 'Node', name: r.node }, message: u.value.release, remediation: { summary: 's' } });
        },
      }),
    });
    const nodes = { Node: [node('n1'), node('n2'), node('n3')] };

    it('delivers parsed probes per reached node and turns unreachable nodes and garbage into gaps', async () => {
      const out = await run([probing()], nodes, { nodes: memoryNodeSource({ n1: { uname: '4.19.0-1\n' }, n2: 'connection refused', n3: { uname: 'garbage' } }) });
      expect(out.findings.map((f) => f.target.name)).toEqual(['n1']);
      expect(out.nodes).toEqual({ total: 3, reached: 2 });
      expect(out.results[0]).toMatchObject({ status: 'fail', reason: 'node data from 2 of 3 nodes (see gaps)' });
      expect(out.gaps).toEqual([
        { source: 'ssh', node: 'n2', reason: 'connection refused' },
        { source: 'ssh', node: 'n3', probe: 'uname', reason: expect.stringContaining('unexpected uname -r output') },
      ]);
    });

    it('a probe cut off in transit is a gap with the transport\'s reason', async () => {
      const cutOff = {
        async *collect() {
          yield { node: 'n1', reached: true as const, intervalSeconds: 5, samples: {}, problems: [{ probe: 'uname', reason: 'output truncated' }] };
        },
      };
      const out = await run([probing()], { Node: [node('n1')] }, { nodes: cutOff });
      expect(out.gaps).toEqual([{ source: 'ssh', node: 'n1', probe: 'uname', reason: 'output truncated' }]);
      expect(out.results[0]!.status).toBe('pass');
    });

    it('an essential probe that failed everywhere skips the check; failing somewhere is noted', async () => {
      const strict = defineCheck({ ...probing(), needs: { api: ['Node'], probes: ['uname'], essentialProbes: ['uname'] } });
      const all = await run([strict], nodes, { nodes: memoryNodeSource({ n1: { uname: 'x' }, n2: { uname: 'y' }, n3: { uname: 'z' } }) });
      expect(all.results[0]).toMatchObject({ status: 'skip', reason: expect.stringMatching(/^uname: unexpected uname -r output/) });
      const some = await run([strict], nodes, { nodes: memoryNodeSource({ n1: { uname: '4.19.1\n' }, n2: { uname: '6.1.0\n' }, n3: { uname: 'z' } }) });
      expect(some.results[0]).toMatchObject({ status: 'fail', reason: 'no uname data from 1 of 3 reached nodes (see gaps)' });
    });

    it('skips a check that needs node data when SSH is off, and says why', async () => {
      const out = await run([probing()], nodes, { noNodesReason: '--no-ssh' });
      expect(out.results[0]).toMatchObject({ status: 'skip', reason: 'node checks not evaluated: --no-ssh' });
    });

    it('still runs a check with optional probes when SSH is off, and notes it', async () => {
      const out = await run([probing(true)], nodes);
      expect(out.results[0]).toMatchObject({ status: 'pass', reason: 'node checks not evaluated: --no-ssh' });
    });

    it('says so when --nodes matches no node', async () => {
      const out = await run([probing()], nodes, { nodes: memoryNodeSource({}), scope: { nodeFilter: () => false } });
      expect(out.results[0]).toMatchObject({ status: 'skip', reason: 'no node matches --nodes' });
    });

    it('probes only the nodes the --nodes filter keeps', async () => {
      const out = await run([probing()], nodes, {
        nodes: memoryNodeSource({ n1: { uname: '4.19.0\n' }, n2: { uname: '4.14.0\n' } }),
        scope: { nodeFilter: (n) => n.metadata?.name === 'n2' },
      });
      expect(out.findings.map((f) => f.target.name)).toEqual(['n2']);
      expect(out.nodes).toEqual({ total: 1, reached: 1 });
    });
  });

  describe('kubelet endpoints through the node proxy', () => {
    const gc = (seen: string[]) => defineCheck({
      id: 'kubelet-gc', title: 't', severity: 'critical', description: 'd',
      needs: { api: ['Node'], nodeApi: ['configz'] },
      create: () => ({ NodeApi: (r) => seen.push(`${r.node}:${r.endpoints.configz?.ok ? JSON.stringify(r.endpoints.configz.value) : r.endpoints.configz?.reason}`) }),
    });
    const nodes = { Node: [node('n1'), node('n2')] };

    it('delivers each node\'s endpoint, and a missing one as its reason', async () => {
      const seen: string[] = [];
      const out = await runChecks({
        checks: [gc(seen)], api: memoryApiSource(nodes, { nodeProxy: { n1: { configz: { a: 1 } } } }),
        scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(seen.sort()).toEqual(['n1:{"a":1}', 'n2:nodes/proxy: not found (404)']);
      expect(out.gaps).toEqual([{ source: 'api', resource: 'nodes/proxy (node n2)', reason: 'not found (404)' }]);
    });

    it('RBAC per node: a node whose proxy is refused is named in the gap, the others are read', async () => {
      const seen: string[] = [];
      const out = await runChecks({
        checks: [gc(seen)], api: memoryApiSource(nodes, { nodeProxy: { n1: { configz: { a: 1 } }, n2: 'forbidden' } }),
        scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(seen.sort()).toEqual(['n1:{"a":1}', 'n2:nodes/proxy: forbidden']);
      expect(out.gaps).toEqual([{ source: 'api', resource: 'nodes/proxy (node n2)', reason: 'forbidden' }]);
    });

    it('stops asking once the refusal is plainly cluster-wide', async () => {
      const many = { Node: Array.from({ length: 30 }, (_, i) => node(`n${i}`)) };
      let requests = 0;
      const seen: string[] = [];
      const out = await runChecks({
        checks: [gc(seen)], api: memoryApiSource(many, { nodeProxy: 'forbidden', onNodeProxy: () => { requests++; } }),
        scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(requests).toBeLessThanOrEqual(16);
      expect(seen).toHaveLength(30);
      expect(out.gaps).toEqual([{ source: 'api', resource: 'nodes/proxy', reason: 'forbidden' }]);
    });

    it('a forbidden node proxy is one gap, and the check still runs', async () => {
      const seen: string[] = [];
      const out = await runChecks({
        checks: [gc(seen)], api: memoryApiSource(nodes, { nodeProxy: 'forbidden' }),
        scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(seen.sort()).toEqual(['n1:nodes/proxy: forbidden', 'n2:nodes/proxy: forbidden']);
      expect(out.gaps).toEqual([{ source: 'api', resource: 'nodes/proxy', reason: 'forbidden' }]);
      expect(out.results[0]!.status).toBe('pass');
    });
  });

  it('asks every check for probe inputs per node and merges them without duplicates', async () => {
    const asked: { node: string; inputs: unknown }[] = [];
    const withInputs = (id: 'hostpath-log-growth' | 'kubelet-gc', paths: string[]) => defineCheck({
      id, title: 't', severity: 'warning', description: 'd', needs: { probes: ['uname'] },
      create: () => ({ probeInputs: () => ({ uname: paths }) }),
    });
    const source = {
      async *collect(targets: { name: string }[], _probes: string[], inputs?: (n: string) => unknown) {
        for (const t of targets) asked.push({ node: t.name, inputs: inputs?.(t.name) });
      },
    };
    await runChecks({
      checks: [withInputs('hostpath-log-growth', ['/a', '/b']), withInputs('kubelet-gc', ['/b', '/c'])],
      api: memoryApiSource({ Node: [node('n1')] }), nodes: source, scope: {}, settings: { sampleIntervalSeconds: 0 },
    });
    expect(asked).toEqual([{ node: 'n1', inputs: { uname: ['/a', '/b', '/c'] } }]);
  });
});

