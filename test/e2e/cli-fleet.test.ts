// End to end for the fleet checks: the built CLI against the test API server and sshd test nodes with
// real kernel state — a conntrack table filled to 76 % (ckn2), one full and still evicting (ckn3), and
// a "kubelet" on ckn4 whose connection to the "API server" on ckn1 went silent (ckn4 drops ckn1's
// packets), so Send-Q and the retransmit timer are real; ckn2's kubelet talks to the same listener
// and stays healthy. The API server's clock is years away from this machine's (the trap: ages must
// come from its Date header), serves Leases (ckn4's stale), metrics.k8s.io, and a kube-proxy ConfigMap.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Ajv } from 'ajv';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { churnConntrack, enableConntrack, fillConntrack, silencePeer, startFakeKubelet, startSink } from '../support/fleet-faults.js';
import { describeReal } from '../support/real.js';
import { startTestNodes, type TestNodes } from '../support/test-nodes.js';
import type { KubeObject } from '../../src/kube/resources.js';
import type { Report } from '../../src/report/model.js';

const API_NOW = new Date('2031-03-01T08:00:00Z');
const ago = (s: number) => new Date(API_NOW.getTime() - s * 1000).toISOString();
const SECRET = 'sk-live-do-not-leak-7f3a';

// Each node's own journal: a kernel line for "-n 1" (so the kernel log source works), nothing else;
// ckn4's kubelet unit logged a lost connection.
const journal = (kubeletLines: string[] = []) => `#!/bin/sh\ncase "$*" in\n  *"-u kubelet"*) ${kubeletLines.length ? `printf '%s\\n' ${kubeletLines.map((l) => `'${l}'`).join(' ')}` : ':'};;\n` +
  '  *"-n 1"*) echo "Mar 01 07:00:00 node kernel: Linux version (test node)";;\nesac\n';

function node(name: string, address: string, ready: { status: string; since: number }): KubeObject {
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: '2030-01-01T00:00:00Z', labels: { 'kubernetes.io/hostname': name, 'node.kubernetes.io/instance-type': 'm5.xlarge', 'topology.kubernetes.io/zone': 'z1' } },
    spec: {},
    status: {
      addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
      allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: ready.status, reason: ready.status === 'True' ? 'KubeletReady' : 'NodeStatusUnknown', message: ready.status === 'True' ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.', lastHeartbeatTime: ago(300), lastTransitionTime: ago(ready.since) }],
      nodeInfo: { kubeletVersion: 'v1.31.4', kernelVersion: '6.1.0-28-amd64', osImage: 'Debian GNU/Linux 12', containerRuntimeVersion: 'containerd://1.7.24', architecture: 'amd64', operatingSystem: 'linux' },
    },
  } as unknown as KubeObject;
}
const lease = (name: string, renewedAgo: number) => ({
  metadata: { name, namespace: 'kube-node-lease' },
  spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: ago(renewedAgo).replace('Z', '000Z').replace('.000000Z', '.000000Z') },
}) as unknown as KubeObject;
let seq = 0;
const pod = (nodeName: string, memory: string, owner: { kind: string; name: string }, extra: object = {}) => ({
  metadata: { name: `p${++seq}`, namespace: 'shop', labels: { app: owner.name }, ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: `u-${owner.name}`, controller: true }] },
  spec: { nodeName, containers: [{ name: 'c', image: 'c:1', resources: { requests: { cpu: '100m', memory } } }], ...extra },
  status: { phase: 'Running' },
}) as unknown as KubeObject;
const rs = (name: string, deployment: string) => ({ metadata: { name, namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: `u-${deployment}`, controller: true }] } }) as unknown as KubeObject;

