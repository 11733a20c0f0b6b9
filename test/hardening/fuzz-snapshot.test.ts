// Snapshots are input from anyone. Random JSON shapes in every snapshot file (snapshot.json, an API
// object line, a node record, a node's kubelet endpoints), and files that are not files (a FIFO, a
// folder, a device, a 20 MB line): the replay either refuses with one ConfigError (snapshot.json) or
// runs every check to an end with the bad record reported as a gap — no other exception, no hang, no
// prototype change, and a check whose data was bad is never reported as a pass.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKS } from '../../checks/index.js';
import { ConfigError } from '../../src/errors.js';
import { planCollection } from '../../src/engine/plan.js';
import { runChecks, type RunOutput } from '../../src/engine/run.js';
import { SnapshotSource } from '../../src/snapshot/read.js';
import { DEMO_DIR } from '../support/demo-cluster.js';
import { runCli } from '../support/cli.js';
import { HOSTILE_KEYS, expectPrototypesIntact, prototypeState } from './prototype-guard.js';

// FUZZ_TIME_MS=120000 (and FUZZ_RUNS) search longer by hand; CI keeps each property to a few seconds.
const LIMIT = { numRuns: Number(process.env.FUZZ_RUNS ?? 60), interruptAfterTimeLimit: Number(process.env.FUZZ_TIME_MS ?? 4000) };
const tmp = mkdtempSync(join(tmpdir(), 'checkup-fuzzsnap-'));
const dir = join(tmp, 'snap');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => cpSync(DEMO_DIR, dir, { recursive: true }));

// fast-check's interruptAfterTimeLimit abandons the run in flight when the time is up (it races it, it
// does not wait for it), so that run may still hold a mutated file while the next test starts: each
// test waits here until every file it replaced is back.
const inFlight = new Set<Promise<unknown>>();
afterEach(async () => {
  await Promise.allSettled([...inFlight]);
});

/** Replaces one file for the duration of fn, then puts the original back. */
function withFile<T>(rel: string, content: string | ((path: string) => void), fn: () => Promise<T>): Promise<T> {
  const run = replaced(rel, content, fn);
  inFlight.add(run);
  void run.finally(() => inFlight.delete(run)).catch(() => undefined);
  return run;
}

async function replaced<T>(rel: string, content: string | ((path: string) => void), fn: () => Promise<T>): Promise<T> {
  const path = join(dir, rel);
  const original = readFileSync(path);
  rmSync(path, { recursive: true, force: true });
  if (typeof content === 'string') writeFileSync(path, content); else content(path);
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
    writeFileSync(path, original);
  }
}

async function replay(): Promise<RunOutput> {
  const source = new SnapshotSource(dir);
  return runChecks({ checks: CHECKS, api: source, nodes: source, scope: {}, settings: { sampleIntervalSeconds: 5 } });
}

/** Random JSON, weighted towards the shapes that break code: null, wrong scalar types, hostile keys. */
const json: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, 0, '', [], {}, true, 'x', [null], { items: null }, { metadata: 'x' }, { metadata: { name: 5 } },
    { metadata: { labels: [] } }, { metadata: { name: 'a', labels: { a: 1 } } }, { spec: 'x' }, { status: { addresses: 'x' } }, { status: { addresses: [null] } }),
  fc.dictionary(fc.constantFrom(...HOSTILE_KEYS, 'metadata', 'spec', 'status', 'kind'), fc.jsonValue({ maxDepth: 2 })),
);

/** The checks that cannot run without this kind (their list failed → skip, never pass). */
function requiring(kind: string): Set<string> {
  const list = planCollection(CHECKS).lists.find((l) => l.info.kind === kind);
  return new Set(list ? [...list.requiredBy] : []);
}

