import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryApiSource, memoryNodeSource } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import { defineCheck } from '../../src/engine/types.js';
import { SnapshotSource } from '../../src/snapshot/read.js';
import { SnapshotWriter } from '../../src/snapshot/write.js';
import { nodeFileName } from '../../src/snapshot/format.js';
import { ConfigError, UsageError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'checkup-snap-'));
const dir0 = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Reports every pod it sees and every node's kernel: enough to compare a live run with its replay.
const echo = defineCheck({
  id: 'cpu-throttling-kernel', title: 'echo', severity: 'info', description: '', rules: { r: { description: 'd' } },
  needs: { api: ['Pod'], probes: ['uname'] },
  create: (ctx) => ({
    Pod: (p) => ctx.report({ rule: 'r', severity: 'info', target: { kind: 'Pod', namespace: p.metadata?.namespace, name: p.metadata!.name! }, message: `at ${ctx.now.toISOString()}`, remediation: { summary: '-' } }),
    NodeProbes: (r) => ctx.report({ rule: 'r', severity: 'info', target: { kind: 'Node', name: r.node }, message: r.probes.uname?.ok ? r.probes.uname.value.release : 'none', remediation: { summary: '-' } }),
  }),
});

const pods = Array.from({ length: 1203 }, (_, i) => ({
  metadata: { namespace: i % 2 ? 'a' : 'b', name: `p${i}`, labels: { app: i % 3 ? 'web' : 'db' }, managedFields: [{ manager: 'kubectl' }],
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}', keep: 'me' } },
  status: { phase: 'Running' },
}));
const nodes = [{ metadata: { name: 'n1' }, status: { addresses: [] } }, { metadata: { name: 'n2' }, status: { addresses: [] } }];

describe('snapshots', () => {
  const snap = join(dir, 'snap');

  it('saves what a run collects and replays it to the same findings, at the same "now"', async () => {
    const writer = new SnapshotWriter(snap);
    const live = await runChecks({
      checks: [echo], api: memoryApiSource({ Pod: pods, Node: nodes }, { now: new Date('2026-11-25T10:00:00Z'), cluster: { context: 'prod' }, identity: 'uid:8c1f' }),
      nodes: memoryNodeSource({ n1: { uname: '5.10.0\n' }, n2: 'connection timed out' }),
      scope: {}, settings: { sampleIntervalSeconds: 5 }, recorder: writer,
    });
    await writer.finish({ cluster: live.cluster, identity: live.identity, now: live.now, gaps: live.gaps, scope: { namespace: null, labelSelector: null }, toolVersion: '0.1.0' });

    const source = new SnapshotSource(snap);
    const replay = await runChecks({ checks: [echo], api: source, nodes: source, scope: {}, settings: { sampleIntervalSeconds: 5 } });
    expect(replay.findings).toEqual(live.findings);
    // Fingerprints replay with the identity the snapshot was collected with.
    expect(replay.identity).toBe('uid:8c1f');
    expect(replay.findings[0]!.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(replay.gaps).toEqual(live.gaps);
    expect(replay.cluster.context).toBe('prod');
    expect(replay.findings[0]!.message).toBe('at 2026-11-25T10:00:00.000Z');
  });

  it('strips managedFields and last-applied-configuration, keeps the rest', () => {
    const first = JSON.parse(readFileSync(join(snap, 'api', 'Pod.jsonl'), 'utf8').split('\n')[0]!);
    expect(first.metadata.managedFields).toBeUndefined();
    expect(first.metadata.annotations).toEqual({ keep: 'me' });
  });

  it('applies -n and -l on replay as the API server would', async () => {
    const source = new SnapshotSource(snap);
    await source.open();
    const names: string[] = [];
    const info = { kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true, honoursLabelSelector: true } as const;
    for await (const page of source.list({ info, namespace: 'a', labelSelector: 'app=db' })) names.push(...page.map((p) => p.metadata!.name!));
    expect(names.length).toBe(pods.filter((p) => p.metadata.namespace === 'a' && p.metadata.labels.app === 'db').length);
  });

  it('a kind the snapshot lacks is unavailable, not empty', async () => {
    const source = new SnapshotSource(snap);
    await source.open();
    const info = { kind: 'Event', group: '', version: 'v1', plural: 'events', namespaced: true, honoursLabelSelector: false } as const;
    await expect((async () => { for await (const _ of source.list({ info })) { /* drain */ } })()).rejects.toThrow(/events: not in the snapshot/);
  });

  it('refuses a folder that is not a snapshot, and a folder with other files for saving', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    await expect(new SnapshotSource(other).open()).rejects.toThrow(ConfigError);
    expect(() => new SnapshotWriter(other)).toThrow(UsageError);
    expect(existsSync(join(other, 'api'))).toBe(false);
  });

  it('node names cannot escape the nodes/ folder', () => {
    expect(nodeFileName('node-1.example.com')).toBe('node-1.example.com.json');
    expect(nodeFileName('../../etc/passwd')).not.toContain('/');
    expect(nodeFileName('..')).not.toBe('...json');
  });
});

