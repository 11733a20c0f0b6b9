#!/usr/bin/env node
// Benchmark: time and peak memory of a full API run (every API check, --no-ssh -o json) on a synthetic
// large cluster served over HTTPS by the test API server, in the same run as `kubectl get pods -A -o
// json` on the same server and the fetch-and-parse floor (floor.mjs: paging through the same pods with
// JSON.parse and nothing else, in its own process) — and the work floor: the same fetch-and-parse of
// every list and kubelet read the run made, which is what a run cannot do without. Also counts the
// kubelet endpoint reads (node proxy requests) the live run made per node. Targets (issue 14): ≤ 0.11×
// kubectl at 15k pods, ≤ 0.1× at 150k, peak RSS ≤ 300 MB at both. It measures; it asserts nothing.
//
//   npm run bench                 15k pods, 500 nodes, 1k Deployments, then 150k pods, 5k nodes, 10k
//                                 Deployments (3-5 minutes: kubectl alone takes 1-2 min and ~4 GB at 150k)
//   npm run bench -- --quick      15k only (about a minute)
//   node test/bench/bench.mjs --pods 3000 --nodes 100 [--runs N] [--profile DIR] [--no-kubectl] [--serve]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: {
  pods: { type: 'string' }, nodes: { type: 'string' }, runs: { type: 'string' },
  quick: { type: 'boolean', default: false }, large: { type: 'boolean', default: false }, serve: { type: 'boolean', default: false }, profile: { type: 'string' }, 'no-kubectl': { type: 'boolean', default: false },
} });
const sizes = values.pods
  ? [{ pods: Number(values.pods), nodes: Number(values.nodes ?? Math.max(1, Math.round(Number(values.pods) / 30))), runs: Number(values.runs ?? 3) }]
  // Medians of 5 runs at 15k and 3 at 150k (--runs sets both): on a machine whose speed varies, a ~1 s
  // run moves a lot (checkup ÷ work floor went 1.40-1.58 between single runs of one bench), and the
  // 150k floor alone took 1.7-3.9 s. At 150k kubectl runs once (minutes, ~18 GB).
  // (--large, which used to add the 150k size, is still accepted: both sizes are the default now.)
  : [{ pods: 15_000, nodes: 500, runs: Number(values.runs ?? 5) }, ...(values.quick ? [] : [{ pods: 150_000, nodes: 5_000, runs: Number(values.runs ?? 3) }])];
