// The probe fragments run by the real sh against this machine's real kernel and tools (no SSH here:
// the transport has its own tests), then through their parsers. Fragments run as the SSH script runs
// them: each in its own shell with stderr discarded.
import { expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { PROBES, type ProbeName } from '../../src/node/probes.js';
import { ProbeError } from '../../src/node/probe-types.js';
import { describeReal } from '../support/real.js';

function runFragment(name: ProbeName, prefix: string[] = []): { stdout: string; exitCode: number } {
  const argv = [...prefix, 'sh', '-c', `${PROBES[name].script}`];
  try {
    return { stdout: execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), exitCode: 0 };
  } catch (err) {
    const e = err as { stdout?: string; status?: number };
    return { stdout: e.stdout ?? '', exitCode: e.status ?? 1 };
  }
}

describeReal('probe fragments on this machine', { commands: ['ip', 'ss'] }, () => {
  it.each(['sysctls', 'netstat', 'listeners', 'neighCounts', 'cni0Addrs', 'flannelSubnetEnv', 'cniConfig'] as ProbeName[])(
    '%s runs and parses', (name) => {
      const s = runFragment(name);
      expect(() => PROBES[name].parse([s, s], 1)).not.toThrow();
    });

  it('netstat sees this kernel\'s TcpExt and Tcp counters', () => {
    const s = runFragment('netstat');
    const v = PROBES.netstat.parse([s], 0);
    expect(typeof v.samples[0]!.TcpExt!.ListenOverflows).toBe('number');
    expect(typeof v.samples[0]!.Tcp!.PassiveOpens).toBe('number');
  });

  it('kernelLog either reads a source or reports why it cannot', () => {
    const s = runFragment('kernelLog');
    try {
      expect(['journalctl', 'dmesg-iso', 'dmesg']).toContain(PROBES.kernelLog.parse([s], 0).source);
    } catch (err) {
      expect(err).toBeInstanceOf(ProbeError);
      expect((err as Error).message).toMatch(/kernel log not readable/);
    }
  });
});

describeReal('probe fragments in the host network namespace', { root: true, commands: ['ip', 'ss', 'unshare', 'setpriv'] }, () => {
  it('neighStats reads the global tables in the initial namespace', () => {
    // Jest may itself run inside a container's network namespace, where the file does not exist.
    const s = runFragment('neighStats');
    if (existsSync('/proc/net/stat/arp_cache')) {
      expect(PROBES.neighStats.parse([s], 0).samples[0]!.ipv4.entries).toBeGreaterThanOrEqual(0);
    } else {
      expect(() => PROBES.neighStats.parse([s], 0)).toThrow(/initial network namespace/);
    }
  });

  it('kernelLog without root on a dmesg_restrict=1 kernel is a gap that says to use --sudo', () => {
    const restricted = readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '1';
    const s = runFragment('kernelLog', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    if (restricted) expect(() => PROBES.kernelLog.parse([s], 0)).toThrow('kernel log not readable (dmesg_restrict; use --sudo)');
    else expect(['journalctl', 'dmesg-iso', 'dmesg']).toContain(PROBES.kernelLog.parse([s], 0).source);
  });

  it('in a fresh network namespace the init-only files are a gap with the reason, and sysctls says which keys are missing', () => {
    const arp = runFragment('neighStats', ['unshare', '-n']);
    expect(() => PROBES.neighStats.parse([arp], 0)).toThrow(/arp_cache does not exist: it exists only in the host's initial network namespace/);
    const sys = PROBES.sysctls.parse([runFragment('sysctls', ['unshare', '-n'])], 0);
    expect(sys.values['net.core.somaxconn']).toBeGreaterThan(0);
    expect(sys.unavailable['net.ipv4.neigh.default.gc_thresh3']).toMatch(/does not exist/);
    expect(PROBES.cni0Addrs.parse([runFragment('cni0Addrs', ['unshare', '-n'])], 0)).toEqual({ present: false });
  });
});
