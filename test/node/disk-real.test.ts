// kubelet-gc and hostpath-log-growth against real sshd test nodes (network + mount namespaces): the
// engine with sshNodeSource over real SSH for the node side and memoryApiSource for the API side.
// - "gc-node": /var/lib/kubelet and /var/lib/containerd are small tmpfs filled past the GC high
//   threshold and the eviction thresholds; the kubelet config file is on the node.
// - "log-node": a hostPath directory on a small tmpfs with log files, written to while the check
//   samples; hostile hostPaths (one of them a real directory) are measured as data or rejected.
// Test nodes use fixed namespace names: run this under `flock /tmp/checkup-realnodes.lock`.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { CoreV1Event, V1Node, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { existsSync, rmSync } from 'node:fs';
import kubeletGc from '../../checks/kubelet-gc/index.js';
import hostpathLogGrowth from '../../checks/hostpath-log-growth/index.js';
import { kubeletConfig } from '../../src/node/probes/kubeletConfig.js';
import { memoryApiSource, type ObjectsByKind } from '../../src/engine/memory-source.js';
import { runChecks, type RunOutput } from '../../src/engine/run.js';
import type { Finding } from '../../src/engine/types.js';
import { sshNodeSource } from '../../src/node/ssh-source.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';

const MARKER = '/tmp/checkup-disk-real-pwned';
const MB = 1024 * 1024;
const QUOTE_DIR = `/srv/app-logs/x'; touch ${MARKER}; '`;
const HOSTILE = [QUOTE_DIR, `/$(touch ${MARKER})`, `/srv/app-logs/\`touch ${MARKER}\``];
const NEWLINE = `/srv/app-logs\ntouch ${MARKER}`;

const CONFIG = [
  'apiVersion: kubelet.config.k8s.io/v1beta1',
  'kind: KubeletConfiguration',
  'evictionHard:',
  '  memory.available: 100Mi',
  '  nodefs.available: 10%',
  '  nodefs.inodesFree: 5%',
  '  imagefs.available: 15%',
  'imageGCHighThresholdPercent: 85',
  'imageGCLowThresholdPercent: 80',
  'containerLogMaxSize: 20Mi',
  '',
].join('\n');

function nodeObject(t: TestNodes, name: string): V1Node {
  const [target] = t.targets([name]);
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name },
    status: {
      addresses: target!.addresses,
      conditions: [{ type: 'DiskPressure', status: 'False' }],
      nodeInfo: { kubeletVersion: 'v1.31.4', containerRuntimeVersion: 'containerd://1.7.24', architecture: 'amd64', bootID: '', kernelVersion: '', kubeProxyVersion: '', machineID: '', operatingSystem: 'linux', osImage: '', systemUUID: '' },
    },
  };
}

const rs: V1ReplicaSet = {
  apiVersion: 'apps/v1', kind: 'ReplicaSet',
  metadata: { name: 'shipper-6b7c9d', namespace: 'logs', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'shipper', uid: 'd', controller: true }] },
};

function pod(name: string, nodeName: string, paths: string[]): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'logs', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shipper-6b7c9d', uid: 'r', controller: true }] },
    spec: {
      nodeName,
      volumes: paths.map((path, i) => ({ name: `v${i}`, hostPath: { path } })),
      containers: [{ name: 'app', image: 'shipper:1', volumeMounts: paths.map((_, i) => ({ name: `v${i}`, mountPath: `/mnt/${i}` })) }],
    },
    status: { phase: 'Running' },
  };
}

const gcFailed: CoreV1Event = {
  apiVersion: 'v1', kind: 'Event', metadata: { name: 'gc-node.1', namespace: 'default' },
  involvedObject: { kind: 'Node', name: 'gc-node' }, reason: 'FreeDiskSpaceFailed', count: 4, type: 'Warning',
  message: 'Failed to garbage collect required amount of images. Attempted to free 4194304 bytes, but only found 0 bytes eligible to free.',
  lastTimestamp: new Date().toISOString() as unknown as Date,
};