describe('snapshot files with random shapes', () => {
  const before = prototypeState();

  it('snapshot.json: a ConfigError, or a replay that runs', async () => {
    const real = JSON.parse(readFileSync(join(DEMO_DIR, 'snapshot.json'), 'utf8'));
    const metas = fc.oneof(json, fc.tuple(fc.constantFrom(...Object.keys(real)), json).map(([k, v]) => ({ ...real, [k]: v })));
    await fc.assert(fc.asyncProperty(metas, async (meta) => {
      await withFile('snapshot.json', JSON.stringify(meta), async () => {
        try {
          await replay();
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
        }
      });
    }), LIMIT);
    expectPrototypesIntact(before);
  });

  it('an API object line: the run ends, and the checks that need that kind are not passed on half the data', async () => {
    const kinds = ['Pod', 'Node', 'Deployment', 'Event', 'Service'];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...kinds), json, fc.nat(), async (kind, value, at) => {
      const file = `api/${kind}.jsonl`;
      const lines = readFileSync(join(DEMO_DIR, file), 'utf8').split('\n').filter(Boolean);
      lines[at % lines.length] = JSON.stringify(value);
      await withFile(file, lines.join('\n') + '\n', async () => {
        const out = await replay();
        const gap = out.gaps.find((g) => g.source === 'api' && g.reason.startsWith(`snapshot file ${file} line ${(at % lines.length) + 1}:`));
        const valid = typeof value === 'object' && value !== null && !Array.isArray(value) && !gap;
        if (!valid) {
          expect(gap).toBeDefined();
          for (const r of out.results) if (requiring(kind).has(r.id)) expect(r.status).not.toBe('pass');
        }
      });
    }), LIMIT);
    expectPrototypesIntact(before);
  });

  it('a wrong type deep inside a real object: the run ends, and no check trips over it (status error)', async () => {
    const kinds = ['Pod', 'Node', 'Deployment', 'Event', 'Service', 'ReplicaSet', 'EndpointSlice', 'ConfigMap'];
    /** Every path to a value in the object, so a mutation can land anywhere. */
    const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] => {
      if (!v || typeof v !== 'object') return [at];
      const kids = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
      return [at, ...kids.flatMap(([k, x]) => paths(x, [...at, k]))];
    };
    await fc.assert(fc.asyncProperty(fc.constantFrom(...kinds), fc.nat(), fc.nat(), json, async (kind, at, where, value) => {
      const file = `api/${kind}.jsonl`;
      const lines = readFileSync(join(DEMO_DIR, file), 'utf8').split('\n').filter(Boolean);
      const obj = JSON.parse(lines[at % lines.length]!);
      const all = paths(obj).filter((p) => p.length > 0);
      const path = all[where % all.length]!;
      const parent = path.slice(0, -1).reduce((o: any, k) => o[k], obj);
      parent[path.at(-1)!] = value;
      lines[at % lines.length] = JSON.stringify(obj);
      await withFile(file, lines.join('\n') + '\n', async () => {
        const out = await replay();
        expect(out.results.length).toBe(CHECKS.length);
        // A field of the wrong type is caught where the object is read (a gap naming it), or it is one
        // no check relies on: a check never trips over it and loses its other findings.
        const errors = out.results.filter((r) => r.status === 'error').map((r) => `${r.id}: ${r.reason} (${kind} ${JSON.stringify(path)} = ${JSON.stringify(value)?.slice(0, 60)})`);
        expect(errors).toEqual([]);
      });
    }), LIMIT);
    expectPrototypesIntact(before);
  });

  it('a wrong type in a field checks read: a gap naming the file, line and field, no check error, no pass on half the data', async () => {
    const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
      fc.constantFrom({}, { toString: [] }, { valueOf: null, length: 3 }, { name: 'x' }));
    const notList = fc.oneof(fc.integer(), fc.boolean(), fc.string(), fc.constantFrom({}, { length: 2, 0: 'a' }, { toString: [] }));
    const notObject = fc.oneof(fc.integer(), fc.boolean(), fc.string(), fc.constant([1]));
    /** [kind, path to set, the field a gap must name, values of the wrong type]. */
    const targets: [string, (string | number)[], string, fc.Arbitrary<unknown>][] = [
      ['Pod', ['spec', 'containers', 0, 'name'], 'name', notString],
      ['Pod', ['spec', 'containers', 0, 'image'], 'image', notString],
      ['Pod', ['spec', 'containers', 0, 'command'], 'command', fc.oneof(notList, notString.map((v) => ['java', v]))],
      ['Pod', ['spec', 'containers', 0, 'args'], 'args', notString.map((v) => ['-jar', v])],
      ['Pod', ['spec', 'containers', 0, 'env'], 'value', notString.map((v) => [{ name: 'JAVA_TOOL_OPTIONS', value: v }])],
      ['Pod', ['spec', 'containers', 0, 'ports'], 'name', notString.map((v) => [{ name: v, containerPort: 8080 }])],
      ['Pod', ['spec', 'containers', 0, 'readinessProbe'], 'path', notString.map((v) => ({ httpGet: { path: v, port: 80 } }))],
      ['Pod', ['status', 'containerStatuses'], 'containerStatuses', notList],
      ['Pod', ['status', 'containerStatuses'], 'name', notString.map((v) => [{ name: v, restartCount: 3 }])],
      ['Pod', ['spec', 'volumes'], 'volumes', notList],
      ['Deployment', ['spec', 'template', 'spec', 'containers', 0, 'command'], 'command', notString.map((v) => ['java', v])],
      ['Deployment', ['spec', 'template', 'spec', 'containers', 0, 'env'], 'value', notString.map((v) => [{ name: 'JAVA_OPTS', value: v }])],
      ['Event', ['message'], 'message', notString],
      ['Event', ['involvedObject'], 'involvedObject', notObject],
      ['Service', ['spec', 'ports', 0, 'name'], 'name', notString],
      ['Service', ['spec', 'ports', 0, 'appProtocol'], 'appProtocol', notString],
      ['Node', ['status', 'conditions'], 'conditions', notList],
      ['Node', ['status', 'nodeInfo', 'containerRuntimeVersion'], 'containerRuntimeVersion', notString],
      ['Node', ['status', 'allocatable', 'memory'], 'memory', fc.oneof(fc.boolean(), fc.constant([]), fc.constant({}))],
      ['EndpointSlice', ['endpoints'], 'endpoints', notList],
    ];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...targets).chain(([kind, path, field, wrong]) => fc.tuple(fc.constant(kind), fc.constant(path), fc.constant(field), wrong, fc.nat())),
      async ([kind, path, field, value, at]) => {
        const file = `api/${kind}.jsonl`;
        const lines = readFileSync(join(DEMO_DIR, file), 'utf8').split('\n').filter(Boolean);
        // A line whose object has the parent of the field (a container, a port) to put it in.
        const parentOf = (o: any) => path.slice(0, -1).reduce((x: any, k) => (x && typeof x === 'object' ? x[k] : undefined), o);
        const candidates = lines.map((l, i) => [i, JSON.parse(l)] as const).filter(([, o]) => parentOf(o) && typeof parentOf(o) === 'object');
        expect(candidates.length).toBeGreaterThan(0);
        const [i, obj] = candidates[at % candidates.length]!;
        parentOf(obj)[path.at(-1)!] = value;
        lines[i] = JSON.stringify(obj);
        await withFile(file, lines.join('\n') + '\n', async () => {
          const out = await replay();
          const gap = out.gaps.find((g) => g.source === 'api' && g.reason.startsWith(`snapshot file ${file} line ${i + 1}:`));
          expect(gap?.reason).toContain(field);
          expect(out.results.filter((r) => r.status === 'error').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
          for (const r of out.results) if (requiring(kind).has(r.id)) expect(r.status).not.toBe('pass');
        });
      }), LIMIT);
    expectPrototypesIntact(before);
  });

  it('a node record or its kubelet endpoints: the node becomes a gap, the run ends', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom('nodes/demo-worker-1.json', 'nodes/demo-worker-1.api.json'), json, async (file, value) => {
      await withFile(file, JSON.stringify(value), async () => {
        const out = await replay();
        expect(out.results.length).toBe(CHECKS.length);
      });
    }), LIMIT);
    expectPrototypesIntact(before);
  });
});

