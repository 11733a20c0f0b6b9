import { describe, expect, it } from '@jest/globals';
import { decodeListener, parsePass, podNetns } from '../../src/node/probes/podNetns.js';
import { ProbeError } from '../../src/node/probe-types.js';

const raw = (stdout: string) => ({ stdout, exitCode: 0 });

describe('podNetns probe', () => {
  it('decodes /proc/net/tcp{,6} local addresses (host byte order per 32-bit word) and rx_queue', () => {
    expect(decodeListener('0100007F:1F90', '00000065')).toEqual({ address: '127.0.0.1', port: 8080, acceptQueue: 101 });
    expect(decodeListener('00000000:0050', '00000000')).toEqual({ address: '0.0.0.0', port: 80, acceptQueue: 0 });
    expect(decodeListener('00000000000000000000000000000000:1538', '00000002')).toEqual({ address: '::', port: 5432, acceptQueue: 2 });
    expect(decodeListener('00000000000000000000000001000000:0016', '0')).toEqual({ address: '::1', port: 22, acceptQueue: 0 });
    // 10.244.1.7 inside an IPv4-mapped IPv6 address (::ffff:10.244.1.7)
    expect(decodeListener('0000000000000000FFFF00000701F40A:1F90', '1')).toEqual({ address: '::ffff:af4:107', port: 8080, acceptQueue: 1 });
    expect(decodeListener('0100007F', '0')).toBeUndefined();
    expect(decodeListener('0100007F:1F90', 'zz')).toBeUndefined();
  });

  it('keeps namespaces whose process is in a kubepods cgroup, with the UID in either driver\'s form', () => {
    const pass = parsePass(raw([
      'H 4026531840',
      'X 4026532100', // a container that is not a pod (e.g. a CI runner on the node)
      'N 4026532200 812 1336.92', 'G 0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f6c1b8e_2a7d_4c1e_9b3f_5d2e8a7c6b01.slice/cri-containerd-ab.scope',
      'C SyncookiesSent=0 ListenOverflows=3 ListenDrops=3 TCPReqQFullDoCookies=0 TCPReqQFullDrop=0', 'C PassiveOpens=17', 'L 00000000:1F90 00000002',
      'N 4026532300 901 1336.95', 'G 11:pids:/kubepods/burstable/pod7a1d0c2e-4b5f-4e6a-8c9d-0e1f2a3b4c5d/d1e2',
      'C ListenOverflows=0', 'C PassiveOpens=0',
      'N 4026532400 950 1336.99', 'G 0::/kubepods.slice', // the kubepods slice itself names no pod
      'S 2', 'E', '',
    ].join('\n')), 1);
    expect(pass.hostInode).toBe('4026531840');
    expect(pass.notPods).toBe(2);
    expect(pass.skipped).toBe(2);
    expect(pass.namespaces.map((n) => [n.inode, n.pid, n.podUid, n.at])).toEqual([
      ['4026532200', 812, '0f6c1b8e-2a7d-4c1e-9b3f-5d2e8a7c6b01', 1336.92],
      ['4026532300', 901, '7a1d0c2e-4b5f-4e6a-8c9d-0e1f2a3b4c5d', 1336.95],
    ]);
    expect(pass.namespaces[0]!.counters).toEqual({ SyncookiesSent: 0, ListenOverflows: 3, ListenDrops: 3, TCPReqQFullDoCookies: 0, TCPReqQFullDrop: 0, PassiveOpens: 17 });
    expect(pass.namespaces[0]!.listeners).toEqual([{ address: '0.0.0.0', port: 8080, acceptQueue: 2 }]);
  });

  it('turns truncated or foreign output, and a node without stat or awk, into probe errors', () => {
    expect(() => parsePass(raw('H 1\nN 2 3 4\n'), 1)).toThrow(ProbeError);
    expect(() => parsePass(raw('U stat or awk missing\nE\n'), 1)).toThrow('podNetns: stat or awk missing');
    expect(() => parsePass(raw('H 1\nhello\nE\n'), 1)).toThrow(/unexpected output/);
    expect(() => parsePass(raw('E\n'), 1)).toThrow(/own namespace/);
    expect(podNetns.parse([raw('H 1\nS 0\nE\n'), raw('H 1\nS 0\nE\n')], 5)).toEqual({ samples: [{ hostInode: '1', namespaces: [], notPods: 0, skipped: 0 }, { hostInode: '1', namespaces: [], notPods: 0, skipped: 0 }], intervalSeconds: 5 });
  });

  it('is a fixed fragment: no input, nothing from the cluster', () => {
    expect(podNetns.takesInput).toBeUndefined();
    expect(podNetns.sampled).toBe(true);
  });
});
