import { describe, expect, it } from '@jest/globals';
import check from '../../checks/syn-backlog/index.js';
import { memoryApiSource, memoryNodeSource, type RawNodes } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import type { RawSample } from '../../src/node/probe-types.js';
import { runCheck } from '../../src/check.js';
import { fixture } from '../node/probes-fixture.js';

const NOW = new Date('2026-11-25T19:00:00Z');
const nodeObj = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } });
const raw = (stdout: string): RawSample => ({ stdout, exitCode: 0 });

type Tcp = Partial<Record<'ListenOverflows' | 'ListenDrops' | 'TCPReqQFullDrop' | 'TCPReqQFullDoCookies' | 'SyncookiesSent' | 'PassiveOpens', number>>;
function netstat(c: Tcp): RawSample {
  const ext = { SyncookiesSent: 0, ListenOverflows: 0, ListenDrops: 0, TCPReqQFullDoCookies: 0, TCPReqQFullDrop: 0, ...c };
  delete (ext as Tcp).PassiveOpens;
  return raw(`@@ file /proc/net/netstat\nTcpExt: ${Object.keys(ext).join(' ')}\nTcpExt: ${Object.values(ext).join(' ')}\n` +
    `IpExt: InNoRoutes\nIpExt: 0\n@@ file /proc/net/snmp\nTcp: RtoAlgorithm MaxConn PassiveOpens\nTcp: 1 -1 ${c.PassiveOpens ?? 0}\n@@ end\n`);
}
function sysctls(somaxconn = 4096, synBacklog = 1024, syncookies = 1): RawSample {
  return raw(`@@ file /proc/sys/net/core/somaxconn\n${somaxconn}\n@@ file /proc/sys/net/ipv4/tcp_max_syn_backlog\n${synBacklog}\n` +
    `@@ file /proc/sys/net/ipv4/tcp_syncookies\n${syncookies}\n@@ end\n`);
}
const ss = (...rows: string[]) => raw(`@@ ss\nState  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n${rows.map((r) => `${r}\n`).join('')}@@ exit 0\n@@ end\n`);
const noLog = raw('@@ source dmesg-iso\n@@ end\n');
const dmesgIso = (...lines: string[]) => raw(`@@ source dmesg-iso\n${lines.map((l) => `${l}\n`).join('')}@@ end\n`);

function quietNode(over: Partial<Record<'netstat' | 'sysctls' | 'listeners' | 'kernelLog', RawSample[]>> = {}) {
  return {
    netstat: [netstat({ PassiveOpens: 100 }), netstat({ PassiveOpens: 180 })],
    sysctls: [sysctls()],
    listeners: [ss('LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:*'), ss('LISTEN 1 4096 0.0.0.0:8080 0.0.0.0:*')],
    kernelLog: [noLog],
    ...over,
  };
}

async function run(nodes: RawNodes, interval = 30) {
  return runCheck(check, { objects: { Node: Object.keys(nodes).map(nodeObj) }, nodes, now: NOW, sampleIntervalSeconds: interval });
}

