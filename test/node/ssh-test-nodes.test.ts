// The test-node harness itself: what other tests build on must really be there (per-node files and
// tmpfs without touching the host, cni0, a listener that overflows, neighbour entries), and it must
// clean up after itself and after a crashed run.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';

const counter = (netstat: string, key: string) => {
  const [names, values] = netstat.split('\n').filter((l) => l.startsWith('TcpExt:')).map((l) => l.split(/\s+/));
  return Number(values[names.indexOf(key)]);
};

describeReal('test nodes', { root: true, commands: ['sshd', 'ip', 'ssh', 'nsenter', 'unshare', 'perl'] }, () => {
  let t: TestNodes;
  const hostHostname = readFileSync('/etc/hostname', 'utf8');

  beforeAll(async () => {
    // What a crashed run leaves behind (fixed names) is removed by the next start.
    execFileSync('ip', ['netns', 'add', 'ckn199']);
    t = await startTestNodes([
      {
        name: 'k1',
        cni0: '10.244.3.1/24',
        tmpfs: [{ path: '/var/lib/kubelet', sizeMb: 8 }],
        files: {
          '/var/lib/kubelet/config.yaml': 'kind: KubeletConfiguration\n',
          '/etc/kubernetes/kubelet.conf': 'apiVersion: v1\n',
          '/etc/hostname': 'k1-file\n',
        },
      },
      { name: 'k2' },
    ]);
  }, 330_000);

  afterAll(async () => {
    await t?.stop();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/^ckn\d+/m);
  });

  it('removed the leftovers of an earlier run', () => {
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/^ckn199\b/m);
  });

  it('each node has its own files, tmpfs, hostname and cni0; the host is untouched', async () => {
    expect((await t.exec('k1', ['cat', '/var/lib/kubelet/config.yaml'])).stdout).toBe('kind: KubeletConfiguration\n');
    expect((await t.exec('k1', ['cat', '/etc/kubernetes/kubelet.conf'])).stdout).toBe('apiVersion: v1\n');
    expect((await t.exec('k1', ['cat', '/etc/hostname'])).stdout).toBe('k1-file\n');
    expect((await t.exec('k1', ['hostname'])).stdout).toBe('k1\n');
    const df = (await t.exec('k1', ['df', '-k', '--output=fstype,size', '/var/lib/kubelet'])).stdout.trim().split('\n')[1].trim().split(/\s+/);
    expect(df).toEqual(['tmpfs', String(8 * 1024)]);
    const cni0 = JSON.parse((await t.exec('k1', ['ip', '-j', 'addr', 'show', 'cni0'])).stdout);
    expect(cni0[0].addr_info).toContainEqual(expect.objectContaining({ local: '10.244.3.1', prefixlen: 24 }));

    expect((await t.exec('k2', ['test', '-e', '/var/lib/kubelet'])).exitCode).toBe(1);
    expect((await t.exec('k2', ['ip', 'link', 'show', 'cni0'])).exitCode).not.toBe(0);
    expect(existsSync('/var/lib/kubelet')).toBe(false);
    expect(existsSync('/etc/kubernetes')).toBe(false);
    expect(readFileSync('/etc/hostname', 'utf8')).toBe(hostHostname);
  });

  it('sshd can be stopped and started again', async () => {
    const ssh = () => execFileSync('ssh', ['-F', t.sshConfig, 'k2', 'hostname'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(ssh()).toBe('k2\n');
    await t.stopSshd('k2');
    expect(ssh).toThrow(/Connection refused/);
    await t.startSshd('k2');
    expect(ssh()).toBe('k2\n');
  });

  it('floodListener overflows a listen queue in that node netns only', async () => {
    const host = counter(readFileSync('/proc/net/netstat', 'utf8'), 'ListenOverflows');
    const before = counter((await t.exec('k1', ['cat', '/proc/net/netstat'])).stdout, 'ListenOverflows');
    const stop = await t.floodListener('k1', 8080);
    const after = counter((await t.exec('k1', ['cat', '/proc/net/netstat'])).stdout, 'ListenOverflows');
    expect(after).toBeGreaterThan(before);
    expect((await t.exec('k1', ['ss', '-Hltn', 'sport = :8080'])).stdout).toMatch(/LISTEN/);
    await stop();
    expect((await t.exec('k1', ['ss', '-Hltn', 'sport = :8080'])).stdout).toBe('');
    expect(counter((await t.exec('k2', ['cat', '/proc/net/netstat'])).stdout, 'ListenOverflows')).toBe(0);
    // The host's counter is its own (other things on this machine may move it, never down).
    expect(counter(readFileSync('/proc/net/netstat', 'utf8'), 'ListenOverflows')).toBeGreaterThanOrEqual(host);
  });

  it('addNeighbours: permanent entries past gc_thresh3 count globally; arp_cache and gc_thresh are init-netns only', async () => {
    const thresh3 = Number(readFileSync('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8'));
    const want = thresh3 + 100;
    const got = await t.addNeighbours('k1', want);
    expect(got).toBeGreaterThanOrEqual(want);
    const arp = (await t.exec('k1', ['cat', '/proc/net/arp'])).stdout.trim().split('\n').length - 1;
    expect(arp).toBeGreaterThanOrEqual(want);
    const hostEntries = parseInt(readFileSync('/proc/net/stat/arp_cache', 'utf8').split('\n')[1].split(/\s+/)[0], 16);
    expect(hostEntries).toBeGreaterThanOrEqual(want);
    expect((await t.exec('k1', ['test', '-e', '/proc/net/stat/arp_cache'])).exitCode).toBe(1);
    expect((await t.exec('k1', ['test', '-e', '/proc/sys/net/ipv4/neigh/default/gc_thresh3'])).exitCode).toBe(1);
    expect((await t.exec('k2', ['ip', 'neigh', 'show', 'dev', 'ckarp0'])).exitCode).not.toBe(0);
  });

  it('a second run waits for the first (fixed names), and gives up with a clear error', async () => {
    await expect(startTestNodes([{ name: 'x' }], { lockWaitMs: 300 })).rejects.toThrow(/test nodes are in use by process \d+/);
    expect((await t.exec('k1', ['hostname'])).stdout).toBe('k1\n');
  });
});
