// Parsers of the disk probes (diskUsage, kubeletConfig, hostpathUsage) on real output recorded on the
// development machine (fixtures/probes/*/collect.sh), plus garbage and truncated output; and the
// hostpathUsage fragment itself run through dash and bash with hostile paths as its input.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbeError, type RawSample } from '../../src/node/probe-types.js';
import { diskUsage, parseDfInodeLine, parseDfLine } from '../../src/node/probes/diskUsage.js';
import { hostpathUsage } from '../../src/node/probes/hostpathUsage.js';
import { kubeletConfig, parseEvictionFlag, pickSettings } from '../../src/node/probes/kubeletConfig.js';
import { buildNodeScript, splitNodeOutput } from '../../src/node/script.js';

const fixture = (p: string) => readFileSync(join('fixtures/probes', p), 'utf8');
const one = (stdout: string, exitCode = 0): RawSample[] => [{ stdout, exitCode }];

describe('df parsing (real df -P / df -Pi lines from this machine)', () => {
  const dfP = fixture('diskUsage/df-P.raw.txt').split('\n');
  const dfPi = fixture('diskUsage/df-Pi.raw.txt').split('\n');

  it('reads a df -Pk data line into bytes', () => {
    const row = parseDfLine(dfP[1]!)!;
    const cols = dfP[1]!.trim().split(/\s+/);
    expect(row).toEqual({
      filesystem: cols[0], capacityBytes: Number(cols[1]) * 1024, usedBytes: Number(cols[2]) * 1024,
      availableBytes: Number(cols[3]) * 1024, dfUsePercent: Number(cols[4]!.replace('%', '')), mount: cols[5],
    });
  });

  it('reads df -Pi lines, including a tmpfs', () => {
    const root = parseDfInodeLine(dfPi[1]!)!;
    expect(root.inodes).toBe(Number(dfPi[1]!.trim().split(/\s+/)[1]));
    expect(root.mount).toBe('/');
    const shm = parseDfInodeLine(dfPi.find((l) => l.endsWith('/dev/shm'))!)!;
    expect(shm.mount).toBe('/dev/shm');
    expect(shm.inodesFree).toBeGreaterThan(0);
  });

  it('keeps spaces in filesystem names and mount points', () => {
    expect(parseDfLine('//nas/share name    1000   400   600  40% /mnt/my disk')).toMatchObject({
      filesystem: '//nas/share name', capacityBytes: 1024000, mount: '/mnt/my disk',
    });
  });

  it('has no inode numbers for filesystems without an inode table (btrfs reports 0)', () => {
    expect(parseDfInodeLine('/dev/sdb1  0  0  0  - /data')).toEqual({ inodes: null, inodesUsed: null, inodesFree: null, mount: '/data' });
  });

  it('rejects lines that are not df data lines', () => {
    expect(parseDfLine(dfP[0]!)).toBeUndefined(); // the header
    expect(parseDfLine('df: /nope: No such file or directory')).toBeUndefined();
    expect(parseDfLine('/dev/vda 12 34')).toBeUndefined();
  });
});

describe('diskUsage', () => {
  it('parses this machine: no kubelet or runtime roots, /var/log on the root filesystem', () => {
    const v = diskUsage.parse(one(fixture('diskUsage/host.txt')), 0);
    expect(v.paths['/var/lib/kubelet']).toEqual({ state: 'missing' });
    expect(v.paths['/var/lib/containerd']).toEqual({ state: 'missing' });
    const log = v.paths['/var/log'];
    expect(log?.state).toBe('ok');
    if (log?.state !== 'ok') return;
    expect(log.df.mount).toBe('/');
    expect(log.df.capacityBytes).toBeGreaterThan(log.df.availableBytes);
    expect(log.inodes?.mount).toBe('/');
  });

  it('parses a node with tmpfs kubelet and containerd roots (real tmpfs in a private mount namespace)', () => {
    const v = diskUsage.parse(one(fixture('diskUsage/kubelet-tmpfs.txt')), 0);
    const kubelet = v.paths['/var/lib/kubelet'];
    const containerd = v.paths['/var/lib/containerd'];
    expect(kubelet).toMatchObject({ state: 'ok', df: { filesystem: 'tmpfs', capacityBytes: 65536 * 1024, mount: '/var/lib/kubelet' } });
    expect(containerd).toMatchObject({ state: 'ok', df: { capacityBytes: 32768 * 1024, mount: '/var/lib/containerd' }, inodes: { inodes: 2000 } });
    expect(v.paths['/var/lib/docker']).toEqual({ state: 'missing' });
  });

  it.each([
    ['no end marker (cut off)', fixture('diskUsage/host.txt').replace('@@ end\n', '')],
    ['a df line that is not one', '@@ df /var/log\nFilesystem 1024-blocks Used Available Capacity Mounted on\ngarbage here\n@@ end\n'],
    ['an unknown path', '@@ df /etc\n@@ end\n'],
    ['an unknown marker', '@@ surprise /var/log\n@@ end\n'],
    ['nothing at all', '@@ end\n'],
  ])('throws ProbeError on %s', (_l, stdout) => {
    expect(() => diskUsage.parse(one(stdout), 0)).toThrow(ProbeError);
  });

  it('marks a path df printed nothing for as failed', () => {
    const v = diskUsage.parse(one('@@ df /var/log\n@@ dfi /var/log\n@@ end\n'), 0);
    expect(v.paths['/var/log']).toEqual({ state: 'failed' });
  });
});