describe('syn-backlog', () => {
  it('passes on a quiet node (real samples of this machine)', async () => {
    const { result, findings } = await run({
      'node-1': {
        netstat: [raw(fixture('host/netstat.1.txt')), raw(fixture('host/netstat.2.txt'))],
        sysctls: [raw(fixture('host/sysctls.txt'))],
        listeners: [raw(fixture('host/listeners.1.txt')), raw(fixture('host/listeners.2.txt'))],
        kernelLog: [raw(fixture('host/kernelLog.txt'))],
      },
    }, 1);
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('is critical for a real accept-queue overflow (real samples: 54 overflows in 3 s)', async () => {
    const { result, findings } = await run({
      'node-1': {
        netstat: [raw(fixture('syn-overflow/netstat.1.txt')), raw(fixture('syn-overflow/netstat.2.txt'))],
        sysctls: [raw(fixture('host/sysctls.txt'))],
        listeners: [raw(fixture('syn-overflow/listeners.1.txt')), raw(fixture('syn-overflow/listeners.2.txt'))],
        kernelLog: [noLog],
      },
    }, 3);
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({ check: 'syn-backlog', severity: 'critical', target: { kind: 'Node', name: 'node-1' } });
    expect(f.evidence).toMatchObject({ intervalSeconds: 3, counters: { ListenOverflows: { delta: 54, perSecond: 18, sinceBoot: 54 } } });
    expect(f.evidence!.smallBacklogListeners).toEqual([{ address: '127.0.0.1', port: 8080, recvQ: 2, sendQ: 1 }]);
    expect(f.message).toContain('node-1, in the 3 s between two samples: an accept queue overflowed 54 times (ListenOverflows, 18/s, more than the 2 connections accepted)');
    expect(f.message).toMatch(/pods have their own per-namespace counters and their own somaxconn/);
    expect(f.remediation.steps!.join('\n')).toContain('net.core.somaxconn = 4096 and net.ipv4.tcp_max_syn_backlog = 8192 (now 4096 and 2048)');
  });

  it('is a warning for SYN cookies, with the kernel line of this kernel as evidence (real samples)', async () => {
    const { findings } = await run({
      'node-1': {
        netstat: [raw(fixture('syn-cookies/netstat.1.txt')), raw(fixture('syn-cookies/netstat.2.txt'))],
        sysctls: [raw(fixture('host/sysctls.txt'))],
        listeners: [raw(fixture('syn-cookies/listeners.txt')), raw(fixture('syn-cookies/listeners.txt'))],
        kernelLog: [raw(fixture('syn-cookies/kernelLog.txt'))],
      },
    }, 2);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { counters: { TCPReqQFullDoCookies: { delta: 3 } } } });
    expect(findings[0]!.message).toContain('3 SYNs answered with cookies');
    expect(findings[0]!.evidence!.kernelLog).toEqual([
      'TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:8080. Sending cookies.',
      'TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:8080. Sending cookies.',
    ]);
    expect(findings[0]!.remediation.steps![0]).toContain('suspect port 8080');
  });

  it.each([
    ['a slow trickle is a warning (0.1/s, 0.3 % of new connections)', { ListenOverflows: 3, ListenDrops: 3, PassiveOpens: 1000 }, 'warning'],
    ['over 1/s is critical', { ListenOverflows: 45, ListenDrops: 45, PassiveOpens: 100000 }, 'critical'],
    ['over 1 % of new connections is critical even when slow', { ListenOverflows: 20, ListenDrops: 20, PassiveOpens: 100 }, 'critical'],
    ['SYNs dropped with cookies off is critical', { TCPReqQFullDrop: 2, ListenDrops: 2, PassiveOpens: 100 }, 'critical'],
  ] as const)('%s', async (_, delta, severity) => {
    const { findings } = await run({ 'node-1': quietNode({ netstat: [netstat({}), netstat(delta)] }) }, 30);
    expect(findings.map((f) => f.severity)).toEqual([severity]);
    expect(findings[0]!.evidence).toMatchObject({ intervalSeconds: 30 });
  });

  it('takes its critical line from the config file settings (minOverflowsPerSecond, minOverflowSharePercent)', async () => {
    const trickle = { 'node-1': quietNode({ netstat: [netstat({}), netstat({ ListenOverflows: 3, ListenDrops: 3, PassiveOpens: 1000 })] }) };
    const strict = await runCheck(check, { objects: { Node: [nodeObj('node-1')] }, nodes: trickle, now: NOW, sampleIntervalSeconds: 30, options: { minOverflowsPerSecond: 0.05 } });
    expect(strict.findings.map((f) => f.severity)).toEqual(['critical']);
    const byShare = await runCheck(check, { objects: { Node: [nodeObj('node-1')] }, nodes: trickle, now: NOW, sampleIntervalSeconds: 30, options: { minOverflowSharePercent: 0.1 } });
    expect(byShare.findings.map((f) => f.severity)).toEqual(['critical']);
  });

  it('names tcp_syncookies=0 as its own warning', async () => {
    const { findings } = await run({ 'node-1': quietNode({ sysctls: [sysctls(4096, 1024, 0)] }) });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', actual: 'net.ipv4.tcp_syncookies = 0' });
  });

  it('ignores cookie counters when tcp_syncookies=2 (every SYN gets a cookie)', async () => {
    const { result, findings } = await run({
      'node-1': quietNode({ sysctls: [sysctls(4096, 1024, 2)], netstat: [netstat({ TCPReqQFullDoCookies: 10, SyncookiesSent: 10 }), netstat({ TCPReqQFullDoCookies: 900, SyncookiesSent: 900 })] }),
    });
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('computes no rate from a counter that went down (reset) and reports the totals as info', async () => {
    const { result, findings } = await run({ 'node-1': quietNode({ netstat: [netstat({ ListenOverflows: 500 }), netstat({ ListenOverflows: 7 })] }) });
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    expect(findings[0]!.message).toMatch(/reset between the samples \(ListenOverflows/);
    expect(result.status).toBe('pass');
  });

  it('with --sample-interval 0 reports since-boot totals as info only', async () => {
    const { result, findings } = await run({ 'node-1': quietNode({ netstat: [netstat({ ListenOverflows: 4377, ListenDrops: 4377 })], listeners: [ss('LISTEN 0 4096 0.0.0.0:80 0.0.0.0:*')] }) }, 0);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'info', evidence: { intervalSeconds: 0, counters: { ListenOverflows: { sinceBoot: 4377 } } } });
    expect(findings[0]!.evidence!.counters).not.toHaveProperty('ListenOverflows.perSecond');
    expect(findings[0]!.message).toContain('one sample only');
    expect(result.status).toBe('pass');
  });

  it('reports historical overflow as info when the counters are quiet now', async () => {
    const { findings } = await run({ 'node-1': quietNode({ netstat: [netstat({ ListenOverflows: 12 }), netstat({ ListenOverflows: 12 })] }) });
    expect(findings.map((f) => [f.severity, f.actual])).toEqual([['info', 'historical only: ListenOverflows=12']]);
  });

  it('treats ListenDrops without overflows as not a backlog problem (info)', async () => {
    const { result, findings } = await run({ 'node-1': quietNode({ netstat: [netstat({ ListenDrops: 5 }), netstat({ ListenDrops: 9 })] }) });
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    expect(findings[0]!.message).toContain('4 SYNs to listening sockets were dropped in 30 s without an accept-queue overflow');
    expect(result.status).toBe('pass');
  });

  it('warns about a listener whose accept queue is nearly full at both looks, not at one', async () => {
    const both = await run({ 'node-1': quietNode({ listeners: [ss('LISTEN 110 128 [::]:9000 [::]:*', 'LISTEN 0 4096 0.0.0.0:80 0.0.0.0:*'), ss('LISTEN 128 128 [::]:9000 [::]:*', 'LISTEN 0 4096 0.0.0.0:80 0.0.0.0:*')] }) });
    expect(both.findings).toHaveLength(1);
    expect(both.findings[0]).toMatchObject({ severity: 'warning', evidence: { listeners: [{ address: '::', port: 9000, recvQ: 128, sendQ: 128 }] } });
    expect(both.findings[0]!.message).toContain('[::]:9000');
    const once = await run({ 'node-1': quietNode({ listeners: [ss('LISTEN 3 128 [::]:9000 [::]:*'), ss('LISTEN 128 128 [::]:9000 [::]:*')] }) });
    expect(once.findings).toEqual([]);
  });

  it('warns about a SYN flood message from the last hour, not an older one', async () => {
    const recent = await run({ 'node-1': quietNode({ kernelLog: [dmesgIso('2026-11-25T18:40:00,000000+00:00 TCP: request_sock_TCP: Possible SYN flooding on port 10.0.0.5:8080. Sending cookies.')] }) });
    expect(recent.findings).toHaveLength(1);
    expect(recent.findings[0]).toMatchObject({ severity: 'warning' });
    expect(recent.findings[0]!.message).toContain('on port 10.0.0.5:8080 within the last hour');
    const old = await run({ 'node-1': quietNode({ kernelLog: [dmesgIso('2026-11-25T16:40:00,000000+00:00 TCP: request_sock_TCP: Possible SYN flooding on port 8080. Sending cookies.')] }) });
    expect(old.findings).toEqual([]);
  });

  it('turns garbage probe output into gaps, not a crash, and still uses what parsed', async () => {
    const out = await runChecks({
      checks: [check],
      api: memoryApiSource({ Node: [nodeObj('node-1')] }, { now: NOW }),
      nodes: memoryNodeSource({ 'node-1': quietNode({ netstat: [raw('TcpExt: ListenOverflows\n'), raw('garbage')], sysctls: [sysctls(4096, 1024, 0)], kernelLog: [raw('@@ source none 1\n@@ end\n')] }) }, 30),
      scope: {},
      settings: { sampleIntervalSeconds: 30 },
    });
    expect(out.results[0]).toMatchObject({ status: 'fail' });
    expect(out.findings.map((f) => f.actual)).toEqual(['net.ipv4.tcp_syncookies = 0']);
    expect(out.gaps).toEqual(expect.arrayContaining([
      expect.objectContaining({ source: 'ssh', node: 'node-1', probe: 'netstat' }),
      { source: 'ssh', node: 'node-1', probe: 'kernelLog', reason: 'kernel log not readable (dmesg_restrict; use --sudo)' },
    ]));
  });

  // An idle sshd with the default backlog of 128 is not the listener that overflowed when :443 sits full.
  it.each([
    ['a full :443 next to an idle sshd names 443 only', ['LISTEN 4097 4096 0.0.0.0:443 0.0.0.0:*', 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:*'], '(suspect port 443)', ':443'],
    ['no listener caught full falls back to the small backlog', ['LISTEN 3 4096 0.0.0.0:443 0.0.0.0:*', 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:*'], '(suspect port 22)', undefined],
  ] as const)('remediation suspects: %s', async (_, rows, suspects, fullListener) => {
    const { findings } = await run({
      'node-1': quietNode({ netstat: [netstat({}), netstat({ ListenOverflows: 90, ListenDrops: 90, PassiveOpens: 5000 })], listeners: [ss(...rows), ss(...rows)] }),
    });
    expect(findings.map((f) => f.severity)).toEqual(['critical']);
    const first = findings[0]!.remediation.steps![0]!;
    expect(first).toContain(suspects);
    expect(first).not.toMatch(/suspect ports/);
    expect(findings[0]!.evidence).toMatchObject({ smallBacklogListeners: [{ port: 22, sendQ: 128 }] });
    expect((findings[0]!.evidence!.nearlyFullListeners as { port: number }[] | undefined)?.map((l) => `:${l.port}`)[0]).toBe(fullListener);
  });

  it('evaluates each node on its own numbers', async () => {
    const { findings } = await run({
      'node-1': quietNode(),
      'node-2': quietNode({ netstat: [netstat({}), netstat({ ListenOverflows: 90, ListenDrops: 90, PassiveOpens: 100 })], sysctls: [sysctls(128, 512, 1)] }),
    });
    expect(findings.map((f) => [f.target.name, f.severity])).toEqual([['node-2', 'critical']]);
    expect(findings[0]!.evidence).toMatchObject({ sysctls: { 'net.core.somaxconn': 128 } });
    expect(findings[0]!.remediation.steps!.join('\n')).toContain('(now 128 and 512)');
  });
});

// podNetns output as the fragment prints it on a node (format verified against this machine's kernel
// in test/e2e/cli-pod-netns.test.ts): H host inode, N inode pid uptime, G cgroup line, C counters, L listeners.
const UID_API = '0f6c1b8e-2a7d-4c1e-9b3f-5d2e8a7c6b01';
const UID_DB = '7a1d0c2e-4b5f-4e6a-8c9d-0e1f2a3b4c5d';
function podNs(over: { at: number; api: Tcp; db?: Tcp; apiQueue?: number; other?: boolean }): RawSample {
  const c = (t: Tcp) => {
    const all = { SyncookiesSent: 0, ListenOverflows: 0, ListenDrops: 0, TCPReqQFullDoCookies: 0, TCPReqQFullDrop: 0, ...t };
    const { PassiveOpens = 0, ...ext } = all;
    return `C ${Object.entries(ext).map(([k, v]) => `${k}=${v}`).join(' ')}\nC PassiveOpens=${PassiveOpens}\n`;
  };
  return raw('H 4026531840\n' +
    // systemd cgroup driver: dashes of the UID become underscores
    `N 4026532301 4242 ${over.at}\nG 0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_API.replaceAll('-', '_')}.slice/cri-containerd-abc.scope\n` +
    c(over.api) + `L 00000000:1F90 ${(over.apiQueue ?? 0).toString(16).padStart(8, '0')}\nL 0100007F:2382 00000000\n` +
    (over.db ? `N 4026532400 5151 ${over.at}\nG 0::/kubepods/besteffort/pod${UID_DB}/d1e2\n${c(over.db)}L 00000000000000000000000000000000:1538 00000000\n` : '') +
    (over.other ? 'X 4026532500\n' : '') + 'S 0\nE\n');
}
const pod = (name: string, uid: string, owner: string, node = 'node-1', extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'shop', uid, labels: { 'pod-template-hash': '5d8f' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `rs-${owner}`, controller: true }] },
  spec: { nodeName: node, containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080, name: 'http' }] }], ...extra },
});
const unhealthy = (podName: string, uid: string, message: string, count: number) => ({
  apiVersion: 'v1', kind: 'Event', metadata: { name: `${podName}.1`, namespace: 'shop' }, reason: 'Unhealthy', type: 'Warning', message, count,
  involvedObject: { kind: 'Pod', name: podName, namespace: 'shop', uid }, lastTimestamp: '2026-11-25T18:58:00Z',
});

