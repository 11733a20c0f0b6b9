import { describe, expect, it } from '@jest/globals';
import { ProbeError } from '../../src/node/probe-types.js';
import { cni0Addrs } from '../../src/node/probes/cni0Addrs.js';
import { flannelSubnetEnv } from '../../src/node/probes/flannelSubnetEnv.js';
import { cniConfig, primaryCniFile } from '../../src/node/probes/cniConfig.js';
import { contains, formatCidr, formatIp, gateway, network, parseCidr, parseIp } from '../../src/node/parsers/cidr.js';
import { fixture, sample } from './probes-fixture.js';

const parse = <T>(p: { parse: (s: { stdout: string; exitCode: number }[], i: number) => T }, out: string) => p.parse([sample(out)], 0);

describe('cni0Addrs probe', () => {
  it('reads a dual-stack bridge from ip -j (real sample)', () => {
    const v = parse(cni0Addrs, fixture('cni0-mismatch/cni0Addrs.txt'));
    expect(v.present).toBe(true);
    if (!v.present) return;
    expect(v.addrs.map((a) => [a.text, a.scope])).toEqual([
      ['10.244.0.1/24', 'global'], ['fd00:10:244:1::1/64', 'global'], ['fe80::c076:28ff:fe3a:f47/64', 'link'],
    ]);
  });

  it('reads the same bridge from the one-line fallback (real sample)', () => {
    const json = parse(cni0Addrs, fixture('cni0-mismatch/cni0Addrs.txt'));
    const oneline = parse(cni0Addrs, fixture('cni0-mismatch/cni0Addrs.oneline.txt'));
    expect(oneline).toEqual(json);
  });

  it('parses the check-facts samples', () => {
    const j = parse(cni0Addrs, '@@ json\n[{"ifname":"cni0","addr_info":[{"family":"inet","local":"10.244.1.1","prefixlen":24}]}]\n@@ end\n');
    expect(j).toMatchObject({ present: true, addrs: [{ text: '10.244.1.1/24' }] });
    const o = parse(cni0Addrs, '@@ oneline\n5: cni0    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0\\       valid_lft forever preferred_lft forever\n@@ exit 0\n@@ end\n');
    expect(o).toMatchObject({ present: true, addrs: [{ text: '10.244.1.1/24', scope: 'global' }] });
  });

  it('treats an absent bridge as a valid answer (real sample) and a bridge without addresses as empty', () => {
    expect(parse(cni0Addrs, fixture('host/cni0Addrs.txt'))).toEqual({ present: false });
    expect(parse(cni0Addrs, '@@ json\n[{"ifindex":7,"ifname":"cni0","addr_info":[]}]\n@@ end\n')).toEqual({ present: true, addrs: [] });
  });

  it.each([
    ['no ip command', '@@ no-ip\n@@ end\n', /not installed/],
    ['truncated JSON', '@@ json\n[{"ifname":"cni0","addr_info":[{"fam\n@@ end\n', /not valid JSON/],
    ['JSON for another device', '@@ json\n[{"ifname":"eth0","addr_info":[]}]\n@@ end\n', /no cni0 entry/],
    ['end marker lost', '@@ json\n[]\n', /truncated/],
    ['one-line failure', '@@ oneline\n@@ exit 1\n@@ end\n', /failed/],
    ['garbage one-line', '@@ oneline\nwhat\n@@ exit 0\n@@ end\n', /unexpected line/],
  ])('throws ProbeError on %s', (_, out, reason) => {
    expect(() => parse(cni0Addrs, out)).toThrow(reason);
  });
});

describe('flannelSubnetEnv probe', () => {
  it('reads a dual-stack subnet.env (real sample)', () => {
    const v = parse(flannelSubnetEnv, fixture('cni0-mismatch/flannelSubnetEnv.txt'));
    if (!v.present) throw new Error('expected present');
    expect(formatCidr(v.subnet!)).toBe('10.244.1.1/24');
    expect(formatCidr(v.network!)).toBe('10.244.0.0/16');
    expect(formatCidr(v.ipv6Subnet!)).toBe('fd00:10:244:1::1/64');
    expect(v.vars.FLANNEL_MTU).toBe('1450');
  });

  it('treats a missing file as a valid answer (real sample)', () => {
    expect(parse(flannelSubnetEnv, fixture('host/flannelSubnetEnv.txt'))).toEqual({ present: false });
  });

  it.each([
    ['permission denied', '@@ unreadable\n@@ end\n', /permission denied/],
    ['no FLANNEL_SUBNET', '@@ file\nFLANNEL_MTU=1450\n@@ end\n', /no FLANNEL_SUBNET/],
    ['a bad CIDR', '@@ file\nFLANNEL_SUBNET=10.244.1.1\n@@ end\n', /not a CIDR/],
    ['truncated', '@@ file\nFLANNEL_SUBNET=10.244.1.1/24\n', /truncated/],
    ['garbage', 'sh: grep: not found\n', ProbeError],
  ])('throws ProbeError on %s', (_, out, reason) => {
    expect(() => parse(flannelSubnetEnv, out)).toThrow(reason);
  });
});