describeReal('fleet checks on real nodes', { root: true, commands: ['sshd', 'ssh', 'ip', 'nft', 'perl', 'ss'] }, () => {
  let nodes: TestNodes;
  let server: FakeApiServer;
  let tmp: string;
  let report: Report;
  let stdout: string;
  let code: number;
  let kubeconfig: string;
  let kubeletPid: number;
  let ckn2Count = 0;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'checkup-e2e-fleet-'));
    nodes = await startTestNodes([
      { name: 'ckn1', files: { '/usr/bin/journalctl': journal() } },
      { name: 'ckn2', files: { '/usr/bin/journalctl': journal() } },
      { name: 'ckn3', files: { '/usr/bin/journalctl': journal() } },
      { name: 'ckn4', files: { '/usr/bin/journalctl': journal(['2031-03-01T07:58:40+0000 ckn4 kubelet[4242]: E0301 07:58:40.123456 4242 controller.go:145] "Failed to update lease" err="Put \\"https://198.18.0.11:6443/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/ckn4?timeout=10s\\": http2: client connection lost"']) } },
    ]);
    const apiAddress = nodes.node('ckn1').address;
    // ckn1 is the "API server"; ckn2's kubelet stays healthy, ckn4's goes silent.
    stops.push((await startSink(nodes, 'ckn1', 6443)).stop);
    const env = { DISABLE_HTTP2: 'true', AWS_SECRET_ACCESS_KEY: SECRET, HTTP2_PING_TIMEOUT_SECONDS: '15' };
    stops.push((await startFakeKubelet(nodes, 'ckn2', tmp, apiAddress, 6443, {})).stop);
    const k4 = await startFakeKubelet(nodes, 'ckn4', tmp, apiAddress, 6443, env);
    kubeletPid = k4.pid;
    stops.push(k4.stop);
    await silencePeer(nodes, 'ckn4', apiAddress);

    for (const n of ['ckn1', 'ckn2', 'ckn3']) await enableConntrack(nodes, n);
    ckn2Count = await fillConntrack(nodes, 'ckn2', 200_000);
    await fillConntrack(nodes, 'ckn3', 270_000);
    stops.push(churnConntrack(nodes, 'ckn3').stop);
    await new Promise((r) => setTimeout(r, 2500)); // ckn4's retransmit timer fires a few times

    const web = { kind: 'ReplicaSet', name: 'web-6d4f9' };
    const api = { kind: 'ReplicaSet', name: 'api-7c5b8' };
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'api-7c5b8' } } }] };
    const objects = {
      Node: [node('ckn1', nodes.node('ckn1').address, { status: 'True', since: 86400 }), node('ckn2', nodes.node('ckn2').address, { status: 'True', since: 86400 }),
        node('ckn3', nodes.node('ckn3').address, { status: 'True', since: 86400 }), node('ckn4', nodes.node('ckn4').address, { status: 'Unknown', since: 60 })],
      Lease: [lease('ckn1', 4), lease('ckn2', 7), lease('ckn3', 2), lease('ckn4', 100)],
      ConfigMap: [{ metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nconntrack:\n  maxPerCore: 32768\n  min: 131072\nmode: iptables\n' } } as unknown as KubeObject],
      Namespace: [{ metadata: { name: 'shop' } }, { metadata: { name: 'kube-system' } }, { metadata: { name: 'kube-node-lease' } }] as unknown as KubeObject[],
      ReplicaSet: [rs('web-6d4f9', 'web'), rs('api-7c5b8', 'api')],
      Pod: [
        ...Array.from({ length: 10 }, (_, i) => pod('ckn1', '1Gi', { kind: 'StatefulSet', name: `cache-${i}` })),
        pod('ckn1', '1Gi', web), pod('ckn1', '1Gi', web), pod('ckn1', '1Gi', web),
        pod('ckn1', '256Mi', api, spread), pod('ckn1', '256Mi', api, spread),
        pod('ckn2', '1Gi', { kind: 'StatefulSet', name: 'queue' }), pod('ckn3', '6Gi', { kind: 'StatefulSet', name: 'db' }),
      ],
      NodeMetrics: [
        { metadata: { name: 'ckn1' }, timestamp: ago(20), window: '15s', usage: { cpu: '3400m', memory: '14Gi' } },
        { metadata: { name: 'ckn2' }, timestamp: ago(20), window: '15s', usage: { cpu: '200m', memory: '2Gi' } },
        { metadata: { name: 'ckn3' }, timestamp: ago(20), window: '15s', usage: { cpu: '900m', memory: '7Gi' } },
      ] as unknown as KubeObject[],
    };
    server = await startFakeApiServer({ objects, tls: true, token: 'fleet-e2e', now: API_NOW });
    kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'fleet' });
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', 'node-heartbeat,conntrack-table,node-imbalance', '--ssh-config', nodes.sshConfig,
      '--sample-interval', '3', '--node-timeout', '30', '-o', 'json'], { timeoutMs: 120_000 });
    code = r.code;
    stdout = r.stdout;
    report = JSON.parse(r.stdout) as Report;
  }, 240_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await nodes?.stop();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const of = (check: string) => report.findings.filter((f) => f.check === check).map((f) => `${f.rule} ${f.severity} ${f.target.name}`).sort();

  it('conntrack-table: ckn2 nearly full, ckn3 full and evicting now; the fix goes to kube-proxy\'s ConfigMap', () => {
    expect(ckn2Count).toBeGreaterThan(196_608);
    expect(of('conntrack-table')).toEqual(['tableFull critical ckn3', 'tableNearlyFull warning ckn2']);
    const full = report.findings.find((f) => f.check === 'conntrack-table' && f.target.name === 'ckn3')!;
    expect((full.evidence as any).counters.earlyDrop.delta).toBeGreaterThan(0);
    expect(full.remediation.steps!.join('\n')).toContain('ConfigMap kube-system/kube-proxy (config.conf): maxPerCore 32768, min 131072');
  });

  it('node-heartbeat: ckn4 stopped renewing, judged by the API server\'s clock, with its real dead connection and the cause named', () => {
    expect(of('node-heartbeat')).toEqual(['deadApiConnection critical ckn4', 'leaseStale critical ckn4']);
    const dead = report.findings.find((f) => f.rule === 'deadApiConnection')!;
    expect(dead.message).toMatch(/ckn4: the kubelet's connection 198\.18\.0\.14:\d+ → 198\.18\.0\.11:6443 has \d+ bytes unacknowledged \(Send-Q\), the retransmit timer has fired \d+ times/);
    expect(dead.message).toContain('With tcp_retries2=15 the kernel fails it only after ≈ 924.6 s');
    expect(dead.remediation.steps!.join('\n')).toContain('DISABLE_HTTP2=true in the kubelet\'s environment');
    const stale = report.findings.find((f) => f.rule === 'leaseStale')!;
    expect(stale.message).toContain('ckn4: the kubelet last renewed its Lease 100 s ago by the API server\'s clock');
    expect(JSON.stringify(stale.evidence)).toContain('http2: client connection lost');
    expect((stale.evidence as any).kubelet.pid).toBe(kubeletPid);
  });

  it('never lets the rest of the kubelet\'s environment out', () => {
    expect(stdout).not.toContain(SECRET);
    expect(stdout).not.toContain('AWS_SECRET_ACCESS_KEY');
    expect(stdout).toMatch(/"HTTP2_PING_TIMEOUT_SECONDS": "15"/);
  });

  it('node-imbalance: the hot and the cold node of one pool, by requests and by usage; replicas on one node', () => {
    expect(of('node-imbalance')).toEqual([
      'replicasOnOneNode warning web',
      'requestsSpread warning node.kubernetes.io/instance-type=m5.xlarge',
      'usageSpread warning node.kubernetes.io/instance-type=m5.xlarge',
    ]);
    const req = report.findings.find((f) => f.rule === 'requestsSpread')!;
    expect(req.message).toContain('ckn1 84.4 % memory requested while ckn2 6.3 % memory');
    expect(req.message).toContain('Not compared: ckn4 (not Ready)');
  });

  it('--no-ssh: node-heartbeat still judges the Leases from the API; conntrack-table says it was not evaluated', async () => {
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', 'node-heartbeat,conntrack-table', '--no-ssh', '-o', 'json']);
    const noSsh = JSON.parse(r.stdout) as Report;
    expect(noSsh.checks.map((c) => [c.id, c.status, c.reason])).toEqual([
      ['conntrack-table', 'skip', 'node checks not evaluated: --no-ssh'],
      ['node-heartbeat', 'fail', 'node checks not evaluated: --no-ssh'],
    ]);
    expect(noSsh.findings.map((f) => `${f.rule} ${f.target.name}`)).toEqual(['leaseStale ckn4']);
  });

  it('the report validates against the JSON schema (rule ids, the new check id)', () => {
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'src', 'report', 'report.schema.json'), 'utf8')));
    expect(validate(report) ? [] : validate.errors).toEqual([]);
  });

  it('healthy look-alikes stay silent, and the run was read-only', () => {
    expect(report.findings.filter((f) => f.target.name === 'ckn1' || f.target.name === 'api')).toEqual([]);
    expect(report.gaps).toEqual([]);
    expect(server.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(code).toBe(1);
  });
});

