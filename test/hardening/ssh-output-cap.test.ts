// A node that sends without end (a broken shell profile, a hostile node) cannot fill the memory: the
// session is stopped at the output cap and the node's data becomes a gap with the reason, while what
// arrived before the flood stays usable. Against a real sshd test node.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { runSshSession, MAX_NODE_OUTPUT_BYTES } from '../../src/node/ssh.js';
import { sshNodeSource } from '../../src/node/ssh-source.js';
import { PROBES, type ProbeName } from '../../src/node/probes.js';
import type { NodeCollection } from '../../src/node/node-source.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';

describeReal('a node that floods its output', { root: true, commands: ['sshd', 'ip', 'ssh', 'nsenter', 'unshare'] }, () => {
  let t: TestNodes;
  beforeAll(async () => { t = await startTestNodes([{ name: 'f1' }]); }, 330_000);
  afterAll(async () => { await t?.stop(); });

  it('the session stops at the cap with a reason; the output kept is at most the cap', async () => {
    const r = await runSshSession(t.node('f1').address, 'head -c 100000000 /dev/zero | tr "\\0" x\necho done', { configFile: t.sshConfig, timeoutSeconds: 60, doneMarker: 'done\n' });
    expect(r.failure).toBe(`the node sent more than ${MAX_NODE_OUTPUT_BYTES / 1024 / 1024} MiB of output; the session was stopped`);
    expect(r.stdout.length).toBeLessThanOrEqual(MAX_NODE_OUTPUT_BYTES);
    const small = await runSshSession(t.node('f1').address, 'head -c 100000 /dev/zero | tr "\\0" x\necho done', { configFile: t.sshConfig, timeoutSeconds: 60, doneMarker: 'done\n', maxOutputBytes: 1000 });
    expect(small.failure).toMatch(/more than 0 MiB of output/);
  }, 120_000);

  it('through the node source: the probe before the flood keeps its sample, the flooding one is a gap', async () => {
    const registry = { uname: PROBES.uname, flood: { script: 'head -c 100000000 /dev/zero | tr "\\0" x' } };
    const out: NodeCollection[] = [];
    for await (const c of sshNodeSource({ configFile: t.sshConfig }, { registry }).collect(t.targets(['f1']), ['uname', 'flood'] as ProbeName[])) out.push(c);
    const c = out[0]!;
    expect(c.reached).toBe(true);
    if (!c.reached) return;
    // Probes run in the order asked: uname ran before the flood and its sample arrived whole.
    expect(c.samples.uname?.[0]?.stdout).toMatch(/^\d+\.\d+/);
    expect(c.problems?.find((p) => p.probe === 'flood')?.reason).toMatch(/^the node sent more than 32 MiB of output; the session was stopped; output truncated/);
  }, 120_000);
});