async function runPods(podNetns: RawSample[], objects: Record<string, unknown[]> = {}, interval = 5) {
  return runCheck(check, {
    objects: {
      Node: [nodeObj('node-1')],
      Pod: [pod('api-5d8f-x1', UID_API, 'api-5d8f'), pod('db-0', UID_DB, 'db-5d8f')],
      ...objects,
    } as never,
    nodes: { 'node-1': { ...quietNode(), podNetns } },
    now: NOW, sampleIntervalSeconds: interval,
  });
}

describe('syn-backlog in pod network namespaces', () => {
  it('pins an overflow inside a pod on its workload, with the listener, the container port and the probe failures', async () => {
    const { findings } = await runPods(
      [podNs({ at: 100, api: { ListenOverflows: 10, PassiveOpens: 50 }, db: {}, apiQueue: 3, other: true }),
        podNs({ at: 105.5, api: { ListenOverflows: 40, ListenDrops: 40, PassiveOpens: 52 }, db: {}, apiQueue: 3, other: true })],
      { Event: [unhealthy('api-5d8f-x1', UID_API, 'Liveness probe failed: dial tcp 10.244.1.7:8080: i/o timeout', 4), unhealthy('api-5d8f-x1', UID_API, 'Readiness probe failed: context deadline exceeded', 2)] },
    );
    expect(findings.map((f) => [f.rule, f.severity, f.target])).toEqual([
      ['podListenOverflowNow', 'critical', { kind: 'Deployment', name: 'api', namespace: 'shop' }],
    ]);
    const f = findings[0]!;
    expect(f.message).toContain('pod shop/api-5d8f-x1 on node-1, in the 5.5 s between two samples: an accept queue overflowed 30 times (ListenOverflows, 5.45/s, more than the 2 connections accepted)');
    expect(f.message).toContain('accept queue not empty at every sample on 0.0.0.0:8080 (web http) = 3');
    expect(f.message).toContain('the kubelet reported 4 liveness and 2 readiness probe failures for it (Unhealthy events)');
    expect(f.evidence).toMatchObject({ pods: [{ pod: 'shop/api-5d8f-x1', node: 'node-1', intervalSeconds: 5.5, sinceStart: { ListenOverflows: 40 }, unhealthyEvents: { liveness: 4, readiness: 2, last: '2026-11-25T18:58:00Z' } }] });
    expect(f.remediation.steps!.join('\n')).toMatch(/raise the backlog or capacity rather than the probe timeouts/);
  });

  it('says nothing about clean pods, pods of other nodes, hostNetwork pods or unknown namespaces', async () => {
    const busy = [podNs({ at: 1, api: { ListenOverflows: 1 } }), podNs({ at: 6, api: { ListenOverflows: 9 } })];
    // Clean: no counters at all.
    expect((await runPods([podNs({ at: 1, api: {}, db: {} }), podNs({ at: 6, api: { PassiveOpens: 9 }, db: {} })])).findings).toEqual([]);
    // The same namespace is seen from a node the pod is not on (a shared /proc): not pinned there.
    expect((await runPods(busy, { Pod: [pod('api-5d8f-x1', UID_API, 'api-5d8f', 'node-2')] })).findings).toEqual([]);
    expect((await runPods(busy, { Pod: [pod('api-5d8f-x1', UID_API, 'api-5d8f', 'node-1', { hostNetwork: true })] })).findings).toEqual([]);
    expect((await runPods(busy, { Pod: [] })).findings).toEqual([]);
  });

  it('reports overflows since the pod started only next to failed probes, as info', async () => {
    const old = [podNs({ at: 1, api: { ListenOverflows: 12 } }), podNs({ at: 6, api: { ListenOverflows: 12 } })];
    expect((await runPods(old)).findings).toEqual([]);
    const { findings } = await runPods(old, { Event: [unhealthy('api-5d8f-x1', UID_API, 'Liveness probe failed: HTTP probe failed with statuscode: 503', 1)] });
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['podListenOverflowSinceStart', 'info']]);
    expect(findings[0]!.message).toContain('ListenOverflows 12 since the pod\'s network namespace was created, none while sampling');
  });

  it('a slow trickle in a pod is a warning, and the pod namespace data never changes the node\'s verdict', async () => {
    const { findings } = await runPods([podNs({ at: 0, api: { ListenOverflows: 0, PassiveOpens: 1000 } }), podNs({ at: 30, api: { ListenOverflows: 2, PassiveOpens: 2000 } })], {}, 30);
    expect(findings.map((f) => [f.rule, f.severity, f.target.kind])).toEqual([['podListenOverflowNow', 'warning', 'Deployment']]);
  });

  it('garbage podNetns output is a gap; the host namespace is still judged', async () => {
    const { result, findings } = await runPods([raw('H 1\nN x\nE\n')]);
    expect(result.status).toBe('pass');
    expect(findings).toEqual([]);
  });
});
