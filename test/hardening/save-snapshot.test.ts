// --save-snapshot never deletes or changes what it did not write: through the built CLI against the
// fake API server, a foreign folder that happens to hold a snapshot.json, a file, a read-only folder
// (as an unprivileged user: root writes anywhere) and /proc, /sys paths are refused with one line and
// exit 2, byte for byte untouched; an earlier snapshot of this tool is replaced whole, atomically, and
// a failed run leaves neither a half snapshot nor a temporary folder behind.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { BIN, runCli, type CliResult } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { SNAPSHOT_MARKER } from '../../src/snapshot/format.js';

const tmp = mkdtempSync(join(tmpdir(), 'checkup-savesnap-'));
let server: FakeApiServer;
const kc = join(tmp, 'kubeconfig');
beforeAll(async () => {
  server = await startFakeApiServer({
    objects: { Pod: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running' } }] },
  });
  server.writeKubeconfig(kc);
});
afterAll(async () => {
  await server.close();
  chmodSync(tmp, 0o700);
  rmSync(tmp, { recursive: true, force: true });
});

const save = (target: string, extra: string[] = []) => runCli(['--kubeconfig', kc, '--no-ssh', '--checks', 'missing-probes', '--fail-on', 'none', '--save-snapshot', target, ...extra], { timeoutMs: 30_000 });

/** Every file under a folder with its content hash, and every folder: a before/after fingerprint. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) { out[relative(dir, p) + '/'] = 'dir'; walk(p); } else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function expectRefused(r: CliResult, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

/** No temporary folder of ours left in a folder. */
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.includes('.checkup-'));

describe('--save-snapshot safety', () => {
  it('a foreign folder that holds a snapshot.json (and api/, nodes/) is refused and left exactly as it was', async () => {
    const dir = join(tmp, 'foreign');
    mkdirSync(join(dir, 'api'), { recursive: true });
    mkdirSync(join(dir, 'nodes'));
    writeFileSync(join(dir, 'snapshot.json'), '{"my": "own data"}');
    writeFileSync(join(dir, 'api', 'results.csv'), 'precious');
    writeFileSync(join(dir, 'nodes', 'notes.txt'), 'precious too');
    const before = tree(dir);
    expectRefused(await save(dir), /not a kubectl-checkup snapshot/);
    expect(tree(dir)).toEqual(before);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('a real snapshot with a foreign file added is not ours any more: refused, untouched', async () => {
    const dir = join(tmp, 'mixed');
    expect((await save(dir)).code).toBe(0);
    expect(existsSync(join(dir, SNAPSHOT_MARKER))).toBe(true);
    writeFileSync(join(dir, 'thesis.tex'), 'years of work');
    const before = tree(dir);
    expectRefused(await save(dir), /not a kubectl-checkup snapshot/);
    expect(tree(dir)).toEqual(before);
  });

  it('an earlier snapshot of this tool is replaced whole, and nothing temporary stays beside it', async () => {
    const dir = join(tmp, 'own');
    expect((await save(dir)).code).toBe(0);
    writeFileSync(join(dir, 'nodes', 'stale-node.json'), '{"node":"stale-node","reached":false,"reason":"old"}');
    const r = await save(dir);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'nodes', 'stale-node.json'))).toBe(false);
    expect(readFileSync(join(dir, 'api', 'Pod.jsonl'), 'utf8')).toContain('"name":"p"');
    expect(leftovers(tmp)).toEqual([]);
    // And it replays.
    expect((await runCli(['--snapshot', dir, '--checks', 'missing-probes', '--no-ssh', '--fail-on', 'none'])).code).toBe(0);
  });

  it('a file is refused, not replaced', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'keep me');
    expectRefused(await save(file), /exists and is not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expectRefused(await save(join(file, 'below')), /is not a folder/);
  });

  it('/proc, /sys and /dev paths are refused at once (no attempt, no loop)', async () => {
    for (const path of ['/proc/self/snap', '/proc', '/sys/kernel/snap', '/dev/shm/../null']) {
      const t0 = Date.now();
      expectRefused(await save(path), /special file system/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
  });

  it('a read-only folder, and a new folder in a read-only one, are refused as an unprivileged user', async () => {
    const ro = join(tmp, 'ro');
    mkdirSync(join(ro, 'empty'), { recursive: true });
    chmodSync(join(ro, 'empty'), 0o555);
    chmodSync(ro, 0o555);
    chmodSync(tmp, 0o755);
    chmodSync(kc, 0o644);
    // Root may write anywhere a mode says no; the tool runs as nobody here to meet the mode.
    const asUser = (args: string[]) => (process.getuid?.() === 0
      ? execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BIN, ...args], { reject: false, env: { NO_COLOR: '1', HOME: '/nonexistent' }, timeout: 30_000, stdin: 'ignore' })
      : execa(BIN, args, { reject: false, env: { NO_COLOR: '1' }, timeout: 30_000, stdin: 'ignore' }));
    const base = ['--kubeconfig', kc, '--no-ssh', '--checks', 'missing-probes', '--fail-on', 'none', '--save-snapshot'];
    for (const target of [join(ro, 'empty'), join(ro, 'new')]) {
      const r = await asUser([...base, target]);
      expectRefused({ code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }, /not writable/);
    }
    expect(readdirSync(ro)).toEqual(['empty']);
    expect(statSync(join(ro, 'empty')).mode & 0o777).toBe(0o555);
    chmodSync(ro, 0o755);
  });

  it('a run that cannot reach the cluster leaves no folder and no temporary folder', async () => {
    const dead = join(tmp, 'dead-kc');
    writeFileSync(dead, readFileSync(kc, 'utf8').replace(/server: .*/, 'server: "http://127.0.0.1:9"'));
    const target = join(tmp, 'never');
    const r = await runCli(['--kubeconfig', dead, '--no-ssh', '--checks', 'missing-probes', '--save-snapshot', target]);
    expect(r.code).toBe(2);
    expect(existsSync(target)).toBe(false);
    expect(leftovers(tmp)).toEqual([]);
  });
});
