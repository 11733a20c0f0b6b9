// End to end for the disk checks: the built CLI against the test API server and two sshd test nodes.
// ckd1's kubelet endpoints are served by the API server (configz with a partial evictionHard);
// ckd2's are refused (RBAC per node), so its kubelet config and disks are read over SSH, where a
// small tmpfs /var/lib/kubelet is filled past the eviction threshold and a hostPath log directory on
// another tmpfs fills up — next to hostPaths whose names are shell commands.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';
import type { KubeObject } from '../../src/kube/resources.js';
import type { Report } from '../../src/report/model.js';

const MARKER = '/tmp/checkup-e2e-disk-pwned';
const HOSTILE = [`/srv/logs/x'; touch ${MARKER}; '`, `/srv/$(touch ${MARKER})`];
const GiB = 1024 ** 3;

const CONFIG_FILE = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nevictionHard:\n  memory.available: 100Mi\n  nodefs.available: 10%\n  nodefs.inodesFree: 5%\n  imagefs.available: 15%\nimageGCHighThresholdPercent: 85\nimageGCLowThresholdPercent: 80\n';
const fs = (capacity: number, available: number) => ({ time: '2026-11-25T10:00:00Z', capacityBytes: capacity, availableBytes: available, usedBytes: capacity - available, inodes: 6553600, inodesFree: 6000000, inodesUsed: 553600 });

const node = (name: string, address: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}` },
  status: {
    addresses: [{ type: 'InternalIP', address }],
    conditions: [{ type: 'DiskPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
    nodeInfo: { kubeletVersion: 'v1.31.4', containerRuntimeVersion: 'containerd://1.7.24', kernelVersion: '6.1.0-28-amd64', osImage: 'Debian GNU/Linux 12', architecture: 'amd64', operatingSystem: 'linux' },
  },
} as unknown as KubeObject);

describeReal('kubectl-checkup disk checks on real SSH nodes', { root: true, commands: ['sshd', 'ssh', 'ip', 'du', 'df', 'timeout'] }, () => {
  let nodes: TestNodes;
  let server: FakeApiServer;
  let tmp: string;
  let report: Report;
  let snapshot: string;

  beforeAll(async () => {
    rmSync(MARKER, { force: true });
    nodes = await startTestNodes([
      { name: 'ckd1' },
      {
        name: 'ckd2',
        tmpfs: [{ path: '/var/lib/kubelet', sizeMb: 32 }, { path: '/srv/logs', sizeMb: 16 }],
        files: { '/var/lib/kubelet/config.yaml': CONFIG_FILE, '/srv/logs/app.log': 'start\n', [`${HOSTILE[0]}/h.log`]: 'x\n' },
      },
    ]);
    // ckd2: the kubelet's filesystem past 90 % (evicts below 10 % available); 15 MB of logs on a 16 MB disk.
    await nodes.exec('ckd2', ['sh', '-c', 'head -c 30500000 /dev/zero > /var/lib/kubelet/filler && head -c 15200000 /dev/zero > /srv/logs/app.log']);
    const objects = {
      Node: [node('ckd1', nodes.node('ckd1').address), node('ckd2', nodes.node('ckd2').address)],
      ReplicaSet: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'shipper-6b7c9d', namespace: 'logs', uid: 'rs1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'shipper', uid: 'd1', controller: true }] }, spec: { selector: { matchLabels: { app: 'shipper' } } } }],
      Pod: [{
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'shipper-6b7c9d-a', namespace: 'logs', uid: 'p1', labels: { app: 'shipper' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shipper-6b7c9d', uid: 'rs1', controller: true }] },
        spec: {
          nodeName: 'ckd2',
          volumes: ['/srv/logs', ...HOSTILE].map((path, i) => ({ name: `v${i}`, hostPath: { path } })),
          containers: [{ name: 'app', image: 'shipper:1', volumeMounts: [0, 1, 2].map((i) => ({ name: `v${i}`, mountPath: `/mnt/${i}` })) }],
        },
        status: { phase: 'Running' },
      }],
    } as unknown as NonNullable<Parameters<typeof startFakeApiServer>[0]>['objects'];
    server = await startFakeApiServer({
      objects, tls: true, token: 'disk-e2e',
      nodeProxy: {
        // A partial evictionHard (only memory): the disk signals are not watched at all on ckd1.
        ckd1: {
          configz: { kubeletconfig: { evictionHard: { 'memory.available': '100Mi' }, imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80 } },
          'stats/summary': { node: { nodeName: 'ckd1', fs: fs(100 * GiB, 60 * GiB), runtime: { imageFs: fs(100 * GiB, 60 * GiB) } }, pods: [] },
        },
      },
      nodeProxyForbidden: ['ckd2'],
    });
    tmp = mkdtempSync(join(tmpdir(), 'checkup-e2e-disk-'));
    const kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'disk' });
    snapshot = join(tmp, 'snapshot');
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', 'kubelet-gc,hostpath-log-growth', '--ssh-config', nodes.sshConfig,
      '--sample-interval', '2', '-o', 'json', '--save-snapshot', snapshot], { timeoutMs: 120_000 });
    expect(r.stderr).toMatch(new RegExp(`^snapshot saved to ${snapshot} \\(.*no Secrets`));
    report = JSON.parse(r.stdout) as Report;
  }, 330_000);

  afterAll(async () => {
    await nodes?.stop();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    rmSync(MARKER, { force: true });
  });

  const on = (check: string, nodeName: string) => report.findings.filter((f) => f.check === check && (f.target.name === nodeName || f.evidence?.node === nodeName));

  it('ckd1: judged from configz through the API server — the partial evictionHard trap', () => {
    const f = on('kubelet-gc', 'ckd1');
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0]!.message).toMatch(/evictionHard sets only memory\.available/);
    expect(String(f[0]!.evidence?.configSource)).toContain('configz');
  });

  it('ckd2: nodes/proxy refused, so the config file and df are read over SSH, and the full disk is critical', () => {
    const f = on('kubelet-gc', 'ckd2');
    expect(f.some((x) => x.severity === 'critical')).toBe(true);
    for (const x of f) {
      expect(String(x.evidence?.configSource)).toContain('/var/lib/kubelet/config.yaml over SSH');
      expect(x.evidence?.usageSource).toBe('df');
    }
    expect(report.gaps).toContainEqual({ source: 'api', resource: 'nodes/proxy (node ckd2)', reason: 'forbidden' });
  });

  it('the filling hostPath is reported against its Deployment', () => {
    const f = report.findings.filter((x) => x.check === 'hostpath-log-growth' && x.target.kind === 'Deployment' && x.target.name === 'shipper');
    expect(f.length).toBeGreaterThan(0);
    expect(JSON.stringify(f.map((x) => x.evidence))).toContain('/srv/logs');
    expect(f.some((x) => x.severity === 'critical')).toBe(true);
  });

  it('hostPaths that are shell commands reach the node as data and run nothing', () => {
    expect(existsSync(MARKER)).toBe(false);
    // What the node printed for the hostPath probe (saved in the snapshot): the hostile directory was
    // measured under its literal name.
    const collected = JSON.parse(readFileSync(join(snapshot, 'nodes', 'ckd2.json'), 'utf8')) as { samples: Record<string, { stdout: string }[]> };
    expect(collected.samples.hostpathUsage![0]!.stdout).toContain(HOSTILE[0]);
  });

  it('both nodes were reached and the report validates its summary', () => {
    expect(report.summary.nodes).toEqual({ total: 2, reached: 2 });
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([['hostpath-log-growth', 'fail'], ['kubelet-gc', 'fail']]);
  });
});