describeReal('disk checks on real SSH nodes', { root: true, commands: ['sshd', 'ssh', 'ip', 'nsenter', 'unshare', 'du', 'df', 'timeout'] }, () => {
  let t: TestNodes;
  let objects: ObjectsByKind;

  const run = async (nodeProxy: NonNullable<Parameters<typeof memoryApiSource>[1]>['nodeProxy'], interval: number): Promise<RunOutput> =>
    runChecks({
      checks: [hostpathLogGrowth, kubeletGc],
      api: memoryApiSource(objects, { now: new Date(), nodeProxy }),
      nodes: sshNodeSource({ configFile: t.sshConfig, address: 'internal-ip', sampleIntervalSeconds: interval, nodeTimeoutSeconds: 30 }),
      scope: {},
      settings: { sampleIntervalSeconds: interval },
    });

  const node = (o: RunOutput, check: string, name: string) => o.findings.filter((f) => f.check === check && (f.target.name === name || f.evidence?.node === name));

  beforeAll(async () => {
    rmSync(MARKER, { force: true });
    t = await startTestNodes([
      {
        name: 'gc-node',
        tmpfs: [{ path: '/var/lib/kubelet', sizeMb: 32 }, { path: '/var/lib/containerd', sizeMb: 32 }],
        files: { '/var/lib/kubelet/config.yaml': CONFIG },
      },
      {
        name: 'log-node',
        tmpfs: [{ path: '/srv/app-logs', sizeMb: 16 }],
        files: { '/srv/app-logs/app.log': 'started\n', [`${QUOTE_DIR}/hostile.log`]: 'x\n' },
      },
    ]);
    // gc-node: kubelet root 93 % used, image store 90 % used (both past their thresholds).
    await t.exec('gc-node', ['sh', '-c', 'head -c 31000000 /dev/zero > /var/lib/kubelet/filler && head -c 30000000 /dev/zero > /var/lib/containerd/filler']);
    // log-node: 4 MB of logs, and 3 MB inside the directory whose name is a shell command.
    await t.exec('log-node', ['sh', '-c', 'head -c 4000000 /dev/zero > /srv/app-logs/app.log && head -c 3000000 /dev/zero > "$1/hostile.log"', 'sh', QUOTE_DIR]);
    objects = {
      Node: [nodeObject(t, 'gc-node'), nodeObject(t, 'log-node')],
      ReplicaSet: [rs],
      Pod: [pod('shipper-6b7c9d-a', 'log-node', ['/srv/app-logs', ...HOSTILE, NEWLINE])],
      Event: [gcFailed],
    };
  }, 330_000); // startTestNodes waits up to 300 s for another suite's nodes

  afterAll(async () => {
    await t?.stop();
    rmSync(MARKER, { force: true });
  });

  it('gc-node: image GC cannot reclaim and eviction thresholds are crossed, read over SSH when nodes/proxy is forbidden', async () => {
    const out = await run('forbidden', 0);
    expect(out.nodes).toEqual({ total: 2, reached: 2 });
    const findings = node(out, 'kubelet-gc', 'gc-node');
    const gc = findings.find((f) => f.evidence?.bytesToFree !== undefined)!;
    expect(gc).toMatchObject({
      severity: 'critical', target: { kind: 'Node', name: 'gc-node' },
      evidence: {
        configSource: '/var/lib/kubelet/config.yaml over SSH', usageSource: 'df',
        imagefs: { path: '/var/lib/containerd', mount: '/var/lib/containerd', device: 'tmpfs', capacityBytes: 32 * MB },
        events: [expect.objectContaining({ reason: 'FreeDiskSpaceFailed', count: 4 })],
      },
    });
    expect(gc.evidence!.usedPercent as number).toBeGreaterThanOrEqual(89);
    const pressure = findings.find((f) => f.evidence?.signals)!;
    expect(pressure.severity).toBe('critical');
    expect(pressure.evidence!.signals).toEqual(expect.arrayContaining([
      expect.objectContaining({ signal: 'nodefs.available', filesystem: '/var/lib/kubelet', state: 'met' }),
      expect.objectContaining({ signal: 'imagefs.available', filesystem: '/var/lib/containerd', state: 'met' }),
    ]));
    expect(out.results.find((r) => r.id === 'kubelet-gc')!.status).toBe('fail');
  }, 120_000);

  it('gc-node: the Summary API numbers (statfs of the same filesystems) and df agree', async () => {
    // The kubelet's Summary API reports statfs of its root and the runtime's image store: read it there.
    const statfs = async (path: string) => {
      const r = await t.exec('gc-node', ['stat', '-f', '-c', '%b %a %S %c %d', path]);
      const [blocks, avail, size, inodes, free] = r.stdout.trim().split(' ').map(Number) as [number, number, number, number, number];
      return { capacityBytes: blocks * size, availableBytes: avail * size, usedBytes: (blocks - avail) * size, inodes, inodesFree: free, inodesUsed: inodes - free };
    };
    const summary = { node: { nodeName: 'gc-node', fs: await statfs('/var/lib/kubelet'), runtime: { imageFs: await statfs('/var/lib/containerd') } } };
    const viaSummary = await run({ 'gc-node': { 'stats/summary': summary }, 'log-node': {} }, 0);
    const viaDf = await run('forbidden', 0);
    const signals = (o: RunOutput) => (node(o, 'kubelet-gc', 'gc-node').find((f) => f.evidence?.signals)!.evidence!.signals as { signal: string; availablePercent: number; state: string }[])
      .map(({ signal, availablePercent, state }) => ({ signal, availablePercent, state }));
    expect(node(viaSummary, 'kubelet-gc', 'gc-node').find((f) => f.evidence?.signals)!.evidence!.usageSource).toBe('stats/summary');
    expect(signals(viaSummary)).toEqual(signals(viaDf));
    const usedPercent = (o: RunOutput) => node(o, 'kubelet-gc', 'gc-node').find((f) => f.evidence?.bytesToFree !== undefined)!.evidence!.usedPercent;
    expect(usedPercent(viaSummary)).toBe(usedPercent(viaDf));
  }, 120_000);

  it('log-node: a growing log directory is reported against its Deployment; hostile paths are measured as data or rejected, and nothing runs', async () => {
    // Keep writing while the check samples (3 s apart): ~1 MB/s into the hostPath.
    const writer = t.exec('log-node', ['sh', '-c', 'i=0; while [ $i -lt 25 ]; do head -c 250000 /dev/zero >> /srv/app-logs/app.log; sleep 0.25; i=$((i+1)); done']);
    const out = await run('forbidden', 3);
    await writer;
    const findings: Finding[] = out.findings.filter((f) => f.check === 'hostpath-log-growth');

    const growing = findings.find((f) => f.evidence?.path === '/srv/app-logs')!;
    expect(growing).toMatchObject({
      severity: 'critical', // fills the 16 MB tmpfs within the hour at this rate
      target: { kind: 'Deployment', name: 'shipper', namespace: 'logs' },
      evidence: { node: 'log-node', logLike: true, logrotateConfigs: [], filesystem: { mount: '/srv/app-logs', device: 'tmpfs', capacityBytes: 16 * MB } },
    });
    expect(growing.evidence!.growthBytesPerHour as number).toBeGreaterThan(100 * MB);
    expect(growing.evidence!.hoursToFull as number).toBeLessThan(24);
    expect(growing.message).toContain('Kubernetes never rotates files written there');

    // The directory named "x'; touch …; '" exists and holds 3 MB: measured like any other path.
    const quoted = findings.find((f) => f.evidence?.path === QUOTE_DIR)!;
    expect(quoted.severity).not.toBe('info');
    expect(quoted.evidence!.sizeBytes as number).toBeGreaterThanOrEqual(3000000);
    // The path with a newline is rejected and reported, never sent.
    const rejected = findings.find((f) => f.evidence?.reason === 'contains a control character (U+000A)')!;
    expect(rejected).toMatchObject({ severity: 'warning', evidence: { path: JSON.stringify(NEWLINE), node: 'log-node' } });
    // The other hostile paths do not exist on the node: measured as data, found missing, not reported.
    expect(findings.filter((f) => HOSTILE.slice(1).includes(f.evidence?.path as string))).toEqual([]);

    expect(existsSync(MARKER)).toBe(false);
    expect((await t.exec('log-node', ['test', '-e', MARKER])).exitCode).toBe(1);
    expect((await t.exec('log-node', ['sh', '-c', 'ls /srv/app-logs'])).stdout).not.toContain('pwned');
  }, 120_000);

  it('gc-node: a kubelet config holding staticPodURLHeader never leaves the node (a probe pod\'s log would keep it)', async () => {
    const secret = 'Bearer s3cret-static-pod-token';
    await t.exec('gc-node', ['sh', '-c', 'cp /var/lib/kubelet/config.yaml /var/lib/kubelet/config.yaml.orig && printf "%s\n" "staticPodURL: https://pods.example/" "staticPodURLHeader:" "  Authorization:" "  - $1" >> /var/lib/kubelet/config.yaml', 'sh', secret]);
    try {
      // The probe's own script, run on the node as the SSH and pod transports run it: the raw output.
      const raw = await t.exec('gc-node', ['sh', '-c', kubeletConfig.script]);
      expect(raw.stdout).toContain('@@ withheld /var/lib/kubelet/config.yaml');
      expect(raw.stdout).not.toContain('s3cret');
      expect(raw.stdout).not.toContain('imageGCHighThresholdPercent');
      // The run falls back to the kubelet's defaults and says why; the secret is nowhere.
      const out = await run('forbidden', 0);
      expect(JSON.stringify(out)).not.toContain('s3cret');
      const gc = node(out, 'kubelet-gc', 'gc-node').find((f) => f.evidence?.configSource !== undefined);
      expect(gc?.evidence?.configSource).not.toBe('/var/lib/kubelet/config.yaml over SSH');
    } finally {
      await t.exec('gc-node', ['sh', '-c', 'mv /var/lib/kubelet/config.yaml.orig /var/lib/kubelet/config.yaml']);
    }
  }, 120_000);
});
