import { describe, expect, it } from '@jest/globals';
import { memoryApiSource, memoryNodeSource } from '../../src/engine/memory-source.js';
import { KUBELET_CONCURRENCY, PRESUMED_FORBIDDEN } from '../../src/engine/kubelet-endpoints.js';
import { planCollection } from '../../src/engine/plan.js';
import { runChecks } from '../../src/engine/run.js';
import { defineCheck, optional, type CheckDefinition } from '../../src/engine/types.js';
import type { V1Node, V1Pod } from '@kubernetes/client-node';

const pod = (ns: string, name: string, phase = 'Running'): V1Pod => ({ metadata: { namespace: ns, name }, status: { phase } });
const node = (name: string): V1Node => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } });

const RULES = { r: { description: 'd' } };

/** A check that reports one warning per pod in phase Failed, and counts what it saw. */
function failedPods(seen: string[] = []): CheckDefinition {
  return defineCheck({
    id: 'evicted-pods', title: 't', severity: 'warning', description: 'd', rules: RULES,
    needs: { api: [{ kind: 'Pod', fieldSelector: 'status.phase=Failed' }] },
    create: (ctx) => ({
      Pod(p) {
        seen.push(p.metadata!.name!);
        if (p.status?.phase === 'Failed') {
          ctx.report({ rule: 'r', severity: 'warning', target: { kind: 'Pod', namespace: p.metadata!.namespace, name: p.metadata!.name! }, message: 'failed', remediation: { summary: 'fix' } });
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
    const c = defineCheck({ ...failedPods(), create: (ctx) => ({ finish() { ctx.report({ rule: 'r', severity: 'info', target: { kind: 'Cluster', name: 'c' }, message: 'fyi', remediation: { summary: 's' } }); } }) });
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
      id, title: 't', severity: 'info', description: 'd', rules: RULES, needs: { api: [{ kind: 'Event', allNamespaces }] },
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
    const probing = (optionalProbes = false) => defineCheck({
      id: 'cpu-throttling-kernel', title: 't', severity: 'warning', description: 'd', rules: RULES,
      needs: { api: ['Node'], probes: optionalProbes ? optional('uname') : ['uname'] },
      create: (ctx) => ({
        NodeProbes(r) {
          const u = r.probes.uname;
          if (u?.ok && u.value.release.startsWith('4.')) ctx.report({ rule: 'r', severity: 'warning', target: { kind: 'Node', name: r.node }, message: u.value.release, remediation: { summary: 's' } });
        },
      }),
    });
    const nodes = { Node: [node('n1'), node('n2'), node('n3')] };

    it('kinds only node data needs (onlyWithNodes) are neither listed nor sent without node access', async () => {
      const seen: string[] = [];
      const c = defineCheck({
        ...probing(), needs: { api: ['Node', { kind: 'Pod', optional: true, onlyWithNodes: true }], probes: ['uname'] },
        create: () => ({ Pod(p) { seen.push(p.metadata!.name!); } }),
      });
      expect(planCollection([c], { nodes: false }).lists.map((l) => l.info.kind)).toEqual(['Node']);
      const without = await run([c], { ...nodes, Pod: [pod('a', 'p1')] });
      expect(seen).toEqual([]);
      expect(without.results[0]).toMatchObject({ status: 'skip' });
      await run([c], { ...nodes, Pod: [pod('a', 'p1')] }, { nodes: memoryNodeSource({ n1: { uname: '6.1.0\n' } }) });
      expect(seen).toEqual(['p1']);
    });

    it('delivers parsed probes per reached node and turns unreachable nodes and garbage into gaps', async () => {
      const out = await run([probing()], nodes, { nodes: memoryNodeSource({ n1: { uname: '4.19.0-1\n' }, n2: 'connection refused', n3: { uname: 'garbage' } }) });
      expect(out.findings.map((f) => f.target.name)).toEqual(['n1']);
      expect(out.nodes).toEqual({ total: 3, reached: 2 });
      expect(out.results[0]).toMatchObject({ status: 'fail', reason: 'node data from 2 of 3 nodes (see gaps); no uname data from 1 of 2 reached nodes (see gaps)' });
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
      const out = await run([probing(true)], { Node: [node('n1')] }, { nodes: cutOff });
      expect(out.gaps).toEqual([{ source: 'ssh', node: 'n1', probe: 'uname', reason: 'output truncated' }]);
      expect(out.results[0]!.status).toBe('pass');
      // Required, the same probe leaves nothing to judge: a skip with the reason, never a silent pass.
      const required = await run([probing()], { Node: [node('n1')] }, { nodes: cutOff });
      expect(required.results[0]).toMatchObject({ status: 'skip', reason: 'uname: output truncated' });
    });

    it('a required probe that failed everywhere skips the check; failing somewhere is noted', async () => {
      const strict = probing();
      const all = await run([strict], nodes, { nodes: memoryNodeSource({ n1: { uname: 'x' }, n2: { uname: 'y' }, n3: { uname: 'z' } }) });
      expect(all.results[0]).toMatchObject({ status: 'skip', reason: expect.stringMatching(/^uname: unexpected uname -r output/) });
      const some = await run([strict], nodes, { nodes: memoryNodeSource({ n1: { uname: '4.19.1\n' }, n2: { uname: '6.1.0\n' }, n3: { uname: 'z' } }) });
      expect(some.results[0]).toMatchObject({ status: 'fail', reason: 'no uname data from 1 of 3 reached nodes (see gaps)' });
    });

    it('skips a check that needs node data when SSH is off, and says why', async () => {
      const out = await run([probing()], nodes, { noNodesReason: '--no-ssh' });
      expect(out.results[0]).toMatchObject({ status: 'skip', reason: 'node checks not evaluated: --no-ssh' });
    });

    it('keeps what a check with required probes found without node data, and notes what is missing', async () => {
      const eventsToo = defineCheck({ ...probing(), create: (ctx) => ({ finish() { ctx.report({ rule: 'r', severity: 'warning', target: { kind: 'Node', name: 'n1' }, message: 'from events', remediation: { summary: 's' } }); } }) });
      const out = await run([eventsToo], nodes, { noNodesReason: '--no-ssh' });
      expect(out.results[0]).toMatchObject({ status: 'fail', reason: 'node checks not evaluated: --no-ssh' });
      expect(out.findings).toHaveLength(1);
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

  describe('node facts', () => {
    const facts = (seen: string[], needs: CheckDefinition['needs'] = { api: ['Node'], nodeFacts: ['kubeletConfig'] }, wants?: (n: string) => boolean) => defineCheck({
      id: 'kubelet-gc', title: 't', severity: 'critical', description: 'd', rules: RULES, needs,
      create: () => ({
        ...(wants ? { wantsNodeFacts: wants } : {}),
        NodeFacts: (f) => { seen.push(`${f.node}:${f.kubeletConfig?.source}${f.kubeletConfig?.notes.length ? ` (${f.kubeletConfig.notes.join('; ')})` : ''}`); },
      }),
    });
    const nodes = { Node: [node('n1'), node('n2')] };
    const configz = { kubeletconfig: { imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80 } };

    it('resolves the kubelet config from configz, and says why a node fell back to the defaults', async () => {
      const seen: string[] = [];
      const out = await runChecks({
        checks: [facts(seen)], api: memoryApiSource(nodes, { nodeProxy: { n1: { configz } } }),
        scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(seen.sort()).toEqual(['n1:configz', 'n2:defaults (configz: nodes/proxy: not found (404))']);
      expect(out.gaps).toEqual([{ source: 'api', resource: 'nodes/proxy (node n2)', reason: 'not found (404)' }]);
    });

    it('falls back to the config file over SSH where configz is refused', async () => {
      const seen: string[] = [];
      const file = '@@ pid 42\n@@ arg --config=/var/lib/kubelet/config.yaml\n@@ file /proc/42/root/var/lib/kubelet/config.yaml\nimageGCHighThresholdPercent: 90\n@@ endfile\n@@ end\n';
      await runChecks({
        checks: [facts(seen)], api: memoryApiSource(nodes, { nodeProxy: { n1: { configz }, n2: 'forbidden' } }),
        nodes: memoryNodeSource({ n1: {}, n2: { kubeletConfig: file } }), scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(seen.sort()).toEqual(['n1:configz', 'n2:file (configz: nodes/proxy: forbidden)']);
    });

    it('asks the kubelet only about the nodes a check wants', async () => {
      const seen: string[] = [];
      const asked: string[] = [];
      await runChecks({
        checks: [facts(seen, undefined, (n) => n === 'n2')],
        api: memoryApiSource(nodes, { nodeProxy: { n1: { configz }, n2: { configz } }, onNodeProxy: (n, p) => { asked.push(`${n}/${p}`); } }),
        scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(asked).toEqual(['n2/configz']);
      expect(seen).toEqual(['n2:configz']);
    });

    it('reads the endpoints of every node for a check that wants them all while the pods are still listed, and none twice', async () => {
      const events: string[] = [];
      const pods = Array.from({ length: 6 }, (_, i) => pod('a', `p${i}`));
      const base = memoryApiSource({ ...nodes, Pod: pods }, { pageSize: 2, nodeProxy: { n1: { configz }, n2: { configz } }, onNodeProxy: (n, p) => { events.push(`proxy ${n}/${p}`); } });
      const api: typeof base = {
        ...base,
        async *list(req) {
          for await (const page of base.list(req)) {
            events.push(`${req.info.kind} page`);
            // A slow list: time for the kubelet reads to go out beside it.
            await new Promise((r) => setTimeout(r, 20));
            yield page;
          }
        },
      };
      const every: string[] = [];
      const some: string[] = [];
      await runChecks({
        checks: [
          facts(every, { api: ['Node', 'Pod'], nodeFacts: ['kubeletConfig'] }),
          defineCheck({ ...facts(some, undefined, (n) => n === 'n2'), id: 'evicted-pods' }),
        ],
        api, scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      const lastPodPage = events.lastIndexOf('Pod page');
      expect(events.slice(0, lastPodPage).filter((e) => e.startsWith('proxy')).sort()).toEqual(['proxy n1/configz', 'proxy n2/configz']);
      expect(events.filter((e) => e.startsWith('proxy'))).toHaveLength(2);
      expect(every.sort()).toEqual(['n1:configz', 'n2:configz']);
      expect(some).toEqual(['n2:configz']);
    });

    it('stops asking once the refusal is plainly cluster-wide', async () => {
      const many = { Node: Array.from({ length: 3 * KUBELET_CONCURRENCY }, (_, i) => node(`n${i}`)) };
      let requests = 0;
      const seen: string[] = [];
      const out = await runChecks({
        checks: [facts(seen)], api: memoryApiSource(many, { nodeProxy: 'forbidden', onNodeProxy: () => { requests++; } }),
        scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      // Those already on their way when the refusals add up, and not one more.
      expect(requests).toBeLessThanOrEqual(KUBELET_CONCURRENCY + PRESUMED_FORBIDDEN);
      expect(seen).toHaveLength(3 * KUBELET_CONCURRENCY);
      expect(out.gaps).toEqual([{ source: 'api', resource: 'nodes/proxy', reason: 'forbidden' }]);
      expect(out.results[0]!.status).toBe('pass');
    });

    it('an API-only fact never opens an SSH session', async () => {
      const c = facts([], { api: ['Node'], nodeFacts: [{ fact: 'nodeDisk', apiOnly: true }] });
      expect(planCollection([c]).probes).toEqual([]);
      expect(planCollection([facts([])]).probes).toEqual(['kubeletConfig']);
    });
  });

  describe('the check contract', () => {
    it('calls visitors in the documented order: kinds in RESOURCES order, node facts then probes per node, finish last', async () => {
      const calls: string[] = [];
      const c = defineCheck({
        id: 'kubelet-gc', title: 't', severity: 'info', description: 'd', rules: RULES,
        needs: { api: ['Pod', 'Node'], probes: optional('uname'), nodeFacts: [{ fact: 'kubeletConfig', apiOnly: true }] },
        create: () => ({
          Pod: (p) => { calls.push(`Pod ${p.metadata?.name}`); },
          Node: (n) => { calls.push(`Node ${n.metadata?.name}`); },
          wantsNodeFacts: (n) => { calls.push(`wants ${n}`); return true; },
          probeInputs: (n) => { calls.push(`inputs ${n}`); return {}; },
          NodeFacts: (f) => { calls.push(`facts ${f.node}`); },
          NodeProbes: (r) => { calls.push(`probes ${r.node}`); },
          finish: () => { calls.push('finish'); },
        }),
      });
      await runChecks({
        checks: [c], api: memoryApiSource({ Pod: [pod('a', 'p1')], Node: [node('n1')] }, { nodeProxy: 'forbidden' }),
        nodes: memoryNodeSource({ n1: { uname: '6.1.0\n' } }), scope: {}, settings: { sampleIntervalSeconds: 0 },
      });
      expect(calls).toEqual(['Node n1', 'Pod p1', 'wants n1', 'inputs n1', 'facts n1', 'probes n1', 'finish']);
    });

    it('a finding with a rule the check did not declare is a bug in the check: status error', async () => {
      const c = defineCheck({ ...failedPods(), create: (ctx) => ({ finish() { ctx.report({ rule: 'undeclared', severity: 'info', target: { kind: 'Cluster', name: 'c' }, message: 'x', remediation: { summary: 's' } }); } }) });
      const out = await run([c], {});
      expect(out.results[0]).toMatchObject({ status: 'error', reason: expect.stringContaining('"undeclared"') });
    });

    it('fingerprints depend on check, rule, cluster, target and container, never on message or evidence', async () => {
      const fp = async (identity: string | undefined, message: string, container?: string) => {
        const c = defineCheck({ ...failedPods(), create: (ctx) => ({ finish() { ctx.report({ rule: 'r', severity: 'info', target: { kind: 'Pod', namespace: 'a', name: 'p', container }, message, evidence: { n: Math.random() }, remediation: { summary: 's' } }); } }) });
        const api = memoryApiSource({}, { cluster: { server: 'https://x' } });
        const open = api.open.bind(api);
        api.open = async () => ({ ...(await open()), identity });
        const out = await runChecks({ checks: [c], api, scope: {}, settings: { sampleIntervalSeconds: 0 } });
        return out.findings[0]!.fingerprint;
      };
      const base = await fp('uid-1', 'one');
      expect(base).toMatch(/^[0-9a-f]{32}$/);
      expect(await fp('uid-1', 'two')).toBe(base);
      expect(await fp('uid-2', 'one')).not.toBe(base);
      expect(await fp('uid-1', 'one', 'app')).not.toBe(base);
      // Without a readable kube-system UID the server URL stands in for the cluster.
      expect(await fp(undefined, 'one')).not.toBe(base);
    });
  });

  it('asks every check for probe inputs per node and merges them without duplicates', async () => {
    const asked: { node: string; inputs: unknown }[] = [];
    const withInputs = (id: 'hostpath-log-growth' | 'kubelet-gc', paths: string[]) => defineCheck({
      id, title: 't', severity: 'warning', description: 'd', rules: RULES, needs: { probes: ['uname'] },
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

