// Prototype pollution, proven globally: every probe parser and every check, fed keys and names such
// as `__proto__` and `constructor` from node output, snapshot files and API objects, leaves
// Object.prototype as it was, and the findings are the ones the same cluster gives without them.
// (Before the fix, a `__proto__` group in /proc/net/netstat output reached Object.prototype and turned
// every check into "skip" on a cluster with critical findings.)
import { afterAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKS } from '../../checks/index.js';
import { runChecks, type RunOutput } from '../../src/engine/run.js';
import { PROBES } from '../../src/node/probes.js';
import { ProbeError } from '../../src/node/probe-types.js';
import { SnapshotSource } from '../../src/snapshot/read.js';
import { nodeFileName } from '../../src/snapshot/format.js';
import { DEMO_DIR } from '../support/demo-cluster.js';
import { parseEvictionMessage } from '../../src/kube/eviction.js';
import { EvictionTally } from '../../checks/kubelet-gc/evictions.js';
import { HOSTILE_KEYS, expectPrototypesIntact, prototypeState } from './prototype-guard.js';

const tmp = mkdtempSync(join(tmpdir(), 'checkup-proto-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the demo snapshot with each API object and each node record passed through `edit`. */
function demoCopy(name: string, edit: { object?: (o: any) => any; node?: (doc: any, file: string) => any; rename?: Map<string, string> }): string {
  const dir = join(tmp, name);
  cpSync(DEMO_DIR, dir, { recursive: true });
  const rename = edit.rename ?? new Map<string, string>();
  // Exact string values only (names, namespaces, nodeName…), never parts of longer strings.
  const swap = (v: any): any => (typeof v === 'string' ? rename.get(v) ?? v
    : Array.isArray(v) ? v.map(swap)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)])) : v);
  for (const file of readdirSync(join(dir, 'api'))) {
    const path = join(dir, 'api', file);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.stringify((edit.object ?? ((o) => o))(swap(JSON.parse(l)))));
    writeFileSync(path, lines.join('\n') + '\n');
  }
  for (const file of readdirSync(join(dir, 'nodes'))) {
    const path = join(dir, 'nodes', file);
    const doc = swap(JSON.parse(readFileSync(path, 'utf8')));
    writeFileSync(path, JSON.stringify(edit.node ? edit.node(doc, file) : doc));
    const node = file.replace(/(\.api)?\.json$/, '');
    if (rename.has(node)) renameSync(path, join(dir, 'nodes', nodeFileName(rename.get(node)!).replace(/\.json$/, file.endsWith('.api.json') ? '.api.json' : '.json')));
  }
  return dir;
}

async function replay(dir: string): Promise<RunOutput> {
  const source = new SnapshotSource(dir);
  return runChecks({ checks: CHECKS, api: source, nodes: source, scope: {}, settings: { sampleIntervalSeconds: 5 } });
}

/** Hostile keys as own properties (JSON.parse makes `__proto__` an ordinary key, as a real list would). */
const hostileMap = (value: string) => JSON.parse(`{${HOSTILE_KEYS.map((k) => `${JSON.stringify(k)}:${JSON.stringify(value)}`).join(',')}}`);

/** /proc/net/netstat-style noise: a group per hostile name, with hostile counter names. */
const MIB_NOISE = HOSTILE_KEYS.map((k) => `${k}: ${HOSTILE_KEYS.join(' ')}\n${k}: ${HOSTILE_KEYS.map((_, i) => i + 1).join(' ')}\n`).join('');

const withNoise = (o: any) => {
  o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...hostileMap('noise') }, annotations: { ...o.metadata?.annotations, ...hostileMap('noise') } };
  return o;
};

const netstatNoise = (doc: any) => {
  for (const s of doc.samples?.netstat ?? []) s.stdout = s.stdout.replace('@@ file /proc/net/netstat\n', `@@ file /proc/net/netstat\n${MIB_NOISE}`);
  return doc;
};

const summary = (out: RunOutput) => ({
  results: out.results.map((r) => `${r.id} ${r.status}`),
  findings: out.findings.map((f) => `${f.check} ${f.rule ?? ''} ${f.severity} ${f.target.kind}/${f.target.namespace ?? ''}/${f.target.name}/${f.target.container ?? ''}`).sort(),
});

