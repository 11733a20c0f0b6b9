import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event, V1Node } from '@kubernetes/client-node';
import check from '../../checks/cni0-bridge-mismatch/index.js';
import { memoryApiSource, memoryNodeSource, type RawNodes } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import { runCheck } from '../../src/check.js';
import { fixture } from '../node/probes-fixture.js';

const NOW = new Date('2026-11-25T19:00:00Z');

function node(name: string, podCIDRs: string[], ksm = true): V1Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, annotations: ksm ? { 'flannel.alpha.coreos.com/kube-subnet-manager': 'true', 'flannel.alpha.coreos.com/backend-type': 'vxlan' } : {} },
    spec: { podCIDR: podCIDRs[0], podCIDRs },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  };
}

const MSG = (wanted: string, bridge = 'cni0') => `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "4f1c": plugin type="flannel" failed (add): failed to delegate add: failed to set bridge addr: "${bridge}" already has an IP address different from ${wanted}`;
function event(nodeName: string, pod: string, message: string, o: { count?: number; last?: string; reason?: string } = {}): CoreV1Event {
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${pod}.1`, namespace: 'shop', creationTimestamp: (o.last ?? '2026-11-25T18:55:00Z') as unknown as Date },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: pod },
    reason: o.reason ?? 'FailedCreatePodSandBox', message, type: 'Warning',
    source: { component: 'kubelet', host: nodeName },
    count: o.count ?? 1, lastTimestamp: (o.last ?? '2026-11-25T18:55:00Z') as unknown as Date,
  };
}

const json = (addrs: [string, number, string?][]) => `@@ json\n${JSON.stringify([{ ifname: 'cni0', addr_info: addrs.map(([local, prefixlen, scope]) => ({ family: local.includes(':') ? 'inet6' : 'inet', local, prefixlen, scope: scope ?? 'global' })) }])}\n@@ end\n`;
const env = (...lines: string[]) => `@@ file\n${lines.map((l) => `${l}\n`).join('')}@@ end\n`;
const FLANNEL_CONF = fixture('cni0-mismatch/cniConfig.txt');
const conf = (...files: [string, string[]][]) => `@@ dir\n${files.map(([n, lines]) => `@@ file ${n}\n${lines.map((l) => `${l}\n`).join('')}`).join('')}@@ end\n`;

function probes(cni0: string, subnetEnv = env('FLANNEL_NETWORK=10.244.0.0/16', 'FLANNEL_SUBNET=10.244.1.1/24', 'FLANNEL_MTU=1450', 'FLANNEL_IPMASQ=true'), cniConfig = FLANNEL_CONF) {
  return { cni0Addrs: cni0, flannelSubnetEnv: subnetEnv, cniConfig };
}

async function run(nodes: V1Node[], raw?: RawNodes, events: CoreV1Event[] = []) {
  return runCheck(check, { objects: { Node: nodes, Event: events }, nodes: raw, now: NOW });
}

describe('cni0-bridge-mismatch', () => {
  it('passes when cni0 carries the lease gateway and the lease is the podCIDR', async () => {
    const { result, findings } = await run([node('node-1', ['10.244.1.0/24'])], { 'node-1': probes(json([['10.244.1.1', 24], ['fe80::1', 64, 'link']])) });
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('is critical when cni0 kept an old gateway (real samples: dual stack, matching IPv6, link-local ignored)', async () => {
    const nodes = [node('node-3', ['10.244.1.0/24', 'fd00:10:244:1::/64'])];
    const real = { cni0Addrs: fixture('cni0-mismatch/cni0Addrs.txt'), flannelSubnetEnv: fixture('cni0-mismatch/flannelSubnetEnv.txt'), cniConfig: fixture('cni0-mismatch/cniConfig.txt') };
    const { result, findings } = await run(nodes, { 'node-3': real });
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({
      check: 'cni0-bridge-mismatch', severity: 'critical', target: { kind: 'Node', name: 'node-3' },
      expected: '10.244.1.1/24, fd00:10:244:1::1/64', actual: '10.244.0.1/24',
      evidence: { cni0: ['10.244.0.1/24', 'fd00:10:244:1::1/64', 'fe80::c076:28ff:fe3a:f47/64'], conflicting: ['10.244.0.1/24'], flannelSubnet: '10.244.1.1/24', podCIDR: '10.244.1.0/24,fd00:10:244:1::/64', cniConfig: '10-flannel.conflist' },
    });
    expect(f.message).toMatch(/^node-3: cni0 has 10\.244\.0\.1\/24 but flannel expects 10\.244\.1\.1\/24, fd00:10:244:1::1\/64 \(podCIDR 10\.244\.1\.0\/24,fd00:10:244:1::\/64\): every new pod/);
    const steps = f.remediation.steps!;
    expect(steps[0]).toBe('kubectl cordon node-3 && kubectl drain node-3 --ignore-daemonsets --delete-emptydir-data — deleting the bridge detaches every running pod on the node.');
    expect(steps[1]).toContain('On node-3: ip link set cni0 down && ip link delete cni0');
    expect(steps[2]).toContain('--field-selector spec.nodeName=node-3');
    expect(steps[2]).toContain('FLANNEL_SUBNET=10.244.1.1/24, fd00:10:244:1::1/64 for podCIDR 10.244.1.0/24,fd00:10:244:1::/64');
    // The one-line fallback of older iproute2 gives the same answer (real sample).
    const oneline = await run(nodes, { 'node-3': { ...real, cni0Addrs: fixture('cni0-mismatch/cni0Addrs.oneline.txt') } });
    expect(oneline.findings).toEqual(findings);
  });

  it.each([
    ['no cni0 yet (real sample: bridge absent)', fixture('host/cni0Addrs.txt'), undefined, undefined],
    ['another CNI first in /etc/cni/net.d', json([['10.0.2.1', 24]]), undefined, conf(['10-calico.conflist', ['"type": "calico"', '"type": "portmap"']], ['20-flannel.conflist', ['"type": "flannel"']])],
    ['flannel on a bridge with another name', json([['10.0.2.1', 24]]), undefined, conf(['10-flannel.conflist', ['"type": "flannel"', '"bridge": "kube-bridge"']])],
    ['no flannel lease on the node (real sample: no subnet.env)', json([['10.0.2.1', 24]]), fixture('host/flannelSubnetEnv.txt'), undefined],
    ['an IPv6 address that does not overlap the lease', json([['10.244.1.1', 24], ['fd00:99::1', 64]]), env('FLANNEL_SUBNET=10.244.1.1/24', 'FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64'), undefined],
    ['a bridge without addresses yet', '@@ json\n[{"ifname":"cni0","addr_info":[]}]\n@@ end\n', undefined, undefined],
  ])('does not flag %s', async (_, cni0, subnetEnv, cniConfig) => {
    const { result, findings } = await run([node('node-1', ['10.244.1.0/24'])], { 'node-1': probes(cni0, subnetEnv, cniConfig) });
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('flags an IPv6 address whose subnet overlaps the lease (dual stack)', async () => {
    const { findings } = await run([node('node-1', ['10.244.1.0/24'])], {
      'node-1': probes(json([['10.244.1.1', 24], ['fd00:10:244:1::99', 64]]), env('FLANNEL_SUBNET=10.244.1.1/24', 'FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64')),
    });
    expect(findings.map((f) => [f.severity, f.actual])).toEqual([['critical', 'fd00:10:244:1::99/64']]);
  });

  it('warns about a stale flannel lease in kube subnet manager mode, not with the etcd backend', async () => {
    const raw = { 'node-1': probes(json([['10.244.1.1', 24]])) };
    const ksm = await run([node('node-1', ['10.244.7.0/24'])], raw);
    expect(ksm.findings).toHaveLength(1);
    expect(ksm.findings[0]).toMatchObject({ severity: 'warning', expected: '10.244.7.0/24', actual: '10.244.1.0/24', evidence: { staleLease: [{ flannel: '10.244.1.0/24', podCIDR: '10.244.7.0/24' }] } });
    expect(ksm.findings[0]!.remediation.steps!.join('\n')).toContain('FLANNEL_SUBNET=10.244.7.1/24');
    const etcd = await run([node('node-1', ['10.244.7.0/24'], false)], raw);
    expect(etcd.findings).toEqual([]);
  });

  it('is info when forceAddress lets the plugin replace the address itself', async () => {
    const { result, findings } = await run([node('node-1', ['10.244.1.0/24'])], {
      'node-1': probes(json([['10.244.0.1', 24]]), undefined, conf(['10-flannel.conflist', ['"type": "flannel"', '"forceAddress": true']])),
    });
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    expect(result.status).toBe('pass');
  });

  it('raises a node from events alone when SSH is not used (--no-ssh)', async () => {
    const events = [
      event('node-3', 'web-1', MSG('10.244.3.1/24'), { count: 4, last: '2026-11-25T18:58:00Z' }),
      event('node-3', 'web-2', MSG('10.244.3.1/24'), { count: 2, last: '2026-11-25T18:50:00Z' }),
      event('node-3', 'web-3', 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to pull image "registry.k8s.io/pause:3.9"'),
      event('node-4', 'api-1', 'unrelated', { reason: 'Scheduled' }),
    ];
    const { result, findings } = await run([node('node-3', ['10.244.3.0/24']), node('node-4', ['10.244.4.0/24'])], undefined, events);
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(/node checks not evaluated/);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'critical', target: { kind: 'Node', name: 'node-3' },
      evidence: { events: { sandboxFailures: 6, lastSeenSecondsAgo: 120, pods: ['shop/web-1', 'shop/web-2'], bridgeWanted: ['10.244.3.1/24'] }, podCIDR: '10.244.3.0/24' },
    });
    expect(findings[0]!.message).toContain('node-3: 6 pod sandbox attempts failed with "cni0" already has an IP address different from 10.244.3.1/24, last 2 min ago (pods shop/web-1, shop/web-2).');
    expect(findings[0]!.message).toContain('No node data was collected from node-3 over SSH');
    expect(findings[0]!.remediation.steps!.join('\n')).toContain('Delete the stuck pods (shop/web-1, shop/web-2)');
  });

  it('raises a node from events when it is unreachable or its bridge could not be read', async () => {
    const events = [event('node-3', 'web-1', MSG('10.244.3.1/24')), event('node-5', 'db-0', MSG('10.244.5.1/24'))];
    const out = await runChecks({
      checks: [check],
      api: memoryApiSource({ Node: [node('node-3', ['10.244.3.0/24']), node('node-5', ['10.244.5.0/24'])], Event: events }, { now: NOW }),
      nodes: memoryNodeSource({ 'node-3': 'connection timed out after 10s', 'node-5': probes('garbage') }, 5),
      scope: {}, settings: { sampleIntervalSeconds: 5 },
    });
    expect(out.findings.map((f) => [f.target.name, f.severity])).toEqual([['node-3', 'critical'], ['node-5', 'critical']]);
    expect(out.findings[1]!.message).toContain('The bridge on node-5 could not be read (see gaps)');
    expect(out.gaps).toEqual(expect.arrayContaining([
      { source: 'ssh', node: 'node-3', reason: 'connection timed out after 10s' },
      expect.objectContaining({ source: 'ssh', node: 'node-5', probe: 'cni0Addrs' }),
    ]));
  });

  it('merges events into the node finding when the bridge conflicts', async () => {
    const { findings } = await run([node('node-1', ['10.244.1.0/24'])], { 'node-1': probes(json([['10.244.0.1', 24]])) }, [event('node-1', 'web-1', MSG('10.244.1.1/24'))]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { conflicting: ['10.244.0.1/24'], events: { sandboxFailures: 1 } } });
  });

  it.each([
    ['the bridge was fixed since (node data shows no conflict)', { 'node-1': probes(json([['10.244.1.1', 24]])) }, '2026-11-25T18:55:00Z', /no conflicting address now/],
    ['the bridge was deleted since (remediation step 2)', { 'node-1': probes(fixture('host/cni0Addrs.txt')) }, '2026-11-25T18:55:00Z', /no conflicting address now \(no cni0\)/],
    ['the last failure is older than an hour', undefined, '2026-11-25T16:00:00Z', /No failure in the last hour/],
  ])('is info when %s', async (_, raw, last, message) => {
    const { result, findings } = await run([node('node-1', ['10.244.1.0/24'])], raw, [event('node-1', 'web-1', MSG('10.244.1.1/24'), { last })]);
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    expect(findings[0]!.message).toMatch(message);
    expect(result.status).toBe('pass');
  });

  it('says when the address the plugin wanted is not the podCIDR gateway (stale lease, from events)', async () => {
    const { findings } = await run([node('node-1', ['10.244.9.0/24'])], undefined, [event('node-1', 'web-1', MSG('10.244.1.1/24'))]);
    expect(findings[0]!.message).toContain('The plugin wanted 10.244.1.1/24, which is not the gateway of podCIDR 10.244.9.0/24');
    expect(findings[0]!.remediation.steps!.join('\n')).toContain('restart flannel first');
  });

  it('still reports events when the node list is forbidden', async () => {
    const out = await runCheck(check, { objects: { Event: [event('node-1', 'web-1', MSG('10.244.1.1/24'))] }, now: NOW, unavailable: { Node: 'forbidden' } });
    expect(out.findings.map((f) => [f.target.name, f.severity])).toEqual([['node-1', 'critical']]);
  });
});