describe('kubeletConfig', () => {
  it('reads the kubeadm config file when no kubelet runs (candidate locations)', () => {
    const v = kubeletConfig.parse(one(fixture('kubeletConfig/kubeadm-file.txt')), 0);
    expect(v.kubeletRunning).toBe(false);
    expect(v.file).toEqual({
      path: '/var/lib/kubelet/config.yaml',
      settings: {
        imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80, imageMaximumGCAge: '0s', imageMinimumGCAge: '0s',
        evictionHard: { 'memory.available': '200Mi' },
      },
    });
    expect(v.settings).toEqual((v.file as { settings: unknown }).settings);
    expect(v.flags).toEqual({});
  });

  it('follows the running kubelet\'s --config and lets its flags override the file', () => {
    const raw = fixture('kubeletConfig/flags.txt');
    const v = kubeletConfig.parse(one(raw), 0);
    expect(v.kubeletRunning).toBe(true);
    expect(v.configFlag).toBe('/etc/kubernetes/custom.yaml');
    expect((v.file as { path: string }).path).toBe('/etc/kubernetes/custom.yaml'); // read through /proc/<pid>/root
    expect(v.settings.imageGCHighThresholdPercent).toBe(92); // "--image-gc-high-threshold 92" (two words)
    expect(v.settings.imageGCLowThresholdPercent).toBe(80);
    expect(v.settings.evictionHard).toEqual({ 'memory.available': '200Mi', 'nodefs.available': '5%' });
    expect(v.flags).toEqual({ 'eviction-hard': 'memory.available<200Mi,nodefs.available<5%', 'image-gc-high-threshold': '92' });
    // Other flags of the kubelet never leave the node.
    expect(raw).not.toContain('bootstrap');
  });

  it('says why when there is no file', () => {
    const v = kubeletConfig.parse(one(fixture('kubeletConfig/no-kubelet.txt')), 0);
    expect(v.file).toEqual({ path: null, error: expect.stringContaining('no kubelet config file found (tried /var/lib/kubelet/config.yaml') });
    expect(v.settings).toEqual({});
  });

  it('reads EKS-style JSON files', () => {
    const json = '{"kind":"KubeletConfiguration","apiVersion":"kubelet.config.k8s.io/v1beta1","evictionHard":{"memory.available":"100Mi","nodefs.available":"10%"},"imageGCHighThresholdPercent":70,"containerLogMaxSize":"50Mi","containerLogMaxFiles":3}';
    const v = kubeletConfig.parse(one(`@@ file /etc/kubernetes/kubelet/config.json\n${json}\n\n@@ endfile\n@@ end\n`), 0);
    expect(v.settings).toEqual({
      imageGCHighThresholdPercent: 70, evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%' },
      containerLogMaxSize: '50Mi', containerLogMaxFiles: 3,
    });
  });

  it('turns an unparsable or foreign file into a reason, not a crash', () => {
    const bad = kubeletConfig.parse(one('@@ file /var/lib/kubelet/config.yaml\nkind: [unclosed\n@@ endfile\n@@ end\n'), 0);
    expect(bad.file).toEqual({ path: '/var/lib/kubelet/config.yaml', error: expect.stringContaining('not valid YAML/JSON') });
    const foreign = kubeletConfig.parse(one('@@ file /var/lib/kubelet/config.yaml\nkind: KubeProxyConfiguration\n@@ endfile\n@@ end\n'), 0);
    expect(foreign.file).toEqual({ path: '/var/lib/kubelet/config.yaml', error: 'not a KubeletConfiguration (kind: KubeProxyConfiguration)' });
    const unreadable = kubeletConfig.parse(one('@@ pid 12\n@@ unreadable /var/lib/kubelet/config.yaml\n@@ end\n'), 0);
    expect(unreadable.file).toEqual({ path: '/var/lib/kubelet/config.yaml', error: 'permission denied (use --sudo)' });
    const withheld = kubeletConfig.parse(one('@@ pid 12\n@@ withheld /proc/12/root/var/lib/kubelet/config.yaml\n@@ end\n'), 0);
    expect(withheld.file).toEqual({ path: '/var/lib/kubelet/config.yaml', error: expect.stringContaining('holds staticPodURLHeader (credentials)') });
  });

  it.each([
    ['no end marker', fixture('kubeletConfig/kubeadm-file.txt').replace('@@ end\n', '')],
    ['a file cut off before its end line', '@@ file /var/lib/kubelet/config.yaml\nimageGCHighThresholdPercent: 85\n@@ end\n'],
    ['stray output', 'hello\n@@ nofile\n@@ end\n'],
    ['no file section', '@@ pid 1\n@@ end\n'],
  ])('throws ProbeError on %s', (_l, stdout) => {
    expect(() => kubeletConfig.parse(one(stdout), 0)).toThrow(ProbeError);
  });

  it('keeps only well-typed settings', () => {
    expect(pickSettings({ imageGCHighThresholdPercent: '85', evictionHard: { 'nodefs.available': '10%', bad: { x: 1 } }, mergeDefaultEvictionSettings: 'yes' }))
      .toEqual({ evictionHard: { 'nodefs.available': '10%' } });
    expect(pickSettings(null)).toEqual({});
  });

  it('parses --eviction-hard lists', () => {
    expect(parseEvictionFlag('memory.available<100Mi, nodefs.available<10%,junk')).toEqual({ 'memory.available': '100Mi', 'nodefs.available': '10%' });
  });
});

