// One fixture, two sources: the demo cluster's objects written out as manifests (multi-document YAML,
// one file per kind and namespace, a JSON List, a folder tree read with -R) and the same objects served
// by the test API server and read by the live client. Every check that runs on manifests must find
// exactly the same there as against the server; the manifest findings also point at their file.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHECKS } from '../../checks/index.js';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import type { CheckDefinition, Finding } from '../../src/engine/types.js';
import { KubeApiClient } from '../../src/kube/api-client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { API_KINDS, resourceInfo, type ApiKind, type KubeObject } from '../../src/kube/resources.js';
import { parseManifest } from '../../src/manifests/parse.js';
import { runOnManifests } from '../../src/manifests/run.js';
import { ROOT } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

const DEMO = join(ROOT, 'fixtures', 'demo-cluster');
const SPEC_CHECKS = CHECKS.filter((c) => c.manifests);
// Manifests hold objects one applies; events are written by the cluster, never by a manifest.
const KINDS = API_KINDS.filter((k) => k !== 'Event');

const tmp = mkdtempSync(join(tmpdir(), 'checkup-two-sources-'));
const manifests = join(tmp, 'k8s');
let server: FakeApiServer;
let client: KubeApiClient;
const objects: ObjectsByKind = {};

function load(kind: ApiKind): KubeObject[] {
  try {
    return readFileSync(join(DEMO, 'api', `${kind}.jsonl`), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

beforeAll(async () => {
  for (const kind of KINDS) {
    const info = resourceInfo(kind);
    const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    const items = load(kind);
    if (!items.length) continue;
    objects[kind] = items;
    const typed = items.map((o) => ({ apiVersion, kind, ...o }));
    if (kind === 'ConfigMap') {
      // A JSON List at the top of the tree.
      writeFileSync(join(tmp, 'k8s-configmaps.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: typed }, null, 2));
      continue;
    }
    // One multi-document file per kind and namespace, in a folder per namespace: a Service and the
    // Deployment behind it are always in different files.
    const byNs = new Map<string, unknown[]>();
    for (const o of typed) {
      const ns = o.metadata?.namespace ?? '_cluster';
      byNs.set(ns, [...(byNs.get(ns) ?? []), o]);
    }
    for (const [ns, list] of byNs) {
      mkdirSync(join(manifests, ns), { recursive: true });
      writeFileSync(join(manifests, ns, `${kind.toLowerCase()}s.yaml`), list.map((o) => stringify(o)).join('---\n'));
    }
  }
  server = await startFakeApiServer({ objects, tls: true, token: 'two-sources' });
  server.writeKubeconfig(join(tmp, 'kubeconfig'), { context: 'two-sources' });
  client = new KubeApiClient(loadKubeconfig({ kubeconfig: join(tmp, 'kubeconfig') }), { requestTimeoutMs: 10_000 });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const settings = { sampleIntervalSeconds: 5 };
// Fingerprints differ by design: a cluster's are keyed on its kube-system UID, manifests' on "manifests".
const strip = (fs: Finding[]) => fs.map(({ location: _l, fingerprint: _f, ...f }) => f);

async function viaServer(checks: readonly CheckDefinition[]) {
  return runChecks({ checks, api: client, scope: {}, settings });
}

async function viaManifests(checks: readonly CheckDefinition[]) {
  return runOnManifests({
    paths: [manifests, join(tmp, 'k8s-configmaps.json')], recursive: true, checks, settings,
    stdin: async () => Buffer.from(''),
  });
}

describe('the same objects through manifests and through the API server', () => {
  it.each(SPEC_CHECKS.map((c) => [c.id, c] as const))('%s finds the same', async (_id, check) => {
    const live = await viaServer([check]);
    const files = await viaManifests([check]);
    expect(files.warnings).toEqual([]);
    // The fixture has something for every spec check to find, so equality is not two empty lists.
    expect(live.findings.length).toBeGreaterThan(0);
    expect(strip(files.run.findings)).toEqual(strip(live.findings));
    expect(files.run.identity).toBe('manifests');
    expect(files.run.results.map(({ durationMs: _d, ...r }) => r)).toEqual(live.results.map(({ durationMs: _d, ...r }) => r));
  });

  it('every manifest finding points at the file holding its target, at a line that names it', async () => {
    const { run } = await viaManifests(SPEC_CHECKS);
    // Both kinds of line are exercised: container findings and object findings (a Service).
    expect(run.findings.some((f) => f.target.container)).toBe(true);
    expect(run.findings.some((f) => !f.target.container)).toBe(true);
    for (const f of run.findings) {
      expect(f.location).toBeDefined();
      const { file, line } = f.location!;
      const text = readFileSync(file, 'utf8').split('\n');
      const at = text[line - 1]!;
      if (f.target.container) expect(at).toMatch(new RegExp(`name: ${f.target.container}$`));
      else expect(at).toBe(`kind: ${f.target.kind}`);
      // The file is the one for the target's kind and namespace.
      expect(file).toBe(join(manifests, f.target.namespace ?? '_cluster', `${f.target.kind.toLowerCase()}s.yaml`));
    }
  });

  it('checks that need a live cluster are skipped with that reason, in the order they were selected', async () => {
    const { run } = await viaManifests(CHECKS);
    expect(run.results.map((r) => r.id)).toEqual(CHECKS.map((c) => c.id));
    for (const r of run.results) {
      if (SPEC_CHECKS.some((c) => c.id === r.id)) expect(r.status).not.toBe('skip');
      else expect(r).toMatchObject({ status: 'skip', reason: 'needs a live cluster' });
    }
    expect(run.nodes).toEqual({ total: 0, reached: 0 });
  });
});

describe('the repository fixture fixtures/manifests/shop, the other way round', () => {
  // Objects parsed from the files are served by a second test API server: the live client must see
  // in them what the manifest run sees (a JSON file, a subfolder, Services apart from Deployments).
  const SHOP = join(ROOT, 'fixtures', 'manifests', 'shop');
  let shopServer: FakeApiServer;
  let shopClient: KubeApiClient;

  beforeAll(async () => {
    const served: ObjectsByKind = {};
    for (const file of ['services.yaml', 'web.yaml', 'payments/ledger.json']) {
      for (const o of parseManifest(join(SHOP, file), readFileSync(join(SHOP, file), 'utf8')).objects) (served[o.kind] ??= []).push(o.object);
    }
    shopServer = await startFakeApiServer({ objects: served, tls: true, token: 'shop' });
    shopServer.writeKubeconfig(join(tmp, 'kubeconfig-shop'), { context: 'shop' });
    shopClient = new KubeApiClient(loadKubeconfig({ kubeconfig: join(tmp, 'kubeconfig-shop') }), { requestTimeoutMs: 10_000 });
  });
  afterAll(async () => { await shopServer?.close(); });

  it('finds the same through both sources', async () => {
    const live = await runChecks({ checks: SPEC_CHECKS, api: shopClient, scope: {}, settings });
    const files = await runOnManifests({ paths: [SHOP], recursive: true, checks: SPEC_CHECKS, settings, stdin: async () => Buffer.from('') });
    expect(files.warnings).toEqual([]);
    expect(live.findings.map((f) => f.check).sort()).toEqual(['graceful-termination', 'jvm-container-memory', 'missing-probes']);
    expect(strip(files.run.findings)).toEqual(strip(live.findings));
  });
});
