// The bundled demo cluster must look like what a real API server returns, and its jsonl files must be
// what parts/*.mjs generate (people review the parts; the tool reads the jsonl).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESOURCES, type ApiKind, type KubeObject } from '../src/kube/resources.js';
import { DEMO_DIR, demoNow, loadDemoObjects } from './support/demo-cluster.js';

const objects = loadDemoObjects();
const all = (Object.entries(objects) as [ApiKind, KubeObject[]][]).flatMap(([kind, list]) => list.map((o) => ({ kind, o })));
const byUid = new Map(all.map(({ kind, o }) => [o.metadata?.uid, { kind, o }]));
const find = (kind: ApiKind, namespace: string | undefined, name: string) =>
  (objects[kind] ?? []).find((o) => o.metadata?.name === name && (o.metadata?.namespace ?? undefined) === namespace);
const now = demoNow().getTime();

describe('demo cluster', () => {
  it('api/*.jsonl is what generate.mjs writes from parts/', () => {
    expect(() => execFileSync(process.execPath, [join(DEMO_DIR, 'generate.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('snapshot.json lists exactly the kinds that have files', () => {
    const meta = JSON.parse(readFileSync(join(DEMO_DIR, 'snapshot.json'), 'utf8')) as { kinds: string[]; collectedAt: string; cluster: { context: string; version: string } };
    const files = readdirSync(join(DEMO_DIR, 'api')).map((f) => f.replace('.jsonl', '')).sort();
    expect([...meta.kinds].sort()).toEqual(files);
    expect(meta.cluster).toMatchObject({ context: 'demo', version: 'v1.32.4' });
  });

  it('objects are list items: metadata, unique uids, no kind/apiVersion/managedFields', () => {
    expect(byUid.size).toBe(all.length);
    for (const { kind, o } of all) {
      const raw = o as unknown as Record<string, unknown>;
      expect([kind, o.metadata?.name, raw.kind, raw.apiVersion, o.metadata?.managedFields]).toEqual([kind, expect.any(String), undefined, undefined, undefined]);
      expect(o.metadata?.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Date.parse(String(o.metadata?.creationTimestamp))).toBeLessThanOrEqual(now);
    }
  });

  it('namespaced objects live in namespaces that exist; cluster-scoped ones have none', () => {
    const namespaces = new Set((objects.Namespace ?? []).map((n) => n.metadata?.name));
    for (const { kind, o } of all) {
      const info = RESOURCES.find((r) => r.kind === kind)!;
      if (info.namespaced) expect([kind, o.metadata?.name, namespaces.has(o.metadata?.namespace)]).toEqual([kind, o.metadata?.name, true]);
      else expect(o.metadata?.namespace).toBeUndefined();
    }
  });

  it('ownerReferences point at existing objects with the same uid', () => {
    for (const { o } of all) {
      for (const ref of o.metadata?.ownerReferences ?? []) {
        const owner = find(ref.kind as ApiKind, ref.kind === 'Node' ? undefined : o.metadata?.namespace, ref.name);
        expect([o.metadata?.name, ref.kind, ref.name, owner?.metadata?.uid]).toEqual([o.metadata?.name, ref.kind, ref.name, ref.uid]);
      }
    }
  });

  it('pods run on existing nodes, with IPs from the node podCIDR (or the node IP with hostNetwork)', () => {
    for (const pod of objects.Pod as KubeObject[] as import('@kubernetes/client-node').V1Pod[]) {
      const node = find('Node', undefined, pod.spec?.nodeName ?? '') as import('@kubernetes/client-node').V1Node | undefined;
      expect([pod.metadata?.name, node?.metadata?.name]).toEqual([pod.metadata?.name, pod.spec?.nodeName]);
      const ip = pod.status?.podIP;
      if (!ip) continue;
      const expected = pod.spec?.hostNetwork ? node!.status!.addresses![0]!.address : node!.spec!.podCIDR!.replace(/\.0\/24$/, '.');
      expect([pod.metadata?.name, pod.spec?.hostNetwork ? ip : ip.slice(0, expected.length)]).toEqual([pod.metadata?.name, expected]);
    }
  });

  it('EndpointSlices belong to Services and point at their pods', () => {
    for (const slice of objects.EndpointSlice as import('@kubernetes/client-node').V1EndpointSlice[]) {
      const svc = slice.metadata?.labels?.['kubernetes.io/service-name'];
      expect(find('Service', slice.metadata?.namespace, svc ?? '')).toBeDefined();
      for (const ep of slice.endpoints) {
        if (!ep.targetRef) continue;
        const pod = byUid.get(ep.targetRef.uid) as { o: import('@kubernetes/client-node').V1Pod } | undefined;
        expect([ep.targetRef.name, pod?.o.status?.podIP]).toEqual([pod?.o.metadata?.name, ep.addresses[0]]);
      }
    }
  });

  it('events are about objects that exist, and happened before collection', () => {
    for (const ev of objects.Event as import('@kubernetes/client-node').CoreV1Event[]) {
      const ref = ev.involvedObject;
      const target = ref.kind === 'Node' ? find('Node', undefined, ref.name ?? '') : byUid.get(ref.uid)?.o;
      expect([ev.metadata.name, target?.metadata?.name]).toEqual([ev.metadata.name, ref.name]);
      expect(Date.parse(String(ev.lastTimestamp))).toBeLessThanOrEqual(now);
    }
  });

  it('node probe output, where present, is one NodeCollection per existing node', () => {
    const dir = join(DEMO_DIR, 'nodes');
    const nodes = new Set((objects.Node ?? []).map((n) => n.metadata?.name));
    for (const file of existsSync(dir) ? readdirSync(dir) : []) {
      const c = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { node: string; reached: boolean; samples?: Record<string, { stdout: string; exitCode: number }[]> };
      expect([file, nodes.has(c.node), typeof c.reached]).toEqual([`${c.node}.json`, true, 'boolean']);
      for (const samples of Object.values(c.samples ?? {})) for (const x of samples) expect([typeof x.stdout, typeof x.exitCode]).toEqual(['string', 'number']);
    }
  });

  it('has a Lease per Node', () => {
    expect((objects.Lease ?? []).map((l) => l.metadata?.name).sort()).toEqual((objects.Node ?? []).map((n) => n.metadata?.name).sort());
  });
});