describe('hostpathUsage', () => {
  const samples = [fixture('hostpathUsage/growing.1.txt'), fixture('hostpathUsage/growing.2.txt')].map((s) => ({ stdout: s, exitCode: 0 }));

  // The first du line of each sample: "S <rc> <uptime> <KiB>".
  const du = (s: string) => s.split('\n').find((l) => l.startsWith('S '))!.split(' ').slice(2).map(Number) as [number, number];

  it('measures size, filesystem and growth between two real samples', () => {
    const [t1, kib1] = du(samples[0]!.stdout);
    const [t2, kib2] = du(samples[1]!.stdout);
    expect(kib2 - kib1).toBeGreaterThanOrEqual(2900); // 3 MB were appended between the samples
    const v = hostpathUsage.parse(samples, 2);
    const p = v.paths['/srv/applogs']!;
    expect(p.state).toBe('ok');
    expect(p.sizeBytes).toBe(kib2 * 1024);
    expect(p.filesystem).toMatchObject({ filesystem: 'tmpfs', capacityBytes: 8192 * 1024, mount: '/srv/applogs' });
    expect(p.measuredOverSeconds).toBeCloseTo(t2 - t1, 2);
    expect(p.growthBytesPerHour).toBe(Math.round(((kib2 - kib1) * 1024 * 3600) / (t2 - t1)));
  });

  it('resolves symlinks and reports paths that do not exist', () => {
    const v = hostpathUsage.parse(samples, 2);
    expect(v.paths['/srv/applogs-link']).toMatchObject({ state: 'ok', resolved: '/srv/applogs', sizeBytes: v.paths['/srv/applogs']!.sizeBytes });
    expect(v.paths['/var/log/pods']).toMatchObject({ state: 'missing' });
  });

  it('returns hostile paths as data, exactly as given', () => {
    const v = hostpathUsage.parse(samples, 2);
    expect(v.paths["/var/log/x'; touch /tmp/pwned; '"]).toMatchObject({ state: 'missing' });
    expect(v.paths['/$(touch /tmp/pwned)']).toMatchObject({ state: 'missing' });
  });

  it('has no growth with one sample', () => {
    const v = hostpathUsage.parse([samples[0]!], 0);
    expect(v.paths['/srv/applogs']).toMatchObject({ state: 'ok', sizeBytes: du(samples[0]!.stdout)[1] * 1024 });
    expect(v.paths['/srv/applogs']!.growthBytesPerHour).toBeUndefined();
  });

  it('tells timeouts, partial reads, budget and missing timeout(1) apart', () => {
    const out = [
      'P /a', 'S 124 10.00 ', 'F /dev/sda1 100 50 50 50% /',
      'P /b', 'S 1 10.50 42', 'F /dev/sda1 100 50 50 50% /', 'L /etc/logrotate.d/b',
      'P /c', 'M budget',
      'P /d', 'M no-timeout',
      'P /e', 'S 2 11.00 ',
      'E', '',
    ].join('\n');
    const v = hostpathUsage.parse(one(out), 0);
    expect(v.paths['/a']).toMatchObject({ state: 'timeout' });
    expect(v.paths['/b']).toMatchObject({ state: 'ok', sizeBytes: 42 * 1024, partial: true, logrotate: ['/etc/logrotate.d/b'] });
    expect(v.paths['/c']).toMatchObject({ state: 'budget' });
    expect(v.paths['/d']).toMatchObject({ state: 'no-timeout' });
    expect(v.paths['/e']).toMatchObject({ state: 'failed' });
  });

  it.each([
    ['no end line (cut off)', fixture('hostpathUsage/growing.1.txt').replace(/E\n$/, '')],
    ['an unknown line', 'P /a\nX what\nE\n'],
    ['output before any path', 'S 0 1.0 5\nE\n'],
    ['a malformed du line', 'P /a\nS zero 1.0 5\nE\n'],
    ['an unknown state', 'P /a\nM exploded\nE\n'],
  ])('throws ProbeError on %s', (_l, stdout) => {
    expect(() => hostpathUsage.parse(one(stdout), 0)).toThrow(ProbeError);
  });
});

