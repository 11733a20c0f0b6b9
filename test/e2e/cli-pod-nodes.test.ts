// End to end, both transports on the same real faults: the built CLI against the test API server and
// real test nodes (network + mount namespaces), once over SSH and once with --node-access pod while
// every sshd is down. The API server's kubelet runs each probe pod's command in its node's network and
// mount namespaces, in a busybox image with the node's root at the pod's /host mount, read-only. The
// faults: a cni0 bridge with a stale address, an accept queue overflowing, a kubelet disk past its
// eviction threshold, a hostPath log directory filling its disk — and hostPaths that are shell commands.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';
import { testNodeKubelet } from '../support/test-node-kubelet.js';
import type { KubeObject } from '../../src/kube/resources.js';
import type { Report } from '../../src/report/model.js';

const MARKER = '/tmp/checkup-e2e-pod-pwned';
const HOSTILE = [`/srv/logs/x'; touch ${MARKER}; '`, `/srv/$(touch ${MARKER})`];
const CHECKS = 'syn-backlog,cni0-bridge-mismatch,kubelet-gc,hostpath-log-growth';
const NS = 'checkup-probes';

const ownJournal = '#!/bin/sh\n# test node: its own (empty) kernel journal\ncase "$*" in *"-n 1"*) echo "Nov 25 00:00:00 node kernel: Linux version (test node)";; esac\n';
const flannel = (subnet: string) => ({
  '/run/flannel/subnet.env': `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=${subnet}\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
  '/etc/cni/net.d/10-flannel.conflist': '{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"hairpinMode":true,"isDefaultGateway":true}}]}\n',
  '/usr/bin/journalctl': ownJournal,
});
const KUBELET_CONFIG = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nevictionHard:\n  memory.available: 100Mi\n  nodefs.available: 10%\n  nodefs.inodesFree: 5%\n  imagefs.available: 15%\nimageGCHighThresholdPercent: 85\nimageGCLowThresholdPercent: 80\n';

const node = (name: string, address: string, podCIDR: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name, uid: `uid-${name}`, creationTimestamp: '2026-11-01T00:00:00Z', labels: { 'kubernetes.io/hostname': name } },
  spec: { podCIDR, podCIDRs: [podCIDR] },
  status: {
    addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
    conditions: [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'False' }],
    nodeInfo: { kernelVersion: '6.1.0-28-amd64', kubeletVersion: 'v1.32.4', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.24', architecture: 'amd64', operatingSystem: 'linux' },
  },
} as unknown as KubeObject);

/** What a finding is about, without numbers that move between two runs (rates, bytes used). */
const key = (f: Report['findings'][number]) => `${f.check} ${f.rule ?? ''} ${f.target.kind}/${f.target.namespace ?? ''}/${f.target.name} ${f.severity}`;
const keys = (r: Report) => r.findings.filter((f) => f.severity !== 'info').map(key).sort();

describeReal('the same node faults through probe pods as over SSH', { root: true, commands: ['sshd', 'ssh', 'ip', 'nsenter', 'unshare', 'du', 'df', 'timeout', 'kubectl', 'busybox'] }, () => {
  let nodes: TestNodes;
  let server: FakeApiServer;
  let tmp: string;
  let kubeconfig: string;
  let stopFlood: (() => Promise<void>) | undefined;
  let viaSsh: Report;
  let viaPod: Report;
  let podRun: { code: number; stderr: string };

  /** Keeps new connections coming to ckq3's full accept queue while a run samples twice. */
  async function flooding<T>(fn: () => Promise<T>): Promise<T> {
    const sockets: Socket[] = [];
    const address = nodes.node('ckq3').address;
    const timer = setInterval(() => {
      if (sockets.length >= 300) return;
      const s = connect({ host: address, port: 8080 });
      s.on('error', () => {});
      sockets.push(s);
    }, 40);
    try {
      return await fn();
    } finally {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
    }
  }

  beforeAll(async () => {
    rmSync(MARKER, { force: true });
    nodes = await startTestNodes([
      { name: 'ckq1', files: flannel('10.244.1.1/24'), cni0: '10.244.1.1/24' },                  // healthy
      { name: 'ckq2', files: flannel('10.244.2.1/24'), cni0: '10.244.9.1/24' },                  // stale bridge address
      { name: 'ckq3', files: flannel('10.244.3.1/24'), cni0: '10.244.3.1/24' },                  // accept queue overflowing
      {
        name: 'ckq4', cni0: '10.244.4.1/24',                                                         // full disks, hostile hostPaths
        tmpfs: [{ path: '/var/lib/kubelet', sizeMb: 32 }, { path: '/srv/logs', sizeMb: 16 }],
        files: { ...flannel('10.244.4.1/24'), '/var/lib/kubelet/config.yaml': KUBELET_CONFIG, '/srv/logs/app.log': 'start\n', [`${HOSTILE[0]}/h.log`]: 'x\n' },
      },
    ]);
    await nodes.exec('ckq4', ['sh', '-c', 'head -c 30500000 /dev/zero > /var/lib/kubelet/filler && head -c 15200000 /dev/zero > /srv/logs/app.log']);
    const objects = {
      Node: nodes.nodes.map((n) => node(n.name, n.address, `10.244.${n.index}.0/24`)),
      ReplicaSet: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'shipper-6b7c9d', namespace: 'logs', uid: 'rs1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'shipper', uid: 'd1', controller: true }] }, spec: { selector: { matchLabels: { app: 'shipper' } } } }],
      Pod: [{
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'shipper-6b7c9d-a', namespace: 'logs', uid: 'p1', labels: { app: 'shipper' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shipper-6b7c9d', uid: 'rs1', controller: true }] },
        spec: {
          nodeName: 'ckq4',
          volumes: ['/srv/logs', ...HOSTILE].map((path, i) => ({ name: `v${i}`, hostPath: { path } })),
          containers: [{ name: 'app', image: 'shipper:1', volumeMounts: [0, 1, 2].map((i) => ({ name: `v${i}`, mountPath: `/mnt/${i}` })) }],
        },
        status: { phase: 'Running' },
      }],
    } as unknown as NonNullable<Parameters<typeof startFakeApiServer>[0]>['objects'];
    server = await startFakeApiServer({
      objects, tls: true, token: 'pod-e2e',
      // The kubelet endpoints are refused, so kubelet-gc reads the config file and df on the node.
      nodeProxyForbidden: nodes.nodes.map((n) => n.name),
      pods: { kubelet: testNodeKubelet(nodes), namespaces: ['default', 'kube-system', NS] },
    });
    tmp = mkdtempSync(join(tmpdir(), 'checkup-e2e-pod-'));
    kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'lab' });
    stopFlood = await nodes.floodListener('ckq3', 8080);

    const common = ['--kubeconfig', kubeconfig, '--checks', CHECKS, '--sample-interval', '2', '--node-timeout', '20', '-o', 'json'];
    const ssh = await flooding(() => runCli([...common, '--ssh-config', nodes.sshConfig], { timeoutMs: 120_000 }));
    viaSsh = JSON.parse(ssh.stdout) as Report;

    // SSH closed on every node: only the pods can reach them now.
    for (const n of nodes.nodes) await nodes.stopSshd(n.name);
    const before = server.requests.length;
    const pod = await flooding(() => runCli([...common, '--node-access', 'pod', '--probe-namespace', NS, '--save-snapshot', join(tmp, 'snap')], { timeoutMs: 120_000 }));
    podRun = { code: pod.code, stderr: pod.stderr };
    viaPod = JSON.parse(pod.stdout) as Report;
    podRequests = server.requests.slice(before);
  }, 330_000);
  let podRequests: FakeApiServer['requests'] = [];

  afterAll(async () => {
    await stopFlood?.();
    await nodes?.stop();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    rmSync(MARKER, { force: true });
  });

  it('reaches every node through pods with SSH closed', () => {
    expect(viaPod.summary.nodes).toEqual({ total: 4, reached: 4 });
    // Only the gap the test set up (kubelet endpoints refused); no node gap, no probe gap.
    expect(viaPod.gaps).toEqual([{ source: 'api', resource: 'nodes/proxy', reason: 'forbidden' }]);
    expect(viaPod.gaps).toEqual(viaSsh.gaps);
    expect(podRun.stderr).toMatch(/^snapshot saved to \S+ \([^\n]*\)$/);
    expect(podRun.code).toBe(1);
  });

  it('finds the same faults both ways', () => {
    expect(viaSsh.summary.nodes).toEqual({ total: 4, reached: 4 });
    expect(keys(viaPod)).toEqual(keys(viaSsh));
    const on = (r: Report, check: string, name: string) => r.findings.filter((f) => f.check === check && f.target.name === name && f.severity !== 'info');
    for (const r of [viaSsh, viaPod]) {
      expect(on(r, 'cni0-bridge-mismatch', 'ckq2').map((f) => f.severity)).toEqual(['critical']);
      expect(JSON.stringify(on(r, 'syn-backlog', 'ckq3').map((f) => f.evidence))).toContain('ListenOverflows');
      expect(on(r, 'kubelet-gc', 'ckq4').some((f) => f.severity === 'critical')).toBe(true);
      expect(JSON.stringify(on(r, 'hostpath-log-growth', 'shipper').map((f) => f.evidence))).toContain('/srv/logs');
      expect(r.findings.filter((f) => f.target.name === 'ckq1')).toEqual([]);
    }
  });

  it('a snapshot of the pod run replays like an SSH run', async () => {
    const r = await runCli(['--snapshot', join(tmp, 'snap'), '--checks', CHECKS, '-o', 'json']);
    const replay = JSON.parse(r.stdout) as Report;
    expect(keys(replay)).toEqual(keys(viaSsh));
    expect(replay.summary.nodes).toEqual({ total: 4, reached: 4 });
  });

  it('hostPaths that are shell commands reach the node as data through the pod too, and run nothing', () => {
    expect(existsSync(MARKER)).toBe(false);
  });

  it('leaves no pod behind, and its only writes are pod creates and deletes in the probe namespace', () => {
    expect(server.pods!.current()).toEqual([]);
    const writes = podRequests.filter((r) => r.method !== 'GET');
    expect(writes.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(Array(4).fill(`/api/v1/namespaces/${NS}/pods`));
    expect(writes.filter((r) => r.method === 'DELETE')).toHaveLength(4);
    for (const w of writes) expect(w.path).toMatch(new RegExp(`^/api/v1/namespaces/${NS}/pods(/checkup-[0-9a-f]+-\\d+)?$`));
    expect(writes).toHaveLength(8);
  });

  it('--dry-run prints the manifests and creates nothing', async () => {
    const before = server.requests.length;
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', CHECKS, '--node-access', 'pod', '--probe-namespace', NS, '--dry-run', '--nodes', 'ckq1,ckq4'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => [d.kind, d.metadata.namespace, d.spec.nodeName])).toEqual([['Pod', NS, 'ckq1'], ['Pod', NS, 'ckq4']]);
    expect(docs[1].spec.containers[0].command.join('')).toContain('begin hostpathUsage');
    expect(server.requests.slice(before).filter((x) => x.method !== 'GET')).toEqual([]);
    // kubectl reads the output as the two pods it describes (ready to `kubectl create -f` by hand).
    const file = join(tmp, 'dry-run.yaml');
    writeFileSync(file, r.stdout);
    const k = await execa('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(tmp, 'kcache'), 'create', '--dry-run=client', '--validate=false', '-o', 'name', '-f', file], { reject: false });
    expect(k.stderr).toBe('');
    expect(k.stdout.trim().split('\n')).toEqual([`pod/${docs[0].metadata.name}`, `pod/${docs[1].metadata.name}`]);
  });
});
