import { describe, expect, it } from '@jest/globals';
import { ProbeError } from '../../src/node/probe-types.js';
import { sysctls } from '../../src/node/probes/sysctls.js';
import { netstat } from '../../src/node/probes/netstat.js';
import { listeners } from '../../src/node/probes/listeners.js';
import { kernelLog } from '../../src/node/probes/kernelLog.js';
import { inWindow, synFloodLine, neighOverflowFamily, suppressedCallbacks } from '../../src/node/parsers/kernel-log.js';
import { fixture, sample } from './probes-fixture.js';

const cut = (s: string, keep: number) => s.slice(0, Math.floor(s.length * keep));

describe('sysctls probe', () => {
  it('reads every key on a host (real sample)', () => {
    const v = sysctls.parse([sample(fixture('host/sysctls.txt'))], 0);
    expect(v.values).toEqual({
      'net.core.somaxconn': 4096, 'net.ipv4.tcp_max_syn_backlog': 2048, 'net.ipv4.tcp_syncookies': 1,
      'net.ipv4.neigh.default.gc_thresh1': 128, 'net.ipv4.neigh.default.gc_thresh2': 512, 'net.ipv4.neigh.default.gc_thresh3': 1024,
      'net.ipv6.neigh.default.gc_thresh1': 128, 'net.ipv6.neigh.default.gc_thresh2': 512, 'net.ipv6.neigh.default.gc_thresh3': 1024,
    });
    expect(v.unavailable).toEqual({});
  });

  it('tells missing keys apart in a non-initial network namespace (real sample)', () => {
    const v = sysctls.parse([sample(fixture('netns/sysctls.txt'))], 0);
    expect(v.values['net.core.somaxconn']).toBe(4096);
    expect(v.values['net.ipv4.neigh.default.gc_thresh3']).toBeUndefined();
    expect(v.unavailable['net.ipv4.neigh.default.gc_thresh3']).toBe('/proc/sys/net/ipv4/neigh/default/gc_thresh3 does not exist');
  });

  it('says permission denied for an unreadable key', () => {
    const v = sysctls.parse([sample('@@ file /proc/sys/net/core/somaxconn\n128\n@@ unreadable /proc/sys/net/ipv4/tcp_syncookies\n@@ end\n')], 0);
    expect(v.unavailable['net.ipv4.tcp_syncookies']).toMatch(/permission denied/);
  });

  it.each([
    ['truncated', cut(fixture('host/sysctls.txt'), 0.5)],
    ['garbage', 'sh: 1: Syntax error\n'],
    ['empty', ''],
    ['non-numeric value', '@@ file /proc/sys/net/core/somaxconn\nabc\n@@ end\n'],
    ['nothing readable', '@@ missing /proc/sys/net/core/somaxconn\n@@ end\n'],
  ])('throws ProbeError on %s output', (_, out) => {
    expect(() => sysctls.parse([sample(out)], 0)).toThrow(ProbeError);
  });
});