const work = mkdtempSync(join(tmpdir(), 'checkup-bench-'));
const cli = join(root, 'bin', 'kubectl-checkup');

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${execFileSync('kubectl', ['version', '--client']).toString().split('\n')[0]}`);
try {
  // The test API server is TypeScript in test/support: compile it (and what it imports) to a temp dir.
  const build = join(work, 'build');
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['--ignoreConfig', '--outDir', build, '--rootDir', root, '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--strict', 'false',
    join(root, 'test', 'support', 'fake-apiserver.ts')], { stdio: 'inherit' });
  writeFileSync(join(build, 'package.json'), '{"type":"module"}');
  const { startFakeApiServer } = await import(join(build, 'test', 'support', 'fake-apiserver.js'));

  const rows = [];
  for (const size of sizes) {
    const snap = join(work, `snapshot-${size.pods}`);
    const { deployments } = writeSyntheticCluster(snap, size.pods, size.nodes);
    const label = `${size.pods / 1000}k pods, ${size.nodes} nodes, ${deployments / 1000}k Deployments`;
    console.log(`\n${label}: ${size.runs} run(s) of each${size.pods >= 100_000 && size.runs > 1 ? ' (kubectl: one)' : ''}, interleaved`);
    const server = await startFakeApiServer({ snapshotDir: snap, tls: true, token: 'bench' });
    const kubeconfig = join(work, `kubeconfig-${size.pods}`);
    server.writeKubeconfig(kubeconfig, { context: 'bench' });
    if (values.serve) {
      // For profiling by hand: keep the server up until Ctrl-C.
      console.log(`serving; --kubeconfig ${kubeconfig}  (floor: node test/bench/floor.mjs ${server.url} ${server.caFile} bench /api/v1/pods)`);
      // Ctrl-C or a plain kill: either way the server closes and the temp folder goes.
      await new Promise((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
      await server.close();
      continue;
    }
    try {
      const runs = { floor: [], checkup: [], workFloor: [], kubectl: [] };
      let proxyPerNode;
      for (let i = 0; i < size.runs; i++) {
        runs.floor.push(await measure(process.execPath, [join(root, 'test', 'bench', 'floor.mjs'), server.url, server.caFile, 'bench', '/api/v1/pods']));
        server.requests.length = 0;
        const profile = values.profile && i === 0 ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`, '--heap-prof', `--heap-prof-dir=${values.profile}`] : [];
        runs.checkup.push(await measure(process.execPath, [...profile, cli, '--kubeconfig', kubeconfig, '--no-ssh', '-o', 'json', '--fail-on', 'none']));
        const proxied = server.requests.filter((r) => r.path.includes('/proxy/'));
        // The same work without the tool: every list it paged through and every kubelet read it made,
        // fetched and parsed by floor.mjs (the few other requests — /version, /metrics — are left out).
        const requestsFile = join(work, `requests-${size.pods}.json`);
        writeFileSync(requestsFile, JSON.stringify({
          // A list's first page, with its selectors (floor.mjs sets limit and continue itself).
          lists: [...new Set(server.requests.filter((r) => r.query.limit && !r.query.continue).map((r) => {
            const { limit, ...rest } = r.query;
            const q = new URLSearchParams(rest).toString();
            return q ? `${r.path}?${q}` : r.path;
          }))],
          kubelet: proxied.map((r) => r.path) }));
        runs.workFloor.push(await measure(process.execPath, [join(root, 'test', 'bench', 'floor.mjs'), server.url, server.caFile, 'bench', '--requests', requestsFile]));
        const perNode = new Map();
        for (const r of proxied) { const n = r.path.split('/')[4]; perNode.set(n, (perNode.get(n) ?? 0) + 1); }
        proxyPerNode = { total: proxied.length, perNode: proxied.length / size.nodes, max: Math.max(0, ...perNode.values()), nodesAsked: perNode.size };
        if (!values['no-kubectl'] && (i === 0 || size.pods < 100_000)) {
          runs.kubectl.push(await measure('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(work, 'kcache'), 'get', 'pods', '-A', '-o', 'json'], false));
        }
      }
      rows.push({ label, runs, proxyPerNode });
    } finally {
      await server.close();
      rmSync(snap, { recursive: true, force: true });
    }
  }

  if (!values.serve) await summary(rows); // --serve measured nothing
} finally {
  rmSync(work, { recursive: true, force: true });
}
// --serve: something of the interrupted session can keep the loop alive; the work is done and cleaned up.
if (values.serve) process.exit(0);

