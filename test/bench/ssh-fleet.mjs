#!/usr/bin/env node
// Benchmark: node checks over SSH on real test nodes (one sshd per network namespace,
// test/support/test-nodes.ts) against parallel-ssh (Debian pssh) running the same probe script at the
// same concurrency, one session per node. The CLI runs as a user would: Node objects from the test
// API server, --ssh-config of the test nodes, syn-backlog + conntrack-table + arp-neighbor-overflow
// (sampled probes: the --sample-interval sleep happens on each node). Needs root. It measures;
// it asserts nothing.
//
//   npm run build && node test/bench/ssh-fleet.mjs [--nodes 50] [--concurrency 16] [--interval 5] [--runs 3]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: {
  nodes: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '16' }, interval: { type: 'string', default: '5' }, runs: { type: 'string', default: '3' },
} });
const N = Number(values.nodes), C = Number(values.concurrency), INTERVAL = Number(values.interval), RUNS = Number(values.runs);
const CHECKS = 'syn-backlog,conntrack-table,arp-neighbor-overflow';
const work = mkdtempSync(join(tmpdir(), 'checkup-ssh-bench-'));
const built = [];

try {
  // Inside the checkout, so the compiled test support finds its packages (execa) in node_modules.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  const build = mkdtempSync(join(root, 'node_modules', '.cache', 'ssh-bench-'));
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['--ignoreConfig', '--outDir', build, '--rootDir', root, '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--strict', 'false',
    join(root, 'test', 'support', 'fake-apiserver.ts'), join(root, 'test', 'support', 'test-nodes.ts')], { stdio: 'inherit' });
  built.push(build);
  writeFileSync(join(build, 'package.json'), '{"type":"module"}');
  const { startFakeApiServer } = await import(join(build, 'test', 'support', 'fake-apiserver.js'));
  const { startTestNodes } = await import(join(build, 'test', 'support', 'test-nodes.js'));
  const { buildNodeScript } = await import(join(root, 'dist', 'src', 'node', 'script.js'));
  const { planCollection } = await import(join(root, 'dist', 'src', 'engine', 'plan.js'));
  const { CHECKS: ALL } = await import(join(root, 'dist', 'checks', 'index.js'));

  const t0 = performance.now();
  const t = await startTestNodes(Array.from({ length: N }, (_, i) => ({ name: `n${i}` })));
  console.log(`${N} test nodes up in ${((performance.now() - t0) / 1000).toFixed(1)} s; concurrency ${C}, sample interval ${INTERVAL} s, ${RUNS} run(s) each, interleaved`);
  const server = await startFakeApiServer({ objects: { Node: t.targets().map((n) => ({ metadata: { name: n.name }, status: { addresses: n.addresses } })) }, tls: true, token: 'bench' });
  try {
    const kubeconfig = join(work, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'bench' });
    // The same script the CLI sends (same probes, same interval; inputs are empty for these checks).
    const probes = planCollection(ALL.filter((c) => CHECKS.split(',').includes(c.id))).probes;
    const script = join(work, 'probe.sh');
    writeFileSync(script, buildNodeScript(probes, INTERVAL).script);
    const hosts = join(work, 'hosts');
    writeFileSync(hosts, t.targets().map((n) => n.addresses.find((a) => a.type === 'InternalIP').address).join('\n') + '\n');

    const times = { checkup: [], pssh: [] };
    for (let r = 0; r < RUNS; r++) {
      times.checkup.push(await timed(process.execPath, [join(root, 'bin', 'kubectl-checkup'), '--kubeconfig', kubeconfig, '--checks', CHECKS, '--ssh-config', t.sshConfig,
        '--ssh-concurrency', String(C), '--sample-interval', String(INTERVAL), '-o', 'json', '--fail-on', 'none']));
      times.pssh.push(await timed('parallel-ssh', ['-h', hosts, '-p', String(C), '-t', '0', '-x', `-F ${t.sshConfig} -T -o BatchMode=yes`, '-I', 'sh -s'], script));
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`\nkubectl-checkup ${med(times.checkup).toFixed(2)} s, parallel-ssh ${med(times.pssh).toFixed(2)} s: ${(med(times.checkup) / med(times.pssh)).toFixed(2)}×  (runs: ${times.checkup.map((x) => x.toFixed(2))} / ${times.pssh.map((x) => x.toFixed(2))})`);
  } finally {
    await server.close();
    await t.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  for (const d of built) rmSync(d, { recursive: true, force: true });
}

async function timed(cmd, args, stdinFile) {
  const start = performance.now();
  const code = await new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [stdinFile ? 'pipe' : 'ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    if (stdinFile) { child.stdin.end(execFileSync('cat', [stdinFile])); }
    child.on('exit', (c) => { if (c !== 0 && c !== 1) process.stderr.write(`${cmd} exited ${c}: ${err.slice(0, 400)}\n`); resolve(c); });
  });
  return (performance.now() - start) / 1000;
}