describe('netstat probe', () => {
  it('zips header and value lines of this kernel (real sample, 2 samples)', () => {
    const v = netstat.parse([sample(fixture('syn-overflow/netstat.1.txt')), sample(fixture('syn-overflow/netstat.2.txt'))], 3);
    expect(v.intervalSeconds).toBe(3);
    expect(v.samples).toHaveLength(2);
    expect(v.samples[0]!.TcpExt!.ListenOverflows).toBe(0);
    expect(v.samples[1]!.TcpExt!.ListenOverflows).toBe(54);
    expect(v.samples[1]!.TcpExt!.ListenDrops).toBe(54);
    expect(v.samples[1]!.Tcp!.MaxConn).toBe(-1);
    expect(v.samples[1]!.TcpExt!.TCPReqQFullDrop).toBe(0);
  });

  it('reads cookie counters after a SYN-queue overflow (real sample)', () => {
    const v = netstat.parse([sample(fixture('syn-cookies/netstat.2.txt'))], 0);
    expect(v.samples[0]!.TcpExt!.SyncookiesSent).toBe(3);
    expect(v.samples[0]!.TcpExt!.TCPReqQFullDoCookies).toBe(3);
  });

  it('handles an older kernel with fewer columns in another order', () => {
    const old = '@@ file /proc/net/netstat\nTcpExt: ListenDrops SyncookiesSent ListenOverflows\nTcpExt: 9 1 7\n@@ file /proc/net/snmp\nTcp: PassiveOpens\nTcp: 100\n@@ end\n';
    const v = netstat.parse([sample(old)], 0);
    expect(v.samples[0]!.TcpExt).toEqual({ ListenDrops: 9, SyncookiesSent: 1, ListenOverflows: 7 });
    expect(v.samples[0]!.TcpExt!.TCPReqQFullDrop).toBeUndefined();
  });

  it.each([
    ['truncated mid-file', cut(fixture('host/netstat.1.txt'), 0.3)],
    ['truncated mid-line, end marker lost', cut(fixture('host/netstat.1.txt'), 0.9)],
    ['a value line cut short', '@@ file /proc/net/netstat\nTcpExt: A B C\nTcpExt: 1 2\n@@ file /proc/net/snmp\nTcp: X\nTcp: 1\n@@ end\n'],
    ['a missing file', '@@ file /proc/net/netstat\nTcpExt: A\nTcpExt: 1\n@@ missing /proc/net/snmp\n@@ end\n'],
    ['permission denied', '@@ unreadable /proc/net/netstat\n@@ unreadable /proc/net/snmp\n@@ end\n'],
    ['garbage', 'Permission denied\n'],
  ])('throws ProbeError on %s', (_, out) => {
    expect(() => netstat.parse([sample(out)], 0)).toThrow(ProbeError);
  });
});

describe('listeners probe', () => {
  it('parses ss -ltn with its header (real samples)', () => {
    const v = listeners.parse([sample(fixture('syn-overflow/listeners.1.txt')), sample(fixture('syn-overflow/listeners.2.txt'))], 3);
    expect(v.samples).toEqual([
      [{ address: '127.0.0.1', port: 8080, recvQ: 0, sendQ: 1 }],
      [{ address: '127.0.0.1', port: 8080, recvQ: 2, sendQ: 1 }],
    ]);
  });

  it('parses the check-facts sample, IPv6, zones and rows without a State column', () => {
    const out = '@@ ss\nLISTEN 0 4096 0.0.0.0:8080 0.0.0.0:*\nLISTEN 0 511 [::]:443 [::]:*\n0 128 127.0.0.53%lo:53 0.0.0.0:*\nLISTEN 3 4096 [::ffff:10.0.0.1]:9000 *:*\n@@ exit 0\n@@ end\n';
    expect(listeners.parse([sample(out)], 0).samples[0]).toEqual([
      { address: '0.0.0.0', port: 8080, recvQ: 0, sendQ: 4096 },
      { address: '::', port: 443, recvQ: 0, sendQ: 511 },
      { address: '127.0.0.53%lo', port: 53, recvQ: 0, sendQ: 128 },
      { address: '::ffff:10.0.0.1', port: 9000, recvQ: 3, sendQ: 4096 },
    ]);
  });

  it.each([
    ['ss missing', '@@ no-ss\n@@ end\n', /not installed/],
    ['ss failing', '@@ ss\n@@ exit 1\n@@ end\n', /failed/],
    ['truncated', '@@ ss\nLISTEN 0 4096 0.0.0.0:80 0.0.0.0:*\n', /truncated/],
    ['garbage row', '@@ ss\nhello world\n@@ exit 0\n@@ end\n', /unexpected ss line/],
  ])('throws ProbeError on %s', (_, out, reason) => {
    expect(() => listeners.parse([sample(out)], 0)).toThrow(reason);
  });
});

