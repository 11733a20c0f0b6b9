#!/usr/bin/env node
// Benchmark: time and peak memory of a full API run on a synthetic large cluster, live (against the
// test API server) and offline (--snapshot), next to `kubectl get pods -A -o json` on the same server.
// Targets (design): memory flat in the number of pods (pages are streamed), and a live run no slower
// than about half of what kubectl needs just to fetch the pods as JSON. It measures; it asserts nothing.
//
//   npm run build && node test/bench/bench.mjs [--pods 20000] [--nodes 200]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { pods: { type: 'string', default: '20000' }, nodes: { type: 'string', default: '200' } } });
const PODS = Number(values.pods);
const NODES = Number(values.nodes);
const work = mkdtempSync(join(tmpdir(), 'checkup-bench-'));

try {
  const snap = join(work, 'snapshot');
  writeSyntheticCluster(snap);
  console.log(`synthetic cluster: ${PODS} pods, ${PODS / 20} deployments, ${NODES} nodes`);

  // The test API server is TypeScript in test/support: compile it (and what it imports) to a temp dir.
  const build = join(work, 'build');
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['--ignoreConfig', '--outDir', build, '--rootDir', root, '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--strict', 'false',
    join(root, 'test', 'support', 'fake-apiserver.ts')], { stdio: 'inherit' });
  writeFileSync(join(build, 'package.json'), '{"type":"module"}');
  const { startFakeApiServer } = await import(join(build, 'test', 'support', 'fake-apiserver.js'));
  const server = await startFakeApiServer({ snapshotDir: snap, tls: true, token: 'bench' });
  const kubeconfig = join(work, 'kubeconfig');
  server.writeKubeconfig(kubeconfig, { context: 'bench' });

  try {
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(['kubectl-checkup live (--no-ssh)', await measure(join(root, 'bin', 'kubectl-checkup'), ['--kubeconfig', kubeconfig, '--no-ssh', '-o', 'json', '--fail-on', 'none'])]);
      results.push(['kubectl-checkup --snapshot', await measure(join(root, 'bin', 'kubectl-checkup'), ['--snapshot', snap, '--no-ssh', '-o', 'json', '--fail-on', 'none'])]);
      results.push(['kubectl get pods -A -o json', await measure('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(work, 'kcache'), 'get', 'pods', '-A', '-o', 'json'], false)]);
    }
    const byName = new Map();
    for (const [name, r] of results) byName.set(name, [...(byName.get(name) ?? []), r]);
    console.log('\nrun                               median s   peak RSS MiB');
    for (const [name, runs] of byName) {
      const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const rss = runs.map((r) => r.rssMiB).filter((x) => x !== undefined);
      console.log(`${name.padEnd(34)}${med(runs.map((r) => r.seconds)).toFixed(2).padStart(8)}   ${rss.length ? String(med(rss)).padStart(8) : '       -'}`);
    }
  } finally {
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Wall time, and peak RSS of a Node child (reported by an exit hook preloaded with --import). */
async function measure(cmd, args, isNode = true) {
  const hook = join(work, 'maxrss-hook.mjs');
  writeFileSync(hook, 'process.on("exit", () => process.stderr.write(`\\nBENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\\n`));\n');
  const env = { ...process.env, NO_COLOR: '1', ...(isNode ? { NODE_OPTIONS: `--import=${hook}` } : {}) };
  const t0 = performance.now();
  let stderr = '';
  const code = await new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', resolve);
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0 && code !== 1) throw new Error(`${cmd} exited ${code}: ${stderr.slice(0, 500)}`);
  const kb = /BENCH_MAXRSS_KB=(\d+)/.exec(stderr)?.[1];
  return { seconds, rssMiB: kb ? Math.round(Number(kb) / 1024) : undefined };
}

function writeSyntheticCluster(dir) {
  mkdirSync(join(dir, 'api'), { recursive: true });
  const t = '2026-11-20T00:00:00Z';
  const lines = { Node: [], Namespace: [], Service: [], Deployment: [], ReplicaSet: [], Pod: [], Event: [] };
  for (let n = 0; n < NODES; n++) {
    lines.Node.push({ metadata: { name: `node-${n}`, creationTimestamp: t }, spec: { podCIDR: `10.${200 + (n >> 8)}.${n & 255}.0/24` },
      status: { addresses: [{ type: 'InternalIP', address: `10.0.${n >> 8}.${n & 255}` }], conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kernelVersion: '6.1.0-28-amd64', kubeletVersion: 'v1.32.4' } } });
  }
  const namespaces = 20;
  for (let s = 0; s < namespaces; s++) lines.Namespace.push({ metadata: { name: `ns-${s}`, creationTimestamp: t }, status: { phase: 'Active' } });
  for (let d = 0; d < PODS / 20; d++) {
    const ns = `ns-${d % namespaces}`;
    const labels = { app: `app-${d}` };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example/app:1', ports: [{ containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/ready', port: 8080 } }, livenessProbe: { tcpSocket: { port: 8080 } },
      resources: { limits: { memory: '512Mi', cpu: '1' } } }] } };
    lines.Service.push({ metadata: { namespace: ns, name: `app-${d}`, creationTimestamp: t }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }], clusterIP: '10.96.0.1' } });
    lines.Deployment.push({ metadata: { namespace: ns, name: `app-${d}`, uid: `d-${d}`, creationTimestamp: t }, spec: { replicas: 20, selector: { matchLabels: labels }, template }, status: {} });
    lines.ReplicaSet.push({ metadata: { namespace: ns, name: `app-${d}-abc`, uid: `rs-${d}`, creationTimestamp: t, ownerReferences: [{ kind: 'Deployment', name: `app-${d}`, uid: `d-${d}`, controller: true }] }, spec: { replicas: 20, selector: { matchLabels: labels }, template }, status: {} });
    for (let p = 0; p < 20; p++) {
      const i = d * 20 + p;
      lines.Pod.push({ metadata: { namespace: ns, name: `app-${d}-abc-${p}`, uid: `p-${i}`, creationTimestamp: t, labels, ownerReferences: [{ kind: 'ReplicaSet', name: `app-${d}-abc`, uid: `rs-${d}`, controller: true }] },
        spec: { ...template.spec, nodeName: `node-${i % NODES}` },
        status: i % 97 === 0 ? { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. ', startTime: t } : { phase: 'Running', startTime: t, containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'example/app:1', imageID: '', state: { running: { startedAt: t } } }] } });
    }
  }
  for (const [kind, objs] of Object.entries(lines)) {
    // Sorted by namespace/name, as an API server returns lists.
    objs.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
    writeFileSync(join(dir, 'api', `${kind}.jsonl`), objs.map((o) => JSON.stringify(o)).join('\n') + '\n');
  }
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ apiVersion: 'checkup.k8s.io/v1', kind: 'Snapshot', tool: { name: 'kubectl-checkup', version: '0.1.0' },
    cluster: { context: 'bench', server: null, version: 'v1.32.4' }, collectedAt: '2026-11-25T10:00:00Z', scope: { namespace: null, labelSelector: null }, kinds: Object.keys(lines), gaps: [] }));
}