describe('prototype pollution', () => {
  it('no probe parser lets a hostile key reach a prototype, whatever it does with the output', () => {
    const before = prototypeState();
    const outputs = [
      MIB_NOISE,
      `@@ file /proc/net/netstat\n${MIB_NOISE}TcpExt: a\nTcpExt: 1\n@@ file /proc/net/snmp\nTcp: b\nTcp: 2\n@@ end\n`,
      `@@ file /proc/sys/net/core/somaxconn\n4096\n@@ end\n`,
      `@@ file\n${HOSTILE_KEYS.map((k) => `FLANNEL_${k}=1`).join('\n')}\nFLANNEL_SUBNET=10.0.0.1/24\n@@ end\n`,
      `@@ ip\nipv4 3\n${HOSTILE_KEYS.map((k) => `${k} 4`).join('\n')}\n@@ end\n`,
      HOSTILE_KEYS.map((k) => `P ${k}\nM missing`).join('\n') + '\nE\n',
      `@@ pid 1\n@@ arg --eviction-hard=${HOSTILE_KEYS.map((k) => `${k}<1%`).join(',')}\n@@ file /var/lib/kubelet/config.yaml\nkind: KubeletConfiguration\nevictionHard:\n${HOSTILE_KEYS.map((k) => `  ${k}: "5%"`).join('\n')}\n@@ endfile\n@@ end\n`,
      `@@ cgroup 2\n@@ group kubepods\n${HOSTILE_KEYS.map((k) => `${k} 1`).join('\n')}\nusage_usec 5\n@@ end\n`,
      `@@ dir\n${HOSTILE_KEYS.map((k) => `@@ file ${k}\n"type": "${k}"`).join('\n')}\n@@ end\n`,
    ];
    let parsed = 0;
    for (const [name, probe] of Object.entries(PROBES)) {
      for (const stdout of outputs) {
        try {
          probe.parse([{ stdout, exitCode: 0 }, { stdout, exitCode: 0 }], 5);
          parsed++;
        } catch (err) {
          if (!(err instanceof ProbeError)) throw new Error(`${name} threw ${String(err)} on hostile output`);
        }
        expectPrototypesIntact(before);
      }
    }
    expect(parsed).toBeGreaterThan(3); // the hostile keys were really parsed somewhere, not only rejected
  });

  it('every check gives the same findings with hostile label/annotation keys and netstat groups, and no prototype changes', async () => {
    const before = prototypeState();
    const baseline = summary(await replay(DEMO_DIR));
    expect(baseline.findings.length).toBeGreaterThan(10);
    const noisy = await replay(demoCopy('noise', { object: withNoise, node: netstatNoise }));
    expectPrototypesIntact(before);
    expect(summary(noisy)).toEqual(baseline);
    expect(noisy.results.some((r) => r.status === 'error')).toBe(false);
  });

  it('nodes and namespaces named __proto__, constructor, toString: the same findings under those names', async () => {
    const before = prototypeState();
    const base = await replay(DEMO_DIR);
    const rename = new Map([
      ['demo-worker-1', '__proto__'], ['demo-worker-2', 'constructor'], ['demo-worker-3', 'tostring'],
      ['shop', '__proto__'], ['payments', 'constructor'], ['batch', 'hasownproperty'],
    ]);
    const back = new Map([...rename].map(([a, b]) => [`${b}`, a]));
    const out = await replay(demoCopy('names', { rename }));
    expectPrototypesIntact(before);
    expect(out.results.some((r) => r.status === 'error')).toBe(false);
    // Node and namespace names share the hostile spellings; map each target back by its kind.
    const nodeBack = new Map([['__proto__', 'demo-worker-1'], ['constructor', 'demo-worker-2'], ['tostring', 'demo-worker-3']]);
    const unrename = (o: RunOutput) => ({ ...o, findings: o.findings.map((f) => ({ ...f, target: {
      ...f.target,
      name: f.target.kind === 'Node' ? nodeBack.get(f.target.name) ?? f.target.name : f.target.name,
      namespace: f.target.namespace === undefined ? undefined : back.get(f.target.namespace) ?? f.target.namespace,
    } })) });
    expect(summary(unrename(out))).toEqual(summary(base));
  });
});

describe('maps keyed by words from pod status messages', () => {
  it('eviction resources named __proto__ or constructor are counted and named like any other', () => {
    const before = prototypeState();
    expect(parseEvictionMessage('The node had condition: [constructor toString].').resource).toBe('constructor+toString');
    const tally = new EvictionTally(Date.parse('2026-11-25T12:00:00Z'));
    for (const [i, resource] of ['__proto__', '__proto__', 'constructor'].entries()) {
      tally.add({ metadata: { name: `p${i}`, namespace: 'a' }, spec: { nodeName: 'n1' }, status: { phase: 'Failed', reason: 'Evicted', message: `The node was low on resource: ${resource}. ` } } as never);
    }
    const summary = tally.forNode('n1')!;
    expect(summary.count).toBe(3);
    expect(Object.entries(summary.byResource).sort()).toEqual([['__proto__', 2], ['constructor', 1]]);
    expectPrototypesIntact(before);
  });
});
