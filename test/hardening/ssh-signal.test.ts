// Probing more than 10 nodes must not print MaxListenersExceededWarning on stderr: each SSH session
// gets its own abort signal, rather than all of them listening on one. Real ssh, to 16 loopback
// addresses where nothing listens (connection refused at once), in a child process of the built code
// so its stderr is exactly what a user would see.
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../support/cli.js';

const SCRIPT = `
import { sshNodeSource } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'node', 'ssh-source.js'))};
const nodes = Array.from({ length: 16 }, (_, i) => ({ name: 'n' + i, addresses: [{ type: 'InternalIP', address: '127.0.0.' + (i + 2) }] }));
const source = sshNodeSource({ port: 1, configFile: '/dev/null', concurrency: 16, nodeTimeoutSeconds: 10 });
const reasons = [];
for await (const c of source.collect(nodes, ['uname'])) reasons.push(c.reached ? 'reached' : c.reason);
console.log(JSON.stringify(reasons));
`;

describe('many SSH sessions at once', () => {
  it('no MaxListenersExceededWarning with 16 nodes in flight, and each node gets its own reason', async () => {
    const r = await execa('node', ['--input-type=module', '-e', SCRIPT], { reject: false, timeout: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(Array(16).fill('connection refused'));
    expect(r.stderr).not.toMatch(/MaxListenersExceeded/);
  });
});