async function summary(rows) {
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // Startup: --help must stay within 1.5× of a bare node (issue 14). Median of 21, interleaved: one
  // run is ~0.1 s, and a single slow start moves a median of 7.
  const bare = [], help = [];
  for (let i = 0; i < 21; i++) {
    bare.push((await measure(process.execPath, ['-e', '0'])).seconds);
    help.push((await measure(process.execPath, [cli, '--help'])).seconds);
  }
  console.log(`\nnode -e 0 ${med(bare).toFixed(3)} s, kubectl-checkup --help ${med(help).toFixed(3)} s: ${(med(help) / med(bare)).toFixed(2)}×`);
  const secs = (rs) => (rs.length ? med(rs.map((r) => r.seconds)) : undefined);
  const rss = (rs) => { const m = rs.map((r) => r.rssMiB).filter((x) => x !== undefined); return m.length ? med(m) : undefined; };
  const f = (x, d = 2) => (x === undefined ? '-' : x.toFixed(d));
  console.log('\ncluster                                   kubectl s  checkup s  ratio  floor s  checkup/floor  work floor s  checkup/work floor  peak RSS MiB (checkup, kubectl)  kubelet reads/node (max, nodes asked)');
  for (const { label, runs, proxyPerNode: p } of rows) {
    const k = secs(runs.kubectl), c = secs(runs.checkup), fl = secs(runs.floor), wf = secs(runs.workFloor);
    console.log(`${label.padEnd(42)}${f(k).padStart(9)}  ${f(c).padStart(9)}  ${(k ? (c / k).toFixed(3) : '-').padStart(5)}  ${f(fl).padStart(7)}  ${f(c / fl).padStart(13)}  ${f(wf).padStart(12)}  ${f(c / wf).padStart(18)}  ${String(rss(runs.checkup)).padStart(12)}, ${String(rss(runs.kubectl) ?? '-').padStart(7)}               ${p.perNode.toFixed(2)} (${p.max}, ${p.nodesAsked})`);
  }
  console.log('floor: the pods alone, fetched and parsed; work floor: every list and kubelet read the run made, fetched and parsed in one thread (floor.mjs)');
  // The medians hide how much a shared machine moves: the runs behind them, for the reader to judge.
  console.log('\nruns (s, in order):');
  for (const { label, runs } of rows) {
    const list = (rs) => rs.map((r) => r.seconds.toFixed(2)).join(' ') || '-';
    console.log(`${label.padEnd(42)}kubectl ${list(runs.kubectl)} · checkup ${list(runs.checkup)} · floor ${list(runs.floor)} · work floor ${list(runs.workFloor)}`);
  }
}