describe('snapshot files that are not plain files', () => {
  const within = <T>(p: Promise<T>, ms = 10_000) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('hung')), ms).unref())]);
  const fifo = (path: string) => execFileSync('mkfifo', [path]);

  it('a FIFO as an API file is a gap, not a read that blocks for ever', async () => {
    const out = await withFile('api/Pod.jsonl', fifo, () => within(replay()));
    expect(out.gaps).toContainEqual({ source: 'api', resource: 'pods', reason: 'snapshot file api/Pod.jsonl is not a regular file (a pipe or a device?)' });
    for (const r of out.results) if (requiring('Pod').has(r.id)) expect(r.status).toBe('skip');
  });

  it('a FIFO as a node record makes that node unreachable with the reason', async () => {
    const out = await withFile('nodes/demo-worker-2.json', fifo, () => within(replay()));
    expect(out.gaps).toContainEqual({ source: 'ssh', node: 'demo-worker-2', reason: 'snapshot file nodes/demo-worker-2.json is not a regular file (a pipe or a device?)' });
  });

  it('a FIFO, a folder or a device as snapshot.json: one ConfigError', async () => {
    await withFile('snapshot.json', fifo, () => expect(within(replay())).rejects.toThrow(/snapshot\.json is not a regular file/));
    await withFile('snapshot.json', (p) => mkdirSync(p), () => expect(within(replay())).rejects.toThrow(/snapshot\.json is a folder/));
    await withFile('snapshot.json', (p) => symlinkSync('/dev/zero', p), () => expect(within(replay())).rejects.toThrow(ConfigError));
  });

  it('a folder or /dev/zero as an API file, and a 20 MB line: gaps naming the file', async () => {
    let out = await withFile('api/Service.jsonl', (p) => mkdirSync(p), () => within(replay()));
    expect(out.gaps).toContainEqual({ source: 'api', resource: 'services', reason: 'snapshot file api/Service.jsonl is a folder, not a file' });
    out = await withFile('api/Service.jsonl', (p) => symlinkSync('/dev/zero', p), () => within(replay()));
    expect(out.gaps).toContainEqual({ source: 'api', resource: 'services', reason: 'snapshot file api/Service.jsonl is not a regular file (a pipe or a device?)' });
    out = await withFile('api/Service.jsonl', `{"metadata":{"name":"${'x'.repeat(20 * 1024 * 1024)}"}}\n`, () => within(replay()));
    expect(out.gaps).toContainEqual({ source: 'api', resource: 'services', reason: 'snapshot file api/Service.jsonl line 1 is longer than 16 MiB' });
  });

  it('through the built CLI: a hostile snapshot gives exit 2 or a report, never 1 for a crash, and nothing raw on stdout or stderr', async () => {
    const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
    const hostileName = 'evil\u001b]0;owned\u0007\nFORGED\u202e';
    const cases: [string, string | ((p: string) => void)][] = [
      ['snapshot.json', `{"apiVersion":"checkup.k8s.io/v1","kind":"Snapshot","collectedAt":"\u001b[2J","kinds":[],"gaps":[]}`],
      ['snapshot.json', '{"apiVersion":"checkup.k8s.io/v1","kind":"Snapshot","collectedAt":"2026-11-25T10:00:00Z","kinds":["Pod"],"gaps":[{"source":"ssh"}]}'],
      ['api/Pod.jsonl', `${JSON.stringify({ metadata: { name: hostileName, namespace: hostileName }, spec: { containers: [{ name: hostileName, image: 'x' }] } })}\n{"metadata":{"name":null}}\n`],
      ['api/Node.jsonl', fifo],
    ];
    for (const [file, content] of cases) {
      const r = await withFile(file, content, () => runCli(['--snapshot', dir, '--fail-on', 'none'], { timeoutMs: 30_000 }));
      expect([0, 2]).toContain(r.code);
      expect(RAW.exec(r.stdout)?.[0]).toBeUndefined();
      expect(RAW.exec(r.stderr)?.[0]).toBeUndefined();
      for (const line of r.stdout.split('\n')) expect(line.trimStart().startsWith('FORGED')).toBe(false);
      expect(r.stderr).not.toMatch(/internal error/);
      const j = await withFile(file, content, () => runCli(['--snapshot', dir, '--fail-on', 'none', '-o', 'json'], { timeoutMs: 30_000 }));
      expect(j.code).toBe(r.code);
      if (j.code === 0) expect(JSON.parse(j.stdout).kind).toBe('Report');
    }
  });
});
