// The ssh command line and the failure mapping, as pure functions. The same behaviour is exercised
// against real sshd nodes in ssh.test.ts; these tables pin the details (flag order, `--`, messages).
import { describe, expect, it } from '@jest/globals';
import { describeSshFailure, sshArgs, unsafeDestination } from '../../src/node/ssh.js';
import { pickAddress } from '../../src/node/ssh-source.js';

describe('sshArgs', () => {
  it('passes only what the user gave, BatchMode first, the destination after --', () => {
    expect(sshArgs('10.0.0.7', {})).toEqual([
      '-T', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', '--', '10.0.0.7', 'sh -s',
    ]);
  });

  it('maps every flag 1:1 and lets the user\'s -o win over our defaults but not over BatchMode', () => {
    const args = sshArgs('node-1', {
      user: 'admin', identity: '/k/id', port: 2222, configFile: '/c/cfg', jump: 'bastion',
      options: ['ConnectTimeout=3', 'BatchMode=no'], sudo: true, nodeTimeoutSeconds: 5,
    });
    expect(args).toEqual([
      '-T', '-o', 'BatchMode=yes', '-F', '/c/cfg', '-l', 'admin', '-i', '/k/id', '-p', '2222', '-J', 'bastion',
      '-o', 'ConnectTimeout=3', '-o', 'BatchMode=no', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
      '--', 'node-1', 'sudo -n sh -s',
    ]);
    // ssh keeps the first value of an option: ours for BatchMode, the user's for ConnectTimeout.
    expect(args.indexOf('BatchMode=yes')).toBeLessThan(args.indexOf('BatchMode=no'));
    expect(args.indexOf('ConnectTimeout=3')).toBeLessThan(args.indexOf('ConnectTimeout=5'));
    expect(args.join(' ')).not.toMatch(/StrictHostKeyChecking|UserKnownHostsFile/);
  });

  it('refuses a destination that could become an option, a user or another argument', () => {
    for (const bad of ['-oProxyCommand=touch /tmp/pwned', 'root@evil', 'a b', 'x\ny', 'x;y', '', 'a'.repeat(300), 'ssh://h']) {
      expect(unsafeDestination(bad)).not.toBeNull();
      expect(() => sshArgs(bad, {})).toThrow(/unsafe ssh destination/);
    }
    for (const ok of ['10.0.0.1', 'fd00::12', 'ip-10-0-0-1.ec2.internal', 'node_1']) expect(unsafeDestination(ok)).toBeNull();
  });
});

describe('describeSshFailure', () => {
  // Messages as OpenSSH 9.2 prints them (captured from the test nodes and ssh itself).
  const table: [number | undefined, string, string, object?][] = [
    [255, '@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n…\nHost key for 198.18.0.14 has changed and you have requested strict checking.\nHost key verification failed.\n',
      'HOST KEY CHANGED for 10.0.0.9 — possible man-in-the-middle; not connecting'],
    [255, 'No ED25519 host key is known for 198.18.0.11 and you have requested strict checking.\nHost key verification failed.\n',
      'host key verification failed: unknown host key (add it to known_hosts)'],
    [255, 'nosuchuser@198.18.0.11: Permission denied (publickey).\n', 'permission denied (publickey)'],
    [255, 'ssh: connect to host 198.18.0.13 port 22: Connection refused\n', 'connection refused'],
    [255, 'ssh: connect to host 10.1.1.1 port 22: Connection timed out\n', 'connection timed out after 10s'],
    [255, 'ssh: connect to host 10.1.1.1 port 22: Connection timed out\n', 'connection timed out after 4s', { options: ['ConnectTimeout=4'] }],
    [255, 'ssh: Could not resolve hostname nope: Name or service not known\n', 'could not resolve hostname'],
    [255, 'ssh: connect to host 198.18.0.99 port 22: No route to host\n', 'no route to host'],
    [255, 'kex_exchange_identification: Connection reset by peer\n', 'connection closed by the node before login (sshd MaxStartups or a firewall?)'],
    [1, 'sudo: a password is required\n', 'sudo needs a password (use passwordless sudo or connect as root)', { sudo: true }],
    [127, 'bash: line 1: sudo: command not found\n', 'sudo not found on the node', { sudo: true }],
    [127, 'bash: line 1: sh: command not found\n', 'sh not found on the node'],
    [3, 'weird\x1b[31m failure\n', 'ssh exited with 3: weird[31m failure'],
    [255, '', 'ssh exited with 255'],
  ];
  it.each(table)('exit %s: %j', (code, stderr, reason, opts = {}) => {
    expect(describeSshFailure(code, stderr, '10.0.0.9', opts)).toBe(reason);
  });
});

describe('pickAddress', () => {
  const node = { name: 'node-1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'node-1.internal' }] };
  it('follows --ssh-address', () => {
    expect(pickAddress(node)).toEqual({ host: '10.0.0.1' });
    expect(pickAddress(node, 'hostname')).toEqual({ host: 'node-1.internal' });
    expect(pickAddress(node, 'name')).toEqual({ host: 'node-1' });
  });
  it('a node without that address type is a reason, not a guess', () => {
    expect(pickAddress(node, 'external-ip')).toEqual({
      reason: 'no ExternalIP address in node.status.addresses (has: InternalIP, Hostname); choose another with --ssh-address',
    });
  });
  it('an address from the cluster that could become an ssh option is refused', () => {
    const evil = { name: 'n', addresses: [{ type: 'InternalIP', address: '-oProxyCommand=touch /tmp/pwned' }] };
    expect(pickAddress(evil)).toEqual({ reason: expect.stringMatching(/^refusing ssh destination .*starts with "-"/) });
  });
});