describe('snapshots: edge cases', () => {
  const save = async (dir: string, objects: Parameters<typeof memoryApiSource>[0], checks = [echo], nodes?: ReturnType<typeof memoryNodeSource>) => {
    const writer = new SnapshotWriter(dir);
    const out = await runChecks({ checks, api: memoryApiSource(objects, { now: new Date('2026-11-25T10:00:00Z') }), nodes, scope: {}, settings: { sampleIntervalSeconds: 5 }, recorder: writer });
    await writer.finish({ cluster: out.cluster, identity: out.identity, now: out.now, gaps: out.gaps, scope: { namespace: null, labelSelector: null }, toolVersion: '0.1.0' });
    return out;
  };
  const replay = (dir: string, checks = [echo]) => {
    const source = new SnapshotSource(dir);
    return runChecks({ checks, api: source, nodes: source, scope: {}, settings: { sampleIntervalSeconds: 5 } });
  };

  it('an empty list replays as empty, not as missing (a healthy cluster stays evaluable)', async () => {
    const dir = join(dir0, 'empty');
    const podsOnly = defineCheck({ ...echo, needs: { api: ['Pod'] }, create: echo.create });
    await save(dir, { Pod: [] }, [podsOnly]);
    const out = await replay(dir, [podsOnly]);
    expect(out.results[0]).toMatchObject({ status: 'pass', reason: null });
  });

  it('saving into an earlier snapshot replaces it whole: no stale objects or nodes', async () => {
    const dir = join(dir0, 'reused');
    await save(dir, { Pod: pods.slice(0, 3), Node: nodes }, [echo], memoryNodeSource({ n1: { uname: '5.10.0\n' }, n2: { uname: '6.1.0\n' } }));
    const podsOnly = defineCheck({ ...echo, needs: { api: ['Pod'] }, create: echo.create });
    await save(dir, { Pod: pods.slice(0, 1) }, [podsOnly]);
    expect(existsSync(join(dir, 'nodes', 'n1.json'))).toBe(false);
    const out = await replay(dir, [podsOnly]);
    expect(out.findings.map((f) => f.target.name)).toEqual(['p0']);
    const withNodes = await replay(dir);
    expect(withNodes.results[0]).toMatchObject({ status: 'skip', reason: 'not in the snapshot: nodes' });
  });

  it('a run that fails before any data leaves the folder as it was, so the same command can be retried', async () => {
    const dir = join(dir0, 'failed');
    const writer = new SnapshotWriter(dir);
    await expect(runChecks({
      checks: [echo], api: { ...memoryApiSource({}), open: async () => { throw new Error('unreachable'); } },
      scope: {}, settings: { sampleIntervalSeconds: 5 }, recorder: writer,
    })).rejects.toThrow('unreachable');
    expect(existsSync(dir)).toBe(false);
    expect(() => new SnapshotWriter(dir)).not.toThrow();
  });

  it('keeps why a probe was cut off', async () => {
    const dir = join(dir0, 'cutoff');
    const cut = { async *collect() { yield { node: 'n1', reached: true as const, intervalSeconds: 5, samples: {}, problems: [{ probe: 'uname', reason: 'timed out after 30s; output truncated' }] }; } };
    const live = await save(dir, { Pod: [], Node: nodes.slice(0, 1) }, [echo], cut);
    const out = await replay(dir);
    expect(out.gaps).toEqual(live.gaps);
    expect(out.gaps).toContainEqual({ source: 'ssh', node: 'n1', probe: 'uname', reason: 'timed out after 30s; output truncated' });
  });

  it('refuses to answer a broader question than the snapshot was saved for', async () => {
    const dir = join(dir0, 'narrow');
    const failedOnly = defineCheck({ ...echo, id: 'evicted-pods', needs: { api: [{ kind: 'Pod', fieldSelector: 'status.phase=Failed' }] }, create: echo.create });
    const allPods = defineCheck({ ...echo, id: 'missing-probes', needs: { api: ['Pod'] }, create: echo.create });
    const writer = new SnapshotWriter(dir);
    const out = await runChecks({ checks: [failedOnly], api: memoryApiSource({ Pod: pods }), scope: { namespace: 'a' }, settings: { sampleIntervalSeconds: 0 }, recorder: writer });
    await writer.finish({ cluster: out.cluster, identity: out.identity, now: out.now, gaps: out.gaps, scope: { namespace: 'a', labelSelector: null }, toolVersion: '0.1.0' });
    const source = new SnapshotSource(dir);
    const same = await runChecks({ checks: [failedOnly], api: source, scope: { namespace: 'a' }, settings: { sampleIntervalSeconds: 0 } });
    expect(same.results[0]!.status).not.toBe('skip');
    const broader = await runChecks({ checks: [allPods], api: new SnapshotSource(dir), scope: { namespace: 'a' }, settings: { sampleIntervalSeconds: 0 } });
    expect(broader.results[0]).toMatchObject({ status: 'skip', reason: 'the snapshot holds only objects with status.phase=Failed (saved for fewer checks): pods' });
    const otherNamespace = await runChecks({ checks: [failedOnly], api: new SnapshotSource(dir), scope: {}, settings: { sampleIntervalSeconds: 0 } });
    expect(otherNamespace.results[0]).toMatchObject({ status: 'skip', reason: 'the snapshot holds only namespace a: pods' });
  });
});