/** Wall time, and peak RSS of a Node child (reported by an exit hook preloaded with --import). */
async function measure(cmd, args, isNode = true) {
  const hook = join(work, 'maxrss-hook.mjs');
  writeFileSync(hook, 'process.on("exit", () => process.stderr.write(`\\nBENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\\n`));\n');
  const env = { ...process.env, NO_COLOR: '1', ...(isNode ? { NODE_OPTIONS: `--import=${hook}` } : {}) };
  const t0 = performance.now();
  let stderr = '';
  const code = await new Promise((resolve) => {
    // Not Node (kubectl): GNU time reports its peak RSS in the same form.
    const child = isNode ? spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('/usr/bin/time', ['-f', 'BENCH_MAXRSS_KB=%M', cmd, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', resolve);
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0 && code !== 1) throw new Error(`${cmd} exited ${code}: ${stderr.slice(0, 500)}`);
  const kb = /BENCH_MAXRSS_KB=(\d+)/.exec(stderr)?.[1];
  return { seconds, rssMiB: kb ? Math.round(Number(kb) / 1024) : undefined };
}

function writeSyntheticCluster(dir, PODS, NODES) {
  mkdirSync(join(dir, 'api'), { recursive: true });
  const t = '2026-11-20T00:00:00Z';
  const lines = { Node: [], Namespace: [], Service: [], Deployment: [], ReplicaSet: [], Pod: [], Event: [] };
  for (let n = 0; n < NODES; n++) {
    lines.Node.push({ metadata: { name: `node-${n}`, creationTimestamp: t }, spec: { podCIDR: `10.${200 + (n >> 8)}.${n & 255}.0/24` },
      status: { addresses: [{ type: 'InternalIP', address: `10.0.${n >> 8}.${n & 255}` }], conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kernelVersion: '6.1.0-28-amd64', kubeletVersion: 'v1.32.4' } } });
  }
  const namespaces = 20;
  for (let s = 0; s < namespaces; s++) lines.Namespace.push({ metadata: { name: `ns-${s}`, creationTimestamp: t }, status: { phase: 'Active' } });
  const deployments = Math.ceil(PODS / 15);
  for (let d = 0; d < deployments; d++) {
    const ns = `ns-${d % namespaces}`;
    const labels = { app: `app-${d}` };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example/app:1', ports: [{ containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/ready', port: 8080 } }, livenessProbe: { tcpSocket: { port: 8080 } },
      resources: { limits: { memory: '512Mi', cpu: '1' } } }] } };
    lines.Service.push({ metadata: { namespace: ns, name: `app-${d}`, creationTimestamp: t }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }], clusterIP: '10.96.0.1' } });
    lines.Deployment.push({ metadata: { namespace: ns, name: `app-${d}`, uid: `d-${d}`, creationTimestamp: t }, spec: { replicas: 15, selector: { matchLabels: labels }, template }, status: {} });
    lines.ReplicaSet.push({ metadata: { namespace: ns, name: `app-${d}-abc`, uid: `rs-${d}`, creationTimestamp: t, ownerReferences: [{ kind: 'Deployment', name: `app-${d}`, uid: `d-${d}`, controller: true }] }, spec: { replicas: 15, selector: { matchLabels: labels }, template }, status: {} });
    for (let p = 0; p < 15 && d * 15 + p < PODS; p++) {
      const i = d * 15 + p;
      lines.Pod.push({ metadata: { namespace: ns, name: `app-${d}-abc-${p}`, uid: `p-${i}`, creationTimestamp: t, labels, ownerReferences: [{ kind: 'ReplicaSet', name: `app-${d}-abc`, uid: `rs-${d}`, controller: true }] },
        spec: { ...template.spec, nodeName: `node-${i % NODES}` },
        status: i % 97 === 0 ? { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. ', startTime: t } : { phase: 'Running', startTime: t, containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'example/app:1', imageID: '', state: { running: { startedAt: t } } }] } });
    }
  }
  // What each kubelet answers through the API server's proxy: its config and a Summary with the node's
  // filesystems and one entry per pod on it (as big as a real one's pod list makes it).
  mkdirSync(join(dir, 'nodes'));
  const fsStats = (used) => ({ time: t, availableBytes: 100e9 - used, capacityBytes: 100e9, usedBytes: used, inodesFree: 6e6, inodes: 6.5e6, inodesUsed: 5e5 });
  for (let n = 0; n < NODES; n++) {
    const here = [];
    for (let i = n; i < lines.Pod.length && here.length < 110; i += NODES) here.push(lines.Pod[i]); // pod i runs on node-(i % NODES)
    const podsHere = here.map((p) => ({
      podRef: { name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid }, startTime: t,
      containers: [{ name: 'app', startTime: t, cpu: { time: t, usageNanoCores: 1e7 }, memory: { time: t, workingSetBytes: 2e8 }, rootfs: fsStats(1e6), logs: fsStats(1e6) }],
      'ephemeral-storage': fsStats(2e6) }));
    writeFileSync(join(dir, 'nodes', `node-${n}.api.json`), JSON.stringify({
      configz: { ok: true, value: { kubeletconfig: { imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80, evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%', 'imagefs.available': '15%' } } } },
      'stats/summary': { ok: true, value: { node: { nodeName: `node-${n}`, fs: fsStats(40e9), runtime: { imageFs: fsStats(30e9) } }, pods: podsHere } },
    }));
  }
  for (const [kind, objs] of Object.entries(lines)) {
    // Sorted by namespace/name, as an API server returns lists.
    objs.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
    writeFileSync(join(dir, 'api', `${kind}.jsonl`), objs.map((o) => JSON.stringify(o)).join('\n') + '\n');
  }
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ apiVersion: 'checkup.k8s.io/v1', kind: 'Snapshot', tool: { name: 'kubectl-checkup', version: '0.1.0' },
    cluster: { context: 'bench', server: null, version: 'v1.32.4' }, collectedAt: '2026-11-25T10:00:00Z', scope: { namespace: null, labelSelector: null }, kinds: Object.keys(lines), gaps: [] }));
  return { deployments };
}