describeReal('node-imbalance without a metrics API', { commands: ['openssl'] }, () => {
  it('judges requests only, says so, and records the missing metrics.k8s.io as a gap', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'checkup-e2e-nometrics-'));
    const n = (name: string) => node(name, '10.0.0.1', { status: 'True', since: 86400 });
    const objects = {
      Node: [n('a'), n('b')],
      Pod: [...Array.from({ length: 14 }, (_, i) => pod('a', '1Gi', { kind: 'StatefulSet', name: `s${i}` })), pod('b', '1Gi', { kind: 'StatefulSet', name: 'lonely' })],
    };
    const server = await startFakeApiServer({ objects, tls: true, token: 'nometrics', now: API_NOW, disable: ['nodes.metrics.k8s.io'] });
    try {
      server.writeKubeconfig(join(tmp, 'kubeconfig'));
      const r = await runCli(['--kubeconfig', join(tmp, 'kubeconfig'), '--checks', 'node-imbalance', '-o', 'json']);
      const rep = JSON.parse(r.stdout) as Report;
      expect(rep.findings.map((f) => f.rule)).toEqual(['requestsSpread']);
      expect(rep.findings[0]!.message).toContain('Judged on requests only: metrics.k8s.io is not served');
      expect(rep.gaps).toEqual([{ source: 'api', resource: 'nodes.metrics.k8s.io', reason: expect.stringContaining('404') }]);
      expect(r.code).toBe(0);
    } finally {
      await server.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
