// End to end on real nodes: the built CLI against the test API server and sshd test nodes in network
// namespaces, with real faults injected in their kernels — a cni0 bridge with the wrong address, a
// listener whose accept queue overflows — plus a node whose sshd is down, one with a changed host key,
// one healthy node, and a Node object whose address tries to smuggle a shell command.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';
import type { KubeObject } from '../../src/kube/resources.js';
import type { Report } from '../../src/report/model.js';

const MARKER = '/tmp/checkup-e2e-pwned';
const NETWORK_CHECKS = 'syn-backlog,arp-neighbor-overflow,cni0-bridge-mismatch';

// The machine's kernel log is shared by every test node (one kernel); on a real cluster each node has
// its own. Each node gets a journalctl of its own that shows this node's kernel journal: empty.
const ownJournal = '#!/bin/sh\n# test node: its own (empty) kernel journal\ncase "$*" in *"-n 1"*) echo "Nov 25 00:00:00 node kernel: Linux version (test node)";; esac\n';
const flannel = (subnet: string) => ({
  '/run/flannel/subnet.env': `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=${subnet}\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
  '/etc/cni/net.d/10-flannel.conflist': '{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"hairpinMode":true,"isDefaultGateway":true}},{"type":"portmap","capabilities":{"portMappings":true}}]}\n',
  '/usr/bin/journalctl': ownJournal,
});

const node = (name: string, address: string, podCIDR: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name, uid: `uid-${name}`, creationTimestamp: '2026-11-01T00:00:00Z', labels: { 'kubernetes.io/hostname': name } },
  spec: { podCIDR, podCIDRs: [podCIDR] },
  status: {
    addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2026-11-25T00:00:00Z', lastTransitionTime: '2026-11-01T00:00:00Z' }],
    nodeInfo: { kernelVersion: '6.1.0-28-amd64', kubeletVersion: 'v1.32.4', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.24', architecture: 'amd64', operatingSystem: 'linux' },
  },
} as unknown as KubeObject);

describeReal('kubectl-checkup on real SSH nodes', { root: true, commands: ['sshd', 'ssh', 'ip', 'kubectl'] }, () => {
  let nodes: TestNodes;
  let server: FakeApiServer;
  let tmp: string;
  let kubeconfig: string;
  let stopFlood: (() => Promise<void>) | undefined;
  let report: Report;
  let code: number;
  let stderr: string;

  beforeAll(async () => {
    rmSync(MARKER, { force: true });
    nodes = await startTestNodes([
      { name: 'ckn1', files: flannel('10.244.1.1/24'), cni0: '10.244.1.1/24' },                  // healthy
      { name: 'ckn2', files: flannel('10.244.2.1/24'), cni0: '10.244.9.1/24' },                  // bridge with a stale address
      { name: 'ckn3', files: flannel('10.244.3.1/24'), cni0: '10.244.3.1/24' },                  // accept queue overflowing
      { name: 'ckn4', files: flannel('10.244.4.1/24'), sshd: 'down' },
      { name: 'ckn5', files: flannel('10.244.5.1/24'), hostKey: 'changed' },
    ]);
    const objects = {
      Node: [
        ...nodes.nodes.map((n) => node(n.name, n.address, `10.244.${n.index}.0/24`)),
        node('evil', `${nodes.node('ckn1').address};touch${'${IFS}'}${MARKER}`, '10.244.6.0/24'),
      ],
    };
    server = await startFakeApiServer({ objects, tls: true, token: 'nodes-e2e' });
    tmp = mkdtempSync(join(tmpdir(), 'checkup-e2e-nodes-'));
    kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'lab' });

    stopFlood = await nodes.floodListener('ckn3', 8080);
    // Keep new connection attempts coming while the CLI samples, so the overflow counter is rising
    // between its two samples (bounded: at most 300 attempts, all to the test node).
    const sockets: Socket[] = [];
    const address = nodes.node('ckn3').address;
    const keepFlooding = setInterval(() => {
      if (sockets.length >= 300) return;
      const s = connect({ host: address, port: 8080 });
      s.on('error', () => {});
      sockets.push(s);
    }, 40);
    try {
      const r = await runCli(['--kubeconfig', kubeconfig, '--checks', NETWORK_CHECKS, '--ssh-config', nodes.sshConfig,
        '--sample-interval', '2', '--node-timeout', '15', '-o', 'json'], { timeoutMs: 90_000 });
      code = r.code;
      stderr = r.stderr;
      report = JSON.parse(r.stdout) as Report;
    } finally {
      clearInterval(keepFlooding);
      for (const s of sockets) s.destroy();
    }
  });

  afterAll(async () => {
    await stopFlood?.();
    await nodes?.stop();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the stale cni0 address on ckn2, with the node\'s own values in the fix', () => {
    const f = report.findings.filter((x) => x.check === 'cni0-bridge-mismatch');
    expect(f.map((x) => [x.target.name, x.severity])).toEqual([['ckn2', 'critical']]);
    expect(f[0]!.message).toContain('10.244.9.1/24');
    expect(f[0]!.expected).toContain('10.244.2.1');
    expect(f[0]!.remediation.steps!.join('\n')).toMatch(/kubectl (cordon|drain) ckn2/);
  });

  it('finds the overflowing accept queue on ckn3 from the rate between two samples', () => {
    const f = report.findings.filter((x) => x.check === 'syn-backlog' && x.target.name === 'ckn3' && x.severity !== 'info');
    expect(f.length).toBeGreaterThan(0);
    expect(JSON.stringify(f.map((x) => x.evidence))).toContain('ListenOverflows');
  });

  it('flags nothing on the healthy node ckn1', () => {
    expect(report.findings.filter((x) => x.target.name === 'ckn1')).toEqual([]);
  });

  it('reports the down node and the changed host key as gaps with their reasons, and the rest ran', () => {
    const sshGaps = report.gaps.filter((g) => g.source === 'ssh' && !('probe' in g && g.probe));
    expect(sshGaps).toContainEqual({ source: 'ssh', node: 'ckn4', reason: expect.stringMatching(/connection refused|timed out/) });
    expect(sshGaps).toContainEqual({ source: 'ssh', node: 'ckn5', reason: expect.stringMatching(/HOST KEY CHANGED/i) });
    expect(report.summary.nodes).toEqual({ total: 6, reached: 3 });
    expect(nodes.sshdLog('ckn5')).not.toMatch(/Accepted publickey/);
  });

  it('never turns a cluster-supplied address into a command', () => {
    expect(report.gaps).toContainEqual({ source: 'ssh', node: 'evil', reason: expect.stringContaining('refusing ssh destination') });
    expect(existsSync(MARKER)).toBe(false);
  });

  it('is honest about data that exists only in the initial network namespace', () => {
    const arp = report.checks.find((c) => c.id === 'arp-neighbor-overflow')!;
    expect(arp.status).toBe('skip');
    expect(arp.reason).toMatch(/^neighStats: /);
    expect(report.gaps.some((g) => g.source === 'ssh' && g.probe === 'neighStats')).toBe(true);
  });

  it('exits 1 on the critical findings and prints progress nowhere but a terminal', () => {
    expect(code).toBe(1);
    expect(stderr).toBe('');
  });

  it('--no-ssh evaluates the API side only and says node checks were not evaluated', async () => {
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', NETWORK_CHECKS, '--no-ssh', '-o', 'json']);
    expect(r.code).toBe(0);
    const noSsh = JSON.parse(r.stdout) as Report;
    expect(noSsh.checks.map((c) => [c.id, c.status, c.reason])).toEqual([
      ['arp-neighbor-overflow', 'skip', 'node checks not evaluated: --no-ssh'],
      ['cni0-bridge-mismatch', 'pass', 'node checks not evaluated: --no-ssh'],
      ['syn-backlog', 'skip', 'node checks not evaluated: --no-ssh'],
    ]);
    expect(noSsh.summary.nodes).toEqual({ total: 6, reached: 0 });
  });
});