describe('cniConfig probe', () => {
  it('reads the plugin types of a flannel conflist (real sample)', () => {
    const v = parse(cniConfig, fixture('cni0-mismatch/cniConfig.txt'));
    expect(v).toEqual({ present: true, files: [{ name: '10-flannel.conflist', types: ['flannel', 'portmap'], bridges: [], forceAddress: false, readable: true }] });
    expect(primaryCniFile(v)?.name).toBe('10-flannel.conflist');
  });

  it('picks the first config file in byte order, ignoring other extensions', () => {
    const v = parse(cniConfig, '@@ dir\n@@ file 87-podman.conflist\n"type": "bridge"\n"bridge": "cni-podman0"\n@@ file 10-calico.conflist\n"type": "calico"\n@@ file 05-notes.txt\n@@ file 10-Canal.conf\n"type": "calico"\n"forceAddress": true\n@@ end\n');
    expect(primaryCniFile(v)?.name).toBe('10-Canal.conf');
    expect(v.files.find((f) => f.name === '10-Canal.conf')?.forceAddress).toBe(true);
    expect(v.files.find((f) => f.name === '87-podman.conflist')?.bridges).toEqual(['cni-podman0']);
  });

  it('reads a missing directory (real sample) and an unreadable file', () => {
    expect(parse(cniConfig, fixture('host/cniConfig.txt'))).toEqual({ present: false, files: [] });
    expect(parse(cniConfig, '@@ dir\n@@ file 10-flannel.conflist\n@@ unreadable\n@@ end\n').files[0]!.readable).toBe(false);
  });

  it.each([
    ['truncated', '@@ dir\n@@ file 10-flannel.conflist\n"type": "flannel"\n'],
    ['garbage', '@@ dir\n@@ file x.conf\n{ "cniVersion": "0.3.1" }\n@@ end\n'],
  ])('throws ProbeError on %s', (_, out) => {
    expect(() => parse(cniConfig, out)).toThrow(ProbeError);
  });
});

describe('cidr arithmetic', () => {
  it.each([
    ['10.244.1.1/24', '10.244.1.0/24', '10.244.1.1/24'],
    ['10.244.0.0/16', '10.244.0.0/16', '10.244.0.1/16'],
    ['fd00:10:244:1::1/64', 'fd00:10:244:1::/64', 'fd00:10:244:1::1/64'],
    ['2001:db8:0:0:1:0:0:1/48', '2001:db8::/48', '2001:db8::1/48'],
  ])('%s → network %s, gateway %s', (c, net, gw) => {
    const cidr = parseCidr(c)!;
    expect(formatCidr(network(cidr))).toBe(net);
    expect(formatCidr(gateway(cidr))).toBe(gw);
  });

  it('parses and formats addresses', () => {
    expect(formatIp(6, parseIp('::ffff:10.0.0.1')!.addr)).toBe('::ffff:a00:1');
    expect(formatIp(6, parseIp('fe80::1%eth0')!.addr)).toBe('fe80::1');
    expect(formatIp(6, parseIp('1:0:0:2:0:0:0:3')!.addr)).toBe('1:0:0:2::3');
    expect(parseIp('256.1.1.1')).toBeUndefined();
    expect(parseIp('1::2::3')).toBeUndefined();
    expect(parseIp('1:2:3:4:5:6:7')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(contains(parseCidr('10.244.0.0/16')!, parseIp('10.244.9.1')!.addr, 4)).toBe(true);
    expect(contains(parseCidr('10.244.0.0/16')!, parseIp('10.245.0.1')!.addr, 4)).toBe(false);
  });
});
