// sshNodeSource against real OpenSSH servers in network + mount namespaces (test/support/test-nodes.ts):
// one session per node, the batched script, sampled probes, inputs as data, and every way a node
// becomes a gap with a human reason.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeCollection, NodeTarget, ProbeInputs } from '../../src/node/node-source.js';
import type { ProbeName } from '../../src/node/probes.js';
import { PROBES } from '../../src/node/probes.js';
import type { ProbeRegistry } from '../../src/node/script.js';
import { sshNodeSource } from '../../src/node/ssh-source.js';
import type { SshOptions } from '../../src/node/ssh.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';

// The real uname probe plus test fragments the real registry has no use for: which node answered,
// the shared kernel clock (to measure the interval and overlapping sessions), a file from the node's
// own mount namespace, an input echo, and a hang for the node timeout.
const registry: ProbeRegistry = {
  uname: PROBES.uname,
  whoami: { script: 'hostname' },
  clock: { script: 'cat /proc/uptime', sampled: true },
  subnet: { script: 'cat /run/flannel/subnet.env' },
  echo: { script: 'cat', takesInput: true },
  hang: { script: 'sleep 20' },
  busy: { script: 'cat /proc/uptime; sleep 1; cat /proc/uptime' },
};
const probes = (...names: string[]) => names as ProbeName[];

const SUBNET_ENV = 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
const FAKE_SUDO = '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n';

async function collect(opts: SshOptions, targets: NodeTarget[], names: string[], inputs?: (node: string) => ProbeInputs): Promise<NodeCollection[]> {
  const out: NodeCollection[] = [];
  for await (const c of sshNodeSource(opts, { registry }).collect(targets, probes(...names), inputs)) out.push(c);
  return out;
}

const uptime = (s: string) => Number(s.split(' ')[0]);
const accepted = (log: string) => (log.match(/Accepted publickey for root/g) ?? []).length;

