// Loads the bundled demo cluster (fixtures/demo-cluster) for check tests: the same jsonl files that
// `kubectl-checkup --snapshot fixtures/demo-cluster` replays, and its collection time as "now"; and runs
// every registered check over it offline, through the engine, as the CLI does.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS } from '../../checks/index.js';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';
import { runChecks, type RunOutput } from '../../src/engine/run.js';
import type { NodeCollection, NodeSource, ProbeInputs } from '../../src/node/node-source.js';
import { API_KINDS, type ApiKind, type KubeObject } from '../../src/kube/resources.js';
import { SnapshotSource } from '../../src/snapshot/read.js';

export const DEMO_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'demo-cluster');

export function loadDemoObjects(): ObjectsByKind {
  const objects: ObjectsByKind = {};
  for (const file of readdirSync(join(DEMO_DIR, 'api'))) {
    const kind = file.replace(/\.jsonl$/, '') as ApiKind;
    if (!API_KINDS.includes(kind)) continue;
    objects[kind] = readFileSync(join(DEMO_DIR, 'api', file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as KubeObject);
  }
  return objects;
}

export function demoNow(): Date {
  const meta = JSON.parse(readFileSync(join(DEMO_DIR, 'snapshot.json'), 'utf8')) as { collectedAt: string };
  return new Date(meta.collectedAt);
}

export type DemoNodeApi = Partial<Record<'configz' | 'stats/summary', { ok: true; value: unknown } | { ok: false; reason: string }>>;

/** nodes/<node>.json (probe output) and nodes/<node>.api.json (kubelet endpoints), by node name. */
export function loadDemoNodes(): Map<string, { collection?: NodeCollection; api?: DemoNodeApi }> {
  const out = new Map<string, { collection?: NodeCollection; api?: DemoNodeApi }>();
  const dir = join(DEMO_DIR, 'nodes');
  for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const api = file.endsWith('.api.json');
    const node = file.replace(/(\.api)?\.json$/, '');
    const entry = out.get(node) ?? {};
    out.set(node, entry);
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (api) entry.api = doc as DemoNodeApi;
    else entry.collection = doc as NodeCollection;
  }
  return out;
}

/** Every registered check over the demo snapshot, API and node data both from the snapshot directory,
 * with the probe inputs the checks asked for on each node (the snapshot replays what was collected). */
export async function runDemo(): Promise<RunOutput & { inputs: Map<string, ProbeInputs> }> {
  const source = new SnapshotSource(DEMO_DIR);
  const inputs = new Map<string, ProbeInputs>();
  const nodes: NodeSource = {
    collect(targets, probes, inputsOf) {
      for (const t of targets) inputs.set(t.name, inputsOf?.(t.name) ?? {});
      return source.collect(targets, probes);
    },
  };
  const out = await runChecks({ checks: CHECKS, api: source, nodes, scope: {}, settings: { sampleIntervalSeconds: 5 } });
  return { ...out, inputs };
}
