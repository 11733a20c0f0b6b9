// Loads the bundled demo cluster (fixtures/demo-cluster) for check tests: the same jsonl files that
// `kubectl-checkup --snapshot fixtures/demo-cluster` replays, and its collection time as "now".
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';
import { API_KINDS, type ApiKind, type KubeObject } from '../../src/kube/resources.js';

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
