// The etcd probe fragments themselves, run by dash against a manifest in a temporary directory (the
// fixed path swapped for it): a missing manifest, one that cannot be seen without root, quoted
// command items, a wildcard listen address, no client tools, and hostile flag values that must reach
// etcdctl as plain arguments and never run.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbeError, type RawSample } from '../../src/node/probe-types.js';
import { etcdMetrics } from '../../src/node/probes/etcdMetrics.js';
import { etcdStatus } from '../../src/node/probes/etcdStatus.js';
import { ETCD_MANIFEST } from '../../src/node/probes/etcdManifest.js';

const dir = mkdtempSync(join(tmpdir(), 'checkup-etcd-probe-'));
const bin = join(dir, 'bin');
const MARKER = join(dir, 'pwned');
const TOOLS = ['sh', 'sed', 'grep', 'head', 'tail', 'tr', 'awk', 'df', 'cat'];

beforeAll(() => {
  mkdirSync(bin);
  for (const t of TOOLS) symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), join(bin, t));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a fragment with the manifest path swapped, PATH limited to `bin` (plus fake tools). */
function run(script: string, manifest: string, opts: { user?: string } = {}): RawSample {
  const text = script.replaceAll(ETCD_MANIFEST, manifest);
  const argv = opts.user ? ['/usr/bin/setpriv', `--reuid=${opts.user}`, '--regid=nogroup', '--clear-groups', '/usr/bin/dash', '-c', text] : ['/usr/bin/dash', '-c', text];
  const stdout = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: bin, LC_ALL: 'C' } });
  return { stdout, exitCode: 0 };
}

const kubeadmManifest = (flags: string[]) => ['apiVersion: v1', 'kind: Pod', 'spec:', '  containers:', '  - command:', '    - etcd', ...flags.map((f) => `    - ${f}`), '    image: registry.k8s.io/etcd:3.5.16-0', ''].join('\n');

describe('etcd probe fragments (dash)', () => {
  it('a node without the manifest says "absent" (not a gap)', () => {
    expect(etcdStatus.parse([run(etcdStatus.script, join(dir, 'none', 'etcd.yaml'))], 0)).toEqual({ manifest: 'absent' });
    expect(etcdMetrics.parse([run(etcdMetrics.script, join(dir, 'none', 'etcd.yaml'))], 0)).toEqual({ manifest: 'absent' });
  });

  const asNobody = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') ? it : it.skip;
  asNobody('a manifest directory only root may read is "unreadable (use --sudo)", not "absent"', () => {
    const d = join(dir, 'private');
    mkdirSync(d, { mode: 0o700 });
    writeFileSync(join(d, 'etcd.yaml'), kubeadmManifest(['--data-dir=/var/lib/etcd']));
    chmodSync(dir, 0o755);
    expect(() => etcdStatus.parse([run(etcdStatus.script, join(d, 'etcd.yaml'), { user: 'nobody' })], 0)).toThrow(/permission denied \(use --sudo\)/);
    expect(() => etcdStatus.parse([run(etcdStatus.script, join(d, 'absent.yaml'), { user: 'nobody' })], 0)).toThrow(ProbeError);
  });

  it('reads quoted and plain flags, dials loopback for a wildcard listener, and says when no client is installed', () => {
    const m = join(dir, 'quoted.yaml');
    writeFileSync(m, kubeadmManifest(['"--listen-client-urls=https://0.0.0.0:2379"', "'--quota-backend-bytes=8589934592'", '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt', '--data-dir=/var/lib/etcd']));
    const v = etcdStatus.parse([run(etcdStatus.script, m)], 0);
    expect(v).toMatchObject({ manifest: 'present', endpoint: 'https://127.0.0.1:2379', client: 'none', members: [], statusError: 'neither etcdctl nor curl is installed on the node',
      flags: { 'quota-backend-bytes': '8589934592', 'listen-client-urls': 'https://0.0.0.0:2379', 'trusted-ca-file': '/etc/kubernetes/pki/etcd/ca.crt' } });
  });

  it('passes hostile manifest values to etcdctl as arguments, verbatim, and never runs them', () => {
    const args = join(dir, 'args');
    // A stand-in etcdctl that records its arguments, one per line, and answers like a real one.
    writeFileSync(join(bin, 'etcdctl'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${args}'; done\necho '[]'\nexit 0\n`, { mode: 0o755 });
    const evilCa = `/tmp/ca.crt"; touch ${MARKER}; echo "x`;
    const evilKey = `/tmp/$(touch ${MARKER}).key`;
    const evilUrl = `https://127.0.0.1:2379\`touch ${MARKER}\``;
    const m = join(dir, 'evil.yaml');
    writeFileSync(m, kubeadmManifest([`--trusted-ca-file=${evilCa}`, `--key-file=${evilKey}`, '--cert-file=/tmp/server.crt', `--listen-client-urls=${evilUrl}`, `--data-dir=/x'; touch ${MARKER}; '`]));
    const v = etcdStatus.parse([run(etcdStatus.script, m)], 0);
    rmSync(join(bin, 'etcdctl'));
    expect(existsSync(MARKER)).toBe(false);
    const seen = readFileSync(args, 'utf8').split('\n');
    expect(seen).toEqual(expect.arrayContaining([`--cacert=${evilCa}`, `--key=${evilKey}`, `--endpoints=${evilUrl}`, 'endpoint', 'status', 'alarm', 'list']));
    expect(v).toMatchObject({ client: 'etcdctl', flags: { 'trusted-ca-file': evilCa } });
  });
});
