// End to end for hostPaths that hold data by design, on a real sshd test node: a control-plane-like
// node with etcd's data directory on a disk of its own (most of it used, a WAL-like writer adding a
// megabyte a second) and a local-path-provisioner directory holding volumes (68 % of its disk), next to
// an application's log directory that grows fast. The data directories must not be findings; the
// log directory still is, critically. Among the provisioner's volumes, one whose PersistentVolume was
// deleted days ago is found as a leftover; one being provisioned right now is not.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';
import type { KubeObject } from '../../src/kube/resources.js';
import type { Report } from '../../src/report/model.js';
import { hostpathUsage } from '../../src/node/probes/hostpathUsage.js';

const node = (name: string, address: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`, labels: { 'node-role.kubernetes.io/control-plane': '' } },
  status: {
    addresses: [{ type: 'InternalIP', address }],
    conditions: [{ type: 'Ready', status: 'True' }],
    nodeInfo: { kubeletVersion: 'v1.31.4', containerRuntimeVersion: 'containerd://1.7.24', kernelVersion: '6.1.0-28-amd64', architecture: 'amd64', operatingSystem: 'linux' },
  },
} as unknown as KubeObject);

const pod = (meta: Record<string, unknown>, volume: string, image: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: meta,
  spec: {
    nodeName: 'ckh1', volumes: [{ name: 'data', hostPath: { path: volume, type: 'DirectoryOrCreate' } }],
    containers: [{ name: 'main', image, volumeMounts: [{ name: 'data', mountPath: volume }] }],
  },
  status: { phase: 'Running' },
} as unknown as KubeObject);

describeReal('hostpath-log-growth on a node with etcd and a storage provisioner', { root: true, commands: ['sshd', 'ssh', 'ip', 'du', 'df', 'timeout'] }, () => {
  let nodes: TestNodes;
  let server: FakeApiServer;
  let tmp: string;
  let report: Report;
  let snapshot: string;
  const writers: ChildProcess[] = [];

  /** A writer inside the node's mount namespace: appends `chunkKiB` every `everyMs` to `file`, up to `capKiB`. */
  const writer = (file: string, chunkKiB: number, everyMs: number, capKiB: number) => {
    const script = 'f=$1; n=0; while [ "$n" -lt "$4" ]; do head -c "$(( $2 * 1024 ))" /dev/zero >> "$f"; n=$(( n + $2 )); sleep "$3"; done';
    const w = spawn('nsenter', ['-t', String(nodes.node('ckh1').holderPid), '-m', '-u', '-n', '--', 'sh', '-c', script, 'sh', file, String(chunkKiB), String(everyMs / 1000), String(capKiB)], { stdio: 'ignore' });
    writers.push(w);
  };

  beforeAll(async () => {
    nodes = await startTestNodes([{
      name: 'ckh1',
      tmpfs: [
        { path: '/var/lib/etcd', sizeMb: 64 },               // etcd's dedicated disk
        { path: '/opt/local-path-provisioner', sizeMb: 64 }, // the provisioner's volumes
        { path: '/srv/app-logs', sizeMb: 96 },               // an application's own log files
      ],
    }]);
    await nodes.exec('ckh1', ['sh', '-c', [
      'mkdir -p /var/lib/etcd/member/snap /var/lib/etcd/member/wal',
      'head -c 30000000 /dev/zero > /var/lib/etcd/member/snap/db',
      'head -c 12000000 /dev/zero > /var/lib/etcd/member/wal/0000000000000001-0000000000000001.wal',
      'mkdir -p /opt/local-path-provisioner/pvc-1_shop_data-db-0 /opt/local-path-provisioner/pvc-2_shop_uploads',
      'head -c 30000000 /dev/zero > /opt/local-path-provisioner/pvc-1_shop_data-db-0/pg.dat',
      'head -c 16000000 /dev/zero > /opt/local-path-provisioner/pvc-2_shop_uploads/u.bin',
      'head -c 8000000 /dev/zero > /srv/app-logs/app.log',
      // a volume whose PersistentVolume was deleted three days ago (Retain), and one being provisioned now
      'mkdir /opt/local-path-provisioner/pvc-3_shop_old-reports /opt/local-path-provisioner/pvc-4_shop_new-claim',
      'echo report > /opt/local-path-provisioner/pvc-3_shop_old-reports/r.csv',
      'touch -d "3 days ago" /opt/local-path-provisioner/pvc-3_shop_old-reports',
    ].join(' && ')]);
    const objects = {
      Node: [node('ckh1', nodes.node('ckh1').address)],
      DaemonSet: [],
      PersistentVolume: ['pvc-1_shop_data-db-0', 'pvc-2_shop_uploads'].map((dir) => ({
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: dir.split('_')[0], uid: `uid-${dir}` },
        spec: { hostPath: { path: `/opt/local-path-provisioner/${dir}`, type: 'DirectoryOrCreate' }, persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path' },
        status: { phase: 'Bound' },
      })),
      ReplicaSet: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'app-6b7c9d', namespace: 'shop', uid: 'rs1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'app', uid: 'd1', controller: true }] } }],
      Pod: [
        pod({ name: 'etcd-ckh1', namespace: 'kube-system', uid: 'p-etcd', annotations: { 'kubernetes.io/config.mirror': 'x' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'ckh1', uid: 'uid-ckh1', controller: true }] },
          '/var/lib/etcd', 'registry.k8s.io/etcd:3.5.15-0'),
        pod({ name: 'local-path-provisioner-x2', namespace: 'local-path-storage', uid: 'p-lpp', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'local-path-provisioner', uid: 'ds1', controller: true }] },
          '/opt/local-path-provisioner', 'rancher/local-path-provisioner:v0.0.30'),
        pod({ name: 'app-6b7c9d-a', namespace: 'shop', uid: 'p-app', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'app-6b7c9d', uid: 'rs1', controller: true }] },
          '/srv/app-logs', 'shop/app:1'),
      ],
    } as unknown as NonNullable<Parameters<typeof startFakeApiServer>[0]>['objects'];
    server = await startFakeApiServer({ objects, tls: true, token: 'hostpath-data-e2e', nodeProxyForbidden: ['ckh1'] });
    tmp = mkdtempSync(join(tmpdir(), 'checkup-e2e-hostpath-data-'));
    const kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'data' });
    // etcd: a 1 MiB WAL append every second; a volume of the provisioner: 256 KiB every second; the app: 4 MiB of logs every 0.5 s.
    writer('/var/lib/etcd/member/wal/0000000000000001-0000000000000001.wal', 1024, 1000, 16 * 1024);
    writer('/opt/local-path-provisioner/pvc-2_shop_uploads/u.bin', 256, 1000, 4 * 1024);
    writer('/srv/app-logs/app.log', 4096, 500, 80 * 1024);
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', 'hostpath-log-growth', '--ssh-config', nodes.sshConfig,
      '--sample-interval', '3', '-o', 'json', '--save-snapshot', (snapshot = join(tmp, 'snapshot'))], { timeoutMs: 120_000 });
    report = JSON.parse(r.stdout) as Report;
  }, 330_000);

  afterAll(async () => {
    for (const w of writers) if (w.pid) try { process.kill(w.pid, 'SIGKILL'); } catch { /* gone */ }
    await nodes?.stop();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const findings = () => report.findings.filter((f) => f.check === 'hostpath-log-growth');

  it('says nothing about etcd\'s data directory (65 % of its own disk, growing like a WAL) or the provisioner\'s volumes (68 %, written slowly)', () => {
    expect(findings().filter((f) => ['etcd-ckh1', 'local-path-provisioner'].includes(f.target.name))).toEqual([]);
    expect(report.checks.find((c) => c.id === 'hostpath-log-growth')!.status).toBe('fail');
    // They were measured, and etcd's grew: what the old rules would have called 65 % of the disk and
    // a fill within minutes.
    const collected = JSON.parse(readFileSync(join(snapshot, 'nodes', 'ckh1.json'), 'utf8')) as { samples: { hostpathUsage: { stdout: string; exitCode: number }[] } };
    const usage = hostpathUsage.parse(collected.samples.hostpathUsage, 3).paths;
    expect(usage['/var/lib/etcd']).toMatchObject({ state: 'ok', filesystem: { mount: '/var/lib/etcd' } });
    expect(usage['/var/lib/etcd']!.sizeBytes! / usage['/var/lib/etcd']!.filesystem!.capacityBytes).toBeGreaterThan(0.6);
    expect(usage['/var/lib/etcd']!.growthBytesPerHour).toBeGreaterThan(1024 ** 3);
    expect(usage['/opt/local-path-provisioner']!.sizeBytes! / usage['/opt/local-path-provisioner']!.filesystem!.capacityBytes).toBeGreaterThan(0.65);
    expect(usage['/opt/local-path-provisioner']!.growthBytesPerHour).toBeGreaterThan(0);
  });

  it('finds the volume directory whose PersistentVolume is gone — not the bound ones, not the one being provisioned', () => {
    const f = findings().filter((x) => x.rule === 'orphanedVolumeDirectories');
    expect(f.map((x) => [x.severity, x.target])).toEqual([['info', { kind: 'Node', name: 'ckh1' }]]);
    expect(f[0]!.evidence).toMatchObject({ root: '/opt/local-path-provisioner', directories: ['pvc-3_shop_old-reports'], count: 1, volumeDirectories: 4, persistentVolumesUnderRoot: 2 });
  });

  it('the log directory growing fast is still critical, with how sure the projection is', () => {
    const f = findings().filter((x) => x.target.name === 'app');
    expect(f.map((x) => [x.rule, x.severity, x.target.kind])).toEqual([['hostPathFillsDisk', 'critical', 'Deployment']]);
    expect(f[0]!.message).toMatch(/fills \/srv\/app-logs in about \d+ min \(from \d+(\.\d+)? MiB written in \d s: low confidence/);
    expect(f[0]!.evidence).toMatchObject({ logLike: true, projection: { confidence: 'low' } });
  });
});
