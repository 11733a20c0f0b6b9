// End to end for listeners inside pods: the built CLI against the test API server and two sshd test
// nodes, with two pod network namespaces made the way the kubelet and a CNI leave them (a network
// namespace of its own, a process in a cgroup that names the pod UID). In one the server's accept
// queue overflows (backlog 1, never accepts, its own clients keep connecting); the other is idle.
// The node's own namespace stays clean, so only the pod's namespace can show the fault.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';
import type { KubeObject } from '../../src/kube/resources.js';
import type { Report } from '../../src/report/model.js';

const UID_API = 'a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b';
const UID_QUIET = 'a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a5b';
const ownJournal = '#!/bin/sh\ncase "$*" in *"-n 1"*) echo "Nov 25 00:00:00 node kernel: Linux version (test node)";; esac\n';

const node = (name: string, address: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}` },
  status: {
    addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
    conditions: [{ type: 'Ready', status: 'True' }],
    nodeInfo: { kernelVersion: '6.1.0-28-amd64', kubeletVersion: 'v1.32.4', containerRuntimeVersion: 'containerd://1.7.24', architecture: 'amd64', operatingSystem: 'linux' },
  },
} as unknown as KubeObject);

const pod = (name: string, uid: string, app: string, nodeName: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'shop', uid, labels: { app, 'pod-template-hash': '7c9d' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7c9d`, uid: `rs-${app}`, controller: true }] },
  spec: {
    nodeName,
    containers: [{ name: app, image: `${app}:1`, ports: [{ name: 'http', containerPort: 8080 }], livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, timeoutSeconds: 1 } }],
  },
  status: { phase: 'Running', podIP: '10.244.1.7' },
} as unknown as KubeObject);

describeReal('syn-backlog inside pod network namespaces on real SSH nodes', { root: true, commands: ['sshd', 'ssh', 'ip', 'perl', 'stat', 'awk'] }, () => {
  let nodes: TestNodes;
  let server: FakeApiServer;
  let tmp: string;
  let report: Report;
  let snapshot: string;
  const stops: (() => Promise<void>)[] = [];
  let apiNetnsInode = 0;

  beforeAll(async () => {
    nodes = await startTestNodes([
      { name: 'ckp1', files: { '/usr/bin/journalctl': ownJournal } },
      { name: 'ckp2', files: { '/usr/bin/journalctl': ownJournal } },
    ]);
    const api = await nodes.podNamespace('ckp1', { podUid: UID_API, port: 8080, flood: true });
    apiNetnsInode = statSync(`/proc/${api.pid}/ns/net`).ino;
    stops.push(api.stop);
    stops.push((await nodes.podNamespace('ckp1', { podUid: UID_QUIET, port: 8080, flood: false })).stop);
    const objects = {
      Node: [node('ckp1', nodes.node('ckp1').address), node('ckp2', nodes.node('ckp2').address)],
      ReplicaSet: ['api', 'quiet'].map((app) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${app}-7c9d`, namespace: 'shop', uid: `rs-${app}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: `d-${app}`, controller: true }] } })),
      Pod: [pod('api-7c9d-q2x', UID_API, 'api', 'ckp1'), pod('quiet-7c9d-z9k', UID_QUIET, 'quiet', 'ckp1')],
      Event: [{
        apiVersion: 'v1', kind: 'Event', metadata: { name: 'api-7c9d-q2x.17f', namespace: 'shop' }, type: 'Warning', reason: 'Unhealthy', count: 3,
        message: 'Liveness probe failed: Get "http://10.244.1.7:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        involvedObject: { kind: 'Pod', namespace: 'shop', name: 'api-7c9d-q2x', uid: UID_API }, lastTimestamp: '2026-11-25T10:00:00Z',
      }],
    } as unknown as NonNullable<Parameters<typeof startFakeApiServer>[0]>['objects'];
    server = await startFakeApiServer({ objects, tls: true, token: 'podns-e2e' });
    tmp = mkdtempSync(join(tmpdir(), 'checkup-e2e-podns-'));
    const kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'podns' });
    snapshot = join(tmp, 'snapshot');
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', 'syn-backlog', '--ssh-config', nodes.sshConfig,
      '--sample-interval', '2', '--node-timeout', '20', '-o', 'json', '--save-snapshot', snapshot], { timeoutMs: 90_000 });
    report = JSON.parse(r.stdout) as Report;
  }, 330_000);

  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => {});
    await nodes?.stop();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const syn = () => report.findings.filter((f) => f.check === 'syn-backlog');

  it('finds the overflowing listener inside the pod and pins it on the pod\'s Deployment', () => {
    const f = syn().filter((x) => x.rule === 'podListenOverflowNow');
    expect(f.map((x) => [x.target, x.severity])).toEqual([[{ kind: 'Deployment', name: 'api', namespace: 'shop' }, 'critical']]);
    const pods = f[0]!.evidence!.pods as { pod: string; node: string; overflow: { overflows: { delta: number } }; acceptQueueNotEmpty: { port: number; acceptQueue: number; container?: string }[]; unhealthyEvents: { liveness: number } }[];
    expect(pods.map((p) => [p.pod, p.node])).toEqual([['shop/api-7c9d-q2x', 'ckp1']]);
    expect(pods[0]!.overflow.overflows.delta).toBeGreaterThan(0);
    // Backlog 1 holds two finished handshakes: the queue the server never drains.
    expect(pods[0]!.acceptQueueNotEmpty).toEqual([{ address: '127.0.0.1', port: 8080, acceptQueue: 2, container: 'api', portName: 'http' }]);
    expect(pods[0]!.unhealthyEvents.liveness).toBe(3);
    expect(f[0]!.message).toMatch(/the kubelet reported 3 liveness probe failures for it/);
  });

  it('the host namespaces are clean: nothing is said about the nodes, and nothing about the idle pod', () => {
    expect(syn().filter((x) => x.target.kind === 'Node' && x.severity !== 'info')).toEqual([]);
    expect(syn().filter((x) => x.target.name === 'quiet')).toEqual([]);
    // ckp2 sees the same /proc (the test nodes share one PID namespace), but the pod is not on it.
    expect(syn().filter((x) => JSON.stringify(x.evidence).includes('ckp2'))).toEqual([]);
    expect(report.summary.nodes).toEqual({ total: 2, reached: 2 });
  });

  it('read the pod namespace through /proc/<pid> without entering it, once per namespace', () => {
    const collected = JSON.parse(readFileSync(join(snapshot, 'nodes', 'ckp1.json'), 'utf8')) as { samples: Record<string, { stdout: string }[]> };
    const out = collected.samples.podNetns!;
    expect(out).toHaveLength(2);
    for (const s of out) {
      const podLines = s.stdout.split('\n').filter((l) => l.startsWith('G ') && l.includes('kubepods'));
      expect(podLines.filter((l) => l.includes(`pod${UID_API}`))).toHaveLength(1);
      expect(podLines.filter((l) => l.includes(`pod${UID_QUIET}`))).toHaveLength(1);
      // The namespace appears once, by the inode of its /proc/<pid>/ns/net, however many processes it has.
      expect(s.stdout.match(new RegExp(`^N ${apiNetnsInode} \\d+ `, 'gm'))).toHaveLength(1);
    }
  });
});