describe('kernelLog probe', () => {
  const now = new Date('2026-11-25T19:00:00Z');

  it('parses dmesg --time-format=iso with the SYN flood line of this kernel (real sample)', () => {
    const v = kernelLog.parse([sample(fixture('syn-cookies/kernelLog.txt'))], 0);
    expect(v.source).toBe('dmesg-iso');
    expect(v.lines).toHaveLength(2);
    expect(v.lines[0]!.at).toBe(Date.parse('2026-11-25T18:56:16.037Z'));
    expect(synFloodLine(v.lines[0]!)).toEqual({
      proto: 'request_sock_TCP', address: '0.0.0.0', port: 8080, action: 'Sending cookies', text: v.lines[0]!.text,
    });
    expect(inWindow(v.lines[0]!, now, 3600)).toBe(true);
    expect(inWindow(v.lines[0]!, new Date('2026-11-25T21:00:00Z'), 3600)).toBe(false);
  });

  it('turns plain dmesg seconds-since-boot into ages with /proc/uptime (real sample)', () => {
    const v = kernelLog.parse([sample(fixture('syn-cookies/kernelLog.dmesg.txt'))], 0);
    expect(v.source).toBe('dmesg');
    expect(v.lines[0]!.ageSeconds).toBeCloseTo(731.52 - 715.037478, 3);
    expect(inWindow(v.lines[0]!, now, 3600)).toBe(true);
    expect(inWindow(v.lines[0]!, now, 10)).toBe(false);
  });

  it('parses journalctl short-iso lines (both offset spellings) and marks the window', () => {
    const out = [
      '@@ source journalctl',
      '2026-11-25T18:30:00+0000 node-1 kernel: neighbour: arp_cache: neighbor table overflow!',
      '2026-11-25T18:30:01+00:00 node-1 kernel: net_ratelimit: 17 callbacks suppressed',
      '2026-11-25T18:31:00+0100 node-1 kernel: neighbour: ndisc_cache: neighbor table overflow!',
      '@@ end',
    ].join('\n');
    const v = kernelLog.parse([sample(out)], 0);
    expect(v.windowSeconds).toBe(3600);
    expect(v.lines.map((l) => l.at)).toEqual([Date.parse('2026-11-25T18:30:00Z'), Date.parse('2026-11-25T18:30:01Z'), Date.parse('2026-11-25T17:31:00Z')]);
    expect(v.lines.map(neighOverflowFamily)).toEqual(['ipv4', undefined, 'ipv6']);
    expect(suppressedCallbacks(v.lines[1]!)).toBe(17);
  });

  it.each([
    ['TCP: request_sock_TCP: Possible SYN flooding on port 8080. Sending cookies.  Check SNMP counters.', { port: 8080, proto: 'request_sock_TCP', address: undefined, action: 'Sending cookies' }],
    ['TCP: request_sock_TCP: Possible SYN flooding on port 10.0.0.5:8080. Sending cookies.', { port: 8080, address: '10.0.0.5', action: 'Sending cookies' }],
    ['TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Dropping request.', { port: 443, proto: 'request_sock_TCPv6', address: '::', action: 'Dropping request' }],
    ['possible SYN flooding on port 80. Sending cookies.', { port: 80, proto: undefined, action: 'Sending cookies' }],
    ['TCPv6: Possible SYN flooding on port 22. Dropping request.', { port: 22, proto: 'TCPv6', action: 'Dropping request' }],
  ])('recognises the SYN flood message variant %j', (text, want) => {
    expect(synFloodLine({ text })).toMatchObject(want);
  });

  it('recognises the old overflow wording without a table name', () => {
    expect(neighOverflowFamily({ text: 'Neighbour table overflow.' })).toBe('unknown');
  });

  it.each([
    ['dmesg_restrict', '@@ source none 1\n@@ end\n', 'kernel log not readable (dmesg_restrict; use --sudo)'],
    ['nothing readable', '@@ source none 0\n@@ end\n', /kernel log not readable/],
    ['truncated', '@@ source dmesg-iso\n2026-11-25T18:56:16,037478+00:00 TCP: x\n', /truncated/],
    ['garbage line', '@@ source dmesg-iso\nnot a log line\n@@ end\n', /unexpected dmesg-iso line/],
    ['plain dmesg without uptime', '@@ source dmesg\n[ 1.0] x\n@@ end\n', /uptime/],
    ['unknown output', 'bash: journalctl: command not found\n', ProbeError],
  ])('throws ProbeError on %s', (_, out, reason) => {
    expect(() => kernelLog.parse([sample(out)], 0)).toThrow(reason);
  });
});