describeReal('sshNodeSource against real sshd nodes', { root: true, commands: ['sshd', 'ip', 'ssh', 'nsenter', 'unshare'] }, () => {
  let t: TestNodes;
  let base: SshOptions;

  beforeAll(async () => {
    t = await startTestNodes([
      { name: 'n1', files: { '/run/flannel/subnet.env': SUBNET_ENV } },
      { name: 'n2' },
      { name: 'n3', sshd: 'down' },
      { name: 'n4', hostKey: 'changed' },
      { name: 'n5', files: { '/usr/local/bin/sudo': FAKE_SUDO } },
    ]);
    await t.exec('n5', ['chmod', '755', '/usr/local/bin/sudo']);
    base = { configFile: t.sshConfig };
  }, 330_000);

  afterAll(async () => {
    await t?.stop();
    // Nothing of ours is left: no namespace, no link.
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/^ckn\d+/m);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toMatch(/ckbr0|ckv\d+h/);
  });

  it('a healthy node: one session, the real uname, its own hostname and files, two samples the interval apart', async () => {
    const before = accepted(t.sshdLog('n1'));
    const [c] = await collect({ ...base, sampleIntervalSeconds: 1 }, t.targets(['n1']), ['uname', 'whoami', 'clock', 'subnet']);
    if (!c.reached) throw new Error(`not reached: ${c.reason}`);
    expect(c.intervalSeconds).toBe(1);
    expect(c.problems).toBeUndefined();
    expect(c.samples.uname).toEqual([{ stdout: execFileSync('uname', ['-r'], { encoding: 'utf8' }), exitCode: 0 }]);
    expect(PROBES.uname.parse(c.samples.uname!, 1).release).toMatch(/^\d+\.\d+/);
    expect((c.samples as Record<string, unknown>).whoami).toEqual([{ stdout: 'n1\n', exitCode: 0 }]);
    expect((c.samples as Record<string, unknown>).subnet).toEqual([{ stdout: SUBNET_ENV, exitCode: 0 }]);
    const clock = (c.samples as Record<string, { stdout: string }[]>).clock;
    expect(clock).toHaveLength(2);
    const dt = uptime(clock[1].stdout) - uptime(clock[0].stdout);
    expect(dt).toBeGreaterThanOrEqual(0.95);
    expect(dt).toBeLessThan(2);
    expect(accepted(t.sshdLog('n1')) - before).toBe(1);
    // The file exists only in n1's view.
    expect(existsSync('/run/flannel/subnet.env')).toBe(false);
    expect((await t.exec('n2', ['test', '-e', '/run/flannel/subnet.env'])).exitCode).toBe(1);
  });

  it('--ssh-address name: the destination is the node name, resolved by the ssh config', async () => {
    const [c] = await collect({ ...base, address: 'name' }, [{ name: 'n2', addresses: [] }], ['whoami']);
    expect(c).toMatchObject({ reached: true, samples: { whoami: [{ stdout: 'n2\n', exitCode: 0 }] } });
  });

  it('sshd down: connection refused', async () => {
    const [c] = await collect(base, t.targets(['n3']), ['uname']);
    expect(c).toEqual({ node: 'n3', reached: false, reason: 'connection refused' });
  });

  it('a changed host key: named as such, and no login happens', async () => {
    const [c] = await collect(base, t.targets(['n4']), ['uname']);
    expect(c).toEqual({ node: 'n4', reached: false, reason: 'HOST KEY CHANGED for 198.18.0.14 — possible man-in-the-middle; not connecting' });
    expect(t.sshdLog('n4')).not.toMatch(/Accepted publickey/);
  });

  it('an unknown host key: not accepted on first use, and no login happens', async () => {
    const before = accepted(t.sshdLog('n2'));
    const [c] = await collect({ ...base, options: ['UserKnownHostsFile=/dev/null'] }, t.targets(['n2']), ['uname']);
    expect(c).toEqual({ node: 'n2', reached: false, reason: 'host key verification failed: unknown host key (add it to known_hosts)' });
    expect(accepted(t.sshdLog('n2'))).toBe(before);
  });

  it('an unknown user: permission denied (publickey)', async () => {
    const [c] = await collect({ ...base, user: 'nosuchuser' }, t.targets(['n2']), ['uname']);
    expect(c).toEqual({ node: 'n2', reached: false, reason: 'permission denied (publickey)' });
  });

  it('--sudo where sudo wants a password', async () => {
    const [c] = await collect({ ...base, sudo: true }, t.targets(['n5']), ['uname']);
    expect(c).toEqual({ node: 'n5', reached: false, reason: 'sudo needs a password (use passwordless sudo or connect as root)' });
  });

  it('a node without the chosen address type, and an address that would be an ssh option, are gaps without a connection', async () => {
    const evil = { name: 'evil', addresses: [{ type: 'InternalIP', address: '-oProxyCommand=touch /tmp/pwned-ssh' }] };
    const out = await collect({ ...base, address: 'external-ip' }, t.targets(['n1']), ['uname']);
    expect(out).toEqual([{ node: 'n1', reached: false, reason: expect.stringMatching(/^no ExternalIP address in node.status.addresses/) }]);
    const [e] = await collect(base, [evil], ['uname']);
    expect(e).toMatchObject({ reached: false, reason: expect.stringMatching(/^refusing ssh destination/) });
    expect(existsSync('/tmp/pwned-ssh')).toBe(false);
  });

  it('hostile input strings reach the fragment as exact data and run nothing, on the node or here', async () => {
    const hostile = ["/x'; touch /tmp/pwned; '", '$(touch /tmp/pwned)', '`touch pwned`', '"; touch pwned; "', '\\\'; touch pwned #'];
    const [c] = await collect(base, t.targets(['n2']), ['echo', 'whoami'], (node) => (node === 'n2' ? { echo: hostile } as ProbeInputs : {}));
    if (!c.reached) throw new Error(c.reason);
    expect((c.samples as Record<string, unknown>).echo).toEqual([{ stdout: hostile.join('\n') + '\n', exitCode: 0 }]);
    expect((await t.exec('n2', ['test', '-e', '/tmp/pwned'])).exitCode).toBe(1);
    expect((await t.exec('n2', ['ls', '-A', '/root'])).stdout).toBe(''); // the session's cwd
    expect(existsSync('/tmp/pwned')).toBe(false);
    expect(readdirSync(join(t.dir, 'root'))).toEqual([]);
  });

  it('the node timeout kills the session: finished probes are kept, the cut-off one is a problem', async () => {
    const started = Date.now();
    const [c] = await collect({ ...base, nodeTimeoutSeconds: 2 }, t.targets(['n1']), ['uname', 'hang']);
    expect(Date.now() - started).toBeLessThan(6000);
    if (!c.reached) throw new Error(c.reason);
    expect(c.samples.uname).toHaveLength(1);
    expect((c.samples as Record<string, unknown>).hang).toBeUndefined();
    expect(c.problems).toEqual([{ probe: 'hang', reason: 'timed out after 2s; output truncated: the session ended while this probe ran' }]);
  });

  it('a consumer that stops early kills the sessions still running', async () => {
    const started = Date.now();
    const source = sshNodeSource({ ...base, concurrency: 2 }, { registry });
    const seen: string[] = [];
    for await (const c of source.collect(t.targets(['n3', 'n1']), probes('hang'))) {
      seen.push(c.node);
      break; // n3 (refused) arrives first; n1's session sits in `sleep 20`
    }
    expect(seen).toEqual(['n3']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('yields every node once, as each finishes; --ssh-concurrency bounds sessions at work, not those sleeping out the interval; one per host', async () => {
    // n1 twice under two names (same address): those two sessions must not overlap.
    const alias = { name: 'n1-alias', addresses: [{ type: 'InternalIP', address: t.node('n1').address }] };
    const [n1, n2, n5, n3] = t.targets(['n1', 'n2', 'n5', 'n3']);
    const targets = [n1, n3, alias, n2, n5];
    const started = Date.now();
    const out = await collect({ ...base, concurrency: 2, sampleIntervalSeconds: 1 }, targets, ['clock']);
    expect(out.map((c) => c.node).sort()).toEqual(['n1', 'n1-alias', 'n2', 'n3', 'n5']);
    // The refused node comes first although n1 was started before it: results stream as they finish.
    expect(out[0]).toMatchObject({ node: 'n3', reached: false, reason: 'connection refused' });

    // Each session's window [sample 1, sample 2] on the kernel clock all nodes share.
    const windows = new Map<string, [number, number]>();
    for (const c of out) {
      if (!c.reached) continue;
      const [a, b] = (c.samples as Record<string, { stdout: string }[]>).clock.map((s) => uptime(s.stdout));
      windows.set(c.node, [a, b]);
    }
    expect(windows.size).toBe(4);
    const maxOverlap = Math.max(...[...windows.values()].map(([a]) => [...windows.values()].filter(([x, y]) => x <= a && a < y).length));
    // Two sessions at work at a time, but one sleeping out the interval gave its slot back:
    // more than two sample windows are open at once (before issue 14, exactly two).
    expect(maxOverlap).toBeGreaterThan(2);
    const [a1, b1] = windows.get('n1')!;
    const [a2, b2] = windows.get('n1-alias')!;
    expect(b1 <= a2 || b2 <= a1).toBe(true);
    // Four 1 s sessions: n1-alias waits for n1 (one per host), so two intervals, not four.
    expect(Date.now() - started).toBeLessThan(2.9 * 1000 + 2000);
  });

  it('without a sample interval nothing waits: a session holds its slot to the end, --ssh-concurrency at a time', async () => {
    const out = await collect({ ...base, concurrency: 2, sampleIntervalSeconds: 0 }, t.targets(['n1', 'n2', 'n5']), ['busy']);
    const windows = out.map((c) => {
      if (!c.reached) throw new Error(`${c.node} not reached: ${c.reason}`);
      const [a, b] = (c.samples as Record<string, { stdout: string }[]>).busy![0]!.stdout.trim().split('\n').map(uptime);
      return [a!, b!] as const;
    });
    expect(windows).toHaveLength(3);
    const maxOverlap = Math.max(...windows.map(([a]) => windows.filter(([x, y]) => x <= a && a < y).length));
    expect(maxOverlap).toBe(2);
  });
});
