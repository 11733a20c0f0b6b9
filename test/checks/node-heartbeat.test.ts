import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event, V1Lease, V1Node } from '@kubernetes/client-node';
import check from '../../checks/node-heartbeat/index.js';
import { retransmitGiveUpSeconds } from '../../checks/node-heartbeat/causes.js';
import type { ObjectsByKind, RawNodes } from '../../src/engine/memory-source.js';
import type { Finding } from '../../src/engine/types.js';
import type { KubeObject } from '../../src/kube/resources.js';
import { kubeletConn } from '../../src/node/probes/kubeletConn.js';
import { runCheck } from '../../src/check.js';

// The API server's clock, deliberately far from this machine's: every age must come from it (trap).
const NOW = new Date('2031-03-01T08:00:00Z');
const at = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000).toISOString();
const micro = (secondsAgo: number) => at(secondsAgo).replace('Z', '').replace(/\.(\d{3})$/, '.$1000Z');

interface N { ready?: 'True' | 'False' | 'Unknown'; since?: number; reason?: string; message?: string; cordoned?: boolean; version?: string }
const node = (name: string, o: N = {}): V1Node => ({
  metadata: { name },
  spec: { unschedulable: o.cordoned || undefined },
  status: {
    addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
    conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: o.reason ?? (o.ready && o.ready !== 'True' ? 'NodeStatusUnknown' : 'KubeletReady'), message: o.message ?? 'kubelet is posting ready status', lastTransitionTime: at(o.since ?? 86400) as never, lastHeartbeatTime: at(200) as never }],
    nodeInfo: { kubeletVersion: o.version ?? 'v1.31.4' } as never,
  },
} as V1Node);
const lease = (name: string, renewedSecondsAgo: number, duration = 40): V1Lease => ({
  metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: duration, renewTime: micro(renewedSecondsAgo) as never },
});
const notReadyEvent = (nodeName: string, count: number, lastSecondsAgo: number): CoreV1Event => ({
  metadata: { name: `${nodeName}.1`, namespace: 'default', creationTimestamp: at(lastSecondsAgo + 1800) as never }, involvedObject: { kind: 'Node', name: nodeName }, reason: 'NodeNotReady',
  message: `Node ${nodeName} status is now: NodeNotReady`, count, lastTimestamp: at(lastSecondsAgo) as never, firstTimestamp: at(lastSecondsAgo + 1800) as never, type: 'Normal',
} as CoreV1Event);