describe('du -skx output (real, from this machine)', () => {
  it('the fragment keeps the leading KiB count of each du line', () => {
    // The fragment prints ${s%%[!0-9]*} of du's output: everything before the first non-digit.
    for (const line of fixture('hostpathUsage/du-skx.raw.txt').trimEnd().split('\n')) {
      const kib = execFileSync('dash', ['-c', 's=$1; printf %s "${s%%[!0-9]*}"', 'sh', line], { encoding: 'utf8' });
      expect(kib).toBe(line.split('\t')[0]);
      expect(Number(kib)).toBeGreaterThan(0);
    }
  });
});

describe('the hostpathUsage fragment with hostile input, through real shells', () => {
  const shells = ['dash', 'bash'].filter((s) => { try { execFileSync('sh', ['-c', `command -v ${s}`]); return true; } catch { return false; } });

  it.each(shells)('%s: paths reach du as data, nothing they contain runs', (shell) => {
    const dir = mkdtempSync(join(tmpdir(), 'checkup-hostpath-'));
    try {
      const marker = join(dir, 'pwned');
      const logs = join(dir, "app logs 'quoted'");
      mkdirSync(logs);
      writeFileSync(join(logs, 'app.log'), 'x'.repeat(10000));
      const hostile = [
        `${logs}'; touch ${marker}; '`,
        `/$(touch ${marker})`,
        `/\`touch ${marker}\``,
        `${dir}/"; touch ${marker}; "`,
        `${dir}/$(touch ${marker})/..`,
      ];
      const inputs = [logs, ...hostile];
      const plan = buildNodeScript(['hostpathUsage'], 0, { hostpathUsage: inputs });
      const stdout = execFileSync(shell, ['-s'], { input: plan.script, encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
      const split = splitNodeOutput(stdout, plan);
      const v = hostpathUsage.parse(split.samples.hostpathUsage!, 0);
      expect(existsSync(marker)).toBe(false);
      expect(Object.keys(v.paths)).toEqual(inputs);
      expect(v.paths[logs]).toMatchObject({ state: 'ok' });
      expect(v.paths[logs]!.sizeBytes).toBeGreaterThanOrEqual(8192);
      for (const h of hostile) expect(v.paths[h]!.state).toBe('missing');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
