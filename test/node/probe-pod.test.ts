// The probe pod's command: the script survives the trip through the pod's args byte for byte, no
// single argument exceeds what the kernel accepts, and the launcher runs it with the node's shell —
// checked here with a real busybox sh (the image) and a chroot into a directory standing in for /host.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launcherScript, MAX_SCRIPT_BYTES, probePodManifest, splitScript } from '../../src/node/probe-pod.js';
import { buildNodeScript } from '../../src/node/script.js';
import { describeReal } from '../support/real.js';

const manifest = (script: string) => probePodManifest({ name: 'p', namespace: 'ns', node: 'n', image: 'busybox:1.36', runId: 'r', script, activeDeadlineSeconds: 90 }) as any;

describe('probe pod manifest', () => {
  it('splits a large script into arguments below the kernel limit and joins back to the same text', () => {
    // Many hostPaths (octal-escaped in the script) make the script far larger than one argument may be.
    const paths = Array.from({ length: 1000 }, (_, i) => `/var/log/pods/ns_pod-${i}_${'x'.repeat(20)}/app`);
    const script = buildNodeScript(['hostpathUsage', 'netstat'], 2, { hostpathUsage: paths }).script;
    expect(Buffer.byteLength(script)).toBeGreaterThan(128 * 1024);
    expect(Buffer.byteLength(script)).toBeLessThan(MAX_SCRIPT_BYTES);
    const parts = splitScript(script);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThan(128 * 1024);
    const cmd = manifest(script).spec.containers[0].command as string[];
    expect(cmd.slice(0, 4)).toEqual(['sh', '-c', launcherScript(), 'checkup-probe']);
    expect(cmd.slice(4).join('')).toBe(script);
  });

  it('asks for the least that works: not privileged, read-only root, two added capabilities, small requests', () => {
    const c = manifest('true').spec.containers[0];
    expect(c.securityContext).toEqual({ runAsUser: 0, runAsNonRoot: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { add: ['SYS_CHROOT', 'SYSLOG'] } });
    expect(c.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } });
    expect(c.volumeMounts).toEqual([{ name: 'host-root', mountPath: '/host', readOnly: true, recursiveReadOnly: 'IfPossible' }]);
  });
});

describeReal('the launcher in a busybox image', { root: true, commands: ['chroot', 'busybox'] }, () => {
  it('pipes the script, whatever it contains, into the node\'s /bin/sh under chroot /host', () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkup-launcher-'));
    try {
      // The image: busybox with sh and chroot. /host: a tiny "node" whose /bin/sh is busybox too, and
      // a marker file only the node has.
      for (const root of [join(dir, 'image'), join(dir, 'image', 'host')]) {
        mkdirSync(join(root, 'bin'), { recursive: true });
        copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
        for (const a of ['sh', 'chroot', 'cat']) symlinkSync('busybox', join(root, 'bin', a));
      }
      writeFileSync(join(dir, 'image', 'host', 'only-on-the-node'), 'node file\n');
      mkdirSync(join(dir, 'image', 'dev'));
      execFileSync('mount', ['--bind', '/dev', join(dir, 'image', 'dev')]);
      try {
        const hostile = "it's $(touch /pwned) `id` \\ \"q\"";
        const script = `cat /only-on-the-node\nprintf '%s\\n' '${hostile.replace(/'/g, "'\\''")}'\n${'# padding\n'.repeat(20_000)}echo end\n`;
        const cmd = manifest(script).spec.containers[0].command as string[];
        const out = execFileSync('/usr/sbin/chroot', [join(dir, 'image'), ...cmd], { encoding: 'utf8', env: { PATH: '/bin' } });
        expect(out).toBe(`node file\n${hostile}\nend\n`);
        expect(existsSync(join(dir, 'image', 'host', 'pwned'))).toBe(false);
      } finally {
        execFileSync('umount', [join(dir, 'image', 'dev')]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