const O = (x: object[]) => x as unknown as KubeObject[];
async function run(objects: ObjectsByKind, nodes?: RawNodes) {
  return runCheck(check, { objects, now: NOW, nodes });
}
const brief = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.severity} ${f.target.name}`).sort();

/** kubeletConn output as the fragment prints it (ss rows from a real silent-peer connection on Linux 6.18). */
function conn(o: { env?: string[]; retries2?: number; stuck?: boolean; journal?: string[] } = {}): string {
  const ss = o.stuck
    ? '0      20000   198.18.0.202:41890 198.18.0.201:6443 users:(("kubelet",pid=27177,fd=3)) timer:(on,2.632ms,4)\n\t ts sack bbr wscale:10,10 rto:3264 backoff:4 rtt:0.035/0.008 mss:1448 cwnd:1 bytes_sent:11000 bytes_retrans:4000 bytes_acked:5001 lastsnd:632 lastrcv:4996 lastack:4192 unacked:2 retrans:1/4 lost:2 notsent:18000\n'
    : '0      0   198.18.0.202:41890 198.18.0.201:6443 users:(("kubelet",pid=27177,fd=3)) timer:(keepalive,20sec,0)\n\t ts sack cubic rto:204 lastsnd:200 lastrcv:200 lastack:200\n';
  return `@@ pid 27177\n@@ env\n${(o.env ?? []).map((l) => `${l}\n`).join('')}@@ ss\n${ss}@@ retries2\n${o.retries2 ?? 15}\n@@ journal\n${(o.journal ?? []).map((l) => `${l}\n`).join('')}@@ end\n`;
}

describe('node-heartbeat: API', () => {
  it('is silent for fresh Leases judged by the API server\'s clock, not this machine\'s (trap: clock skew)', async () => {
    const { result, findings } = await run({ Node: O([node('a'), node('b')]), Lease: O([lease('a', 4), lease('b', 9)]) });
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('is critical for one stale Lease, warns for a late one, and says a node still Ready has not been noticed yet', async () => {
    const { findings } = await run({ Node: O([node('a'), node('b'), node('c'), node('d')]), Lease: O([lease('a', 4), lease('b', 95), lease('c', 25), lease('d', 3)]) });
    expect(brief(findings)).toEqual(['leaseLate warning c', 'leaseStale critical b']);
    const stale = findings.find((f) => f.rule === 'leaseStale')!;
    expect(stale.message).toContain('b: the kubelet last renewed its Lease 95 s ago by the API server\'s clock (lease duration 40 s');
    expect(stale.message).toContain('The node still shows Ready');
    expect(stale.evidence).toMatchObject({ apiServerNow: '2031-03-01T08:00:00Z', leaseAgeSeconds: 95 });
  });

  it('does not call a Lease stale because the node\'s clock is ahead', async () => {
    const { findings } = await run({ Node: O([node('a'), node('b')]), Lease: O([lease('a', -120), lease('b', 3)]) });
    expect(findings).toEqual([]);
  });

  it('reports many nodes NotReady together once, as a shared cause, not node by node', async () => {
    const nodes = [node('a', { ready: 'Unknown', since: 300 }), node('b', { ready: 'Unknown', since: 280 }), node('c', { ready: 'Unknown', since: 250 }), node('d'), node('e')];
    const { findings } = await run({ Node: O(nodes), Lease: O([lease('a', 320), lease('b', 300), lease('c', 270), lease('d', 5), lease('e', 5)]) });
    expect(brief(findings)).toEqual(['manyNodesNotReady critical cluster']);
    expect(findings[0]!.message).toContain('3 of 5 nodes are NotReady or have stopped renewing their Lease at once (a, b, c): that is one shared cause');
    expect(findings[0]!.remediation.steps![0]).toContain('load balancer');
  });

  it('treats one node down alone as that node\'s problem', async () => {
    const { findings } = await run({ Node: O([node('a', { ready: 'Unknown', since: 300 }), node('b'), node('c')]), Lease: O([lease('a', 320), lease('b', 5), lease('c', 5)]) });
    expect(brief(findings)).toEqual(['leaseStale critical a']);
  });

  it('does not count cordoned nodes being upgraded as an outage (trap), and reports them as info', async () => {
    const nodes = [node('a', { ready: 'Unknown', since: 100, cordoned: true }), node('b', { ready: 'Unknown', since: 90, cordoned: true }), node('c', { ready: 'False', since: 80, cordoned: true }), node('d')];
    const { result, findings } = await run({ Node: O(nodes), Lease: O([lease('a', 120), lease('b', 100), lease('c', 3), lease('d', 5)]) });
    expect(brief(findings)).toEqual(['leaseStale info a', 'leaseStale info b', 'notReady info c']);
    expect(findings.find((f) => f.target.name === 'a')!.message).toContain('cordoned');
    expect(result.status).toBe('pass');
  });

  it('NotReady with a fresh Lease: the kubelet is alive and says why', async () => {
    const { findings } = await run({ Node: O([node('a', { ready: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady', since: 600 }), node('b')]), Lease: O([lease('a', 3), lease('b', 3)]) });
    expect(brief(findings)).toEqual(['notReady critical a']);
    expect(findings[0]!.message).toContain('the kubelet is alive and reports a problem of its own — "container runtime network not ready');
  });

  it('warns about flapping from NodeNotReady events of the last hour only', async () => {
    const objects = { Node: O([node('a'), node('b')]), Lease: O([lease('a', 3), lease('b', 3)]), Event: O([notReadyEvent('a', 4, 600), notReadyEvent('b', 9, 7200)]) };
    const { findings } = await run(objects);
    expect(brief(findings)).toEqual(['readyFlapping warning a']);
    expect(findings[0]!.message).toContain('went NotReady 4 times within the last hour');
  });

  it('warns about a kubelet older than the HTTP/2 health check, and a node without a Lease', async () => {
    const { findings } = await run({ Node: O([node('a', { version: 'v1.18.20' }), node('b'), node('c')]), Lease: O([lease('a', 3), lease('c', 3)]) });
    expect(brief(findings)).toEqual(['kubeletWithoutHttp2Ping warning a', 'noLease warning b']);
  });
});

describe('node-heartbeat: over SSH', () => {
  it('names the causes of a stuck kubelet connection on a node that stopped renewing', async () => {
    const objects = { Node: O([node('a', { ready: 'Unknown', since: 120 }), node('b'), node('c')]), Lease: O([lease('a', 130), lease('b', 3), lease('c', 3)]) };
    const nodes: RawNodes = {
      a: { kubeletConn: conn({ stuck: true, env: ['DISABLE_HTTP2=true'], retries2: 15, journal: ['2031-03-01T07:58:10+0000 a kubelet[27177]: E0301 07:58:10.1 27177 controller.go:145] "Failed to ensure lease exists, will retry" err="http2: client connection lost"'] }) },
      b: { kubeletConn: conn() }, c: { kubeletConn: conn() },
    };
    const { findings } = await run(objects, nodes);
    expect(brief(findings)).toEqual(['deadApiConnection critical a', 'leaseStale critical a']);
    const dead = findings.find((f) => f.rule === 'deadApiConnection')!;
    expect(dead.message).toContain('198.18.0.202:41890 → 198.18.0.201:6443 has 20000 bytes unacknowledged (Send-Q), the retransmit timer has fired 4 times, nothing acknowledged for 4.2 s');
    expect(dead.message).toContain('With tcp_retries2=15 the kernel fails it only after ≈ 924.6 s');
    const steps = dead.remediation.steps!.join('\n');
    expect(steps).toContain('DISABLE_HTTP2=true in the kubelet\'s environment');
    expect(steps).toContain('net.ipv4.tcp_retries2 = 8 (≈ 102.2 s)');
    expect(JSON.stringify(findings.find((f) => f.rule === 'leaseStale')!.evidence)).toContain('http2: client connection lost');
  });

  it('names a stretched health check as the cause of flapping, and folds the journal lines into that finding', async () => {
    const objects = { Node: O([node('a', { since: 440 }), node('b')]), Lease: O([lease('a', 3), lease('b', 3)]), Event: O([notReadyEvent('a', 3, 480)]) };
    const lost = '2031-03-01T07:52:25+0000 a kubelet[27177]: E0301 07:52:25.1 27177 controller.go:145] "Failed to update lease" err="http2: client connection lost"';
    const { findings } = await run(objects, { a: { kubeletConn: conn({ env: ['HTTP2_READ_IDLE_TIMEOUT_SECONDS=60'], journal: [lost, lost] }) }, b: { kubeletConn: conn({ journal: [lost] }) } });
    expect(brief(findings)).toEqual(['connectionLostLogged info b', 'readyFlapping warning a']);
    const flap = findings.find((f) => f.rule === 'readyFlapping')!;
    expect(flap.message).toContain('The kubelet logged 2 lost or closed API server connections in the same hour.');
    expect(flap.message).toContain('On this node: HTTP2_READ_IDLE_TIMEOUT_SECONDS=60 (with a 15 s ping timeout) lets a dead connection live longer than the node grace period');
  });

  it('says when the HTTP/2 health check is switched off in the kubelet environment', async () => {
    const objects = { Node: O([node('a', { ready: 'Unknown', since: 120 }), node('b'), node('c')]), Lease: O([lease('a', 130), lease('b', 3), lease('c', 3)]) };
    const { findings } = await run(objects, { a: { kubeletConn: conn({ stuck: true, env: ['HTTP2_READ_IDLE_TIMEOUT_SECONDS=0'], retries2: 8 }) }, b: { kubeletConn: conn() }, c: { kubeletConn: conn() } });
    const steps = findings.find((f) => f.rule === 'deadApiConnection')!.remediation.steps!.join('\n');
    expect(steps).toContain('HTTP2_READ_IDLE_TIMEOUT_SECONDS=0 in the kubelet\'s environment turns the HTTP/2 health check off');
    expect(steps).not.toContain('tcp_retries2=8:');
  });

  it('keeps only the three HTTP/2 variables of the kubelet environment (secrets never leave)', () => {
    const raw = '@@ pid 1\n@@ env\nDISABLE_HTTP2=true\nAWS_SECRET_ACCESS_KEY=abc\nHTTP2_PING_TIMEOUT_SECONDS=15; curl evil\nHTTP2_READ_IDLE_TIMEOUT_SECONDS=30\n@@ retries2\n15\n@@ end\n';
    const reduced = kubeletConn.reduce!(raw);
    expect(reduced).not.toContain('AWS_SECRET');
    expect(reduced).not.toContain('curl');
    expect(kubeletConn.parse([{ stdout: reduced, exitCode: 0 }], 0).env).toEqual({ DISABLE_HTTP2: 'true', HTTP2_READ_IDLE_TIMEOUT_SECONDS: '30' });
  });

  it('computes how long the kernel retransmits before giving up', () => {
    expect(retransmitGiveUpSeconds(15)).toBe(924.6);
    expect(retransmitGiveUpSeconds(8)).toBe(102.2);
  });
});
