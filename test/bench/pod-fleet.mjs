#!/usr/bin/env node
// Benchmark for --node-access pod on a simulated fleet: hundreds of synthetic nodes whose probe pods
// start, run for --run-ms and complete with recorded output (the demo cluster's worker-1), served by
// the test API server. Reports the API calls per node by kind and the wall time of the CLI run, with
// pod phases from one watch per run (default) and from per-pod GET polling (what the tool falls back
// to when it may not list/watch pods). It measures; it asserts nothing.
//
//   npm run build && node test/bench/pod-fleet.mjs [--nodes 300] [--concurrency 64] [--run-ms 2000]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: {
  nodes: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '64' }, 'run-ms': { type: 'string', default: '2000' },
} });
const NODES = Number(values.nodes);
const CONCURRENCY = Number(values.concurrency);
const RUN_MS = Number(values['run-ms']);
const work = mkdtempSync(join(tmpdir(), 'checkup-pod-bench-'));

try {
  const build = join(work, 'build');
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['--ignoreConfig', '--outDir', build, '--rootDir', root, '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--strict', 'false',
    join(root, 'test', 'support', 'fake-apiserver.ts'), join(root, 'test', 'support', 'recorded-kubelet.ts')], { stdio: 'inherit' });
  writeFileSync(join(build, 'package.json'), '{"type":"module"}');
  const { startFakeApiServer } = await import(join(build, 'test', 'support', 'fake-apiserver.js'));
  const { recordedKubelet } = await import(join(build, 'test', 'support', 'recorded-kubelet.js'));
  const samples = JSON.parse(readFileSync(join(root, 'fixtures', 'demo-cluster', 'nodes', 'demo-worker-1.json'), 'utf8')).samples;
  const nodes = Array.from({ length: NODES }, (_, i) => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${String(i).padStart(4, '0')}` },
    spec: { podCIDR: `10.${(i >> 8) & 255}.${i & 255}.0/24` },
  }));
  console.log(`simulated fleet: ${NODES} nodes, probe pods running ${RUN_MS} ms each, ${CONCURRENCY} at once`);
  console.log('\nmode                 wall s   API calls/node: create  log  delete  get(poll)   per run: list  watch   pods left');

  for (const mode of ['watch', 'poll']) {
    const server = await startFakeApiServer({
      objects: { Node: nodes }, tls: true, token: 'bench',
      pods: { kubelet: recordedKubelet(() => samples, { runMs: RUN_MS }), forbid: mode === 'poll' ? ['list', 'watch'] : [] },
    });
    const kubeconfig = join(work, `kubeconfig-${mode}`);
    server.writeKubeconfig(kubeconfig, { context: 'bench' });
    try {
      const t0 = performance.now();
      const code = await run(join(root, 'bin', 'kubectl-checkup'), ['--kubeconfig', kubeconfig, '--checks', 'syn-backlog,arp-neighbor-overflow,cni0-bridge-mismatch',
        '--node-access', 'pod', '--ssh-concurrency', String(CONCURRENCY), '--sample-interval', '0', '--node-timeout', '120', '-o', 'json', '--fail-on', 'none']);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) throw new Error(`kubectl-checkup exited ${code}`);
      const pods = server.requests.filter((r) => r.path.includes('/pods'));
      const count = (test) => pods.filter(test).length;
      const create = count((r) => r.method === 'POST');
      const del = count((r) => r.method === 'DELETE');
      const log = count((r) => r.method === 'GET' && r.path.endsWith('/log'));
      const watch = count((r) => r.method === 'GET' && (r.query.watch === '1' || r.query.watch === 'true'));
      const list = count((r) => r.method === 'GET' && !r.query.watch && !!r.query.labelSelector && !r.path.endsWith('/log'));
      const get = count((r) => r.method === 'GET' && /\/pods\/[^/]+$/.test(r.path));
      const per = (n) => (n / NODES).toFixed(2).padStart(5);
      console.log(`${`pod, ${mode}`.padEnd(19)}${seconds.toFixed(2).padStart(8)}   ${' '.repeat(15)}${per(create)} ${per(log)} ${per(del)}     ${per(get)}   ${' '.repeat(10)}${String(list).padStart(4)} ${String(watch).padStart(6)}   ${String(server.pods.current().length).padStart(9)}`);
    } finally {
      await server.close();
    }
  }
  console.log('\nssh (reference)       one SSH session per node, 0 API calls per node; not simulated here (one sshd per node)');
} finally {
  rmSync(work, { recursive: true, force: true });
}

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', resolve);
  });
}
