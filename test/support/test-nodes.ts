// Real test nodes: one sshd per node in its own network, mount and UTS namespace (toolchain §4), so
// the tool's SSH transport, its probe script and the probes meet a real OpenSSH server and real
// kernel state. Needs root, iproute2, util-linux (unshare, nsenter) and openssh-server.
//
// Machine rules: addresses only from 198.18.0.0/24 (bridge ckbr0 = .1, node i = .10+i); traffic only
// between the host and these namespaces; fixed names (ckbr0, ckn<i>, ckv<i>h), so one run at a time:
// startTestNodes() takes a lock shared by every jest worker and waits for it. Everything is stopped by
// PID (the PIDs `ip netns pids` reports for our namespaces, and the ones we started), and a run that
// crashed is cleaned up by the next one.
//
// What a node netns exposes on this kernel (6.18, verified here; see check-facts Appendix A):
// - /proc/net/netstat, /proc/net/snmp, /proc/net/arp, `ip neigh`, net.core.somaxconn (4096) are per netns.
// - /proc/net/stat/arp_cache does NOT exist in a netns (only nf_conntrack, rt_cache, synproxy are there),
//   and /proc/sys/net/ipv4/neigh/default/ (gc_thresh1-3, gc_interval) does not exist either; the
//   per-device neigh/<dev>/ directories stop before the gc_* entries. Node probes that read these see
//   "No such file" inside a test node, which is what a check must handle for a pod netns too.
// - Neighbour entries live in one kernel-wide table. `nud permanent` entries added in a netns count in
//   the host's /proc/net/stat/arp_cache `entries` (1500 added → entries 0x5df) but are exempt from
//   garbage collection and from gc_thresh3 (kernel ≥ 5.0): 1500 were accepted with gc_thresh3 = 1024
//   and table_fulls stayed 0. Making the kernel report a real overflow needs non-permanent entries past
//   the host's gc_thresh3, which would make the host itself drop neighbours, so addNeighbours() only
//   adds permanent ones (the count a check sees rises; table_fulls does not).
// - There is no `dummy` link type in this kernel; addNeighbours() uses bridges.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync, chmodSync, openSync, closeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { execa } from 'execa';
import type { NodeTarget } from '../../src/node/node-source.js';

export interface TestNodeSpec {
  name: string;
  /** Files that exist only in this node's view (absolute path → content; content starting with #! is
   * made executable, e.g. to give a node its own kernel log where the real one is machine-wide). */
  files?: Record<string, string>;
  /** tmpfs mounts in this node's view, e.g. /var/lib/kubelet with a size to fill. */
  tmpfs?: { path: string; sizeMb: number }[];
  /** CIDR for a cni0 bridge inside the node netns (only there; nothing routes to it). */
  cni0?: string;
  sshd?: 'up' | 'down';
  /** 'changed': the known_hosts entry for this node holds a different key. */
  hostKey?: 'known' | 'changed';
}

export interface TestNode {
  name: string;
  index: number;
  netns: string;
  address: string;
  /** A process that holds the node's mount and UTS namespaces (exec() enters its namespaces). */
  holderPid: number;
  sshdPid: number | null;
  sshdLog: string;
}

export interface ExecResult { stdout: string; stderr: string; exitCode: number }

export interface TestNodes {
  dir: string;
  /** ssh -F file: User root, the identity, our known_hosts, StrictHostKeyChecking yes, BatchMode yes. */
  sshConfig: string;
  identity: string;
  knownHosts: string;
  nodes: TestNode[];
  node(name: string): TestNode;
  /** NodeTargets as the API would describe them: InternalIP = the node's address, Hostname = its name. */
  targets(names?: string[]): NodeTarget[];
  /** Runs argv (no shell) inside the node's network, mount and UTS namespaces. */
  exec(node: string, argv: string[], opts?: { input?: string }): Promise<ExecResult>;
  sshdLog(node: string): string;
  startSshd(node: string): Promise<void>;
  stopSshd(node: string): Promise<void>;
  /** A listener with backlog 1 that never accepts, connected to until the node's TcpExt
   * ListenOverflows rises. Returns a function that closes the connections and the listener. */
  floodListener(node: string, port: number): Promise<() => Promise<void>>;
  /** Adds up to `count` permanent neighbour entries on bridges inside the node netns; returns how
   * many entries the netns has afterwards. */
  addNeighbours(node: string, count: number): Promise<number>;
  /** A pod's network namespace on the node, as the kubelet and a CNI leave it: a network namespace of
   * its own (lo only) holding a process whose cgroup path names the pod UID the way the kubelet's
   * cgroupfs driver does (…/kubepods/besteffort/pod<uid>). The process listens on 127.0.0.1:`port`
   * with backlog 1 and, with `flood`, keeps connecting to itself without accepting, so the
   * namespace's own ListenOverflows rises (resolved once it has). Returns a function that stops it. */
  podNamespace(node: string, opts: { podUid: string; port: number; flood: boolean }): Promise<{ pid: number; netns: string; stop: () => Promise<void> }>;
  stop(): Promise<void>;
}

const BRIDGE = 'ckbr0';
const LOCK = join(tmpdir(), 'kubectl-checkup-test-nodes.lock');
const DIR_PREFIX = 'kubectl-checkup-nodes-';
const netnsName = (i: number) => `ckn${i}`;
/** Pod namespaces of node i: ckn<i>p<k>. */
const podNetnsName = (i: number, k: number) => `ckn${i}p${k}`;
const OUR_NETNS = /^ckn\d+(p\d+)?$/;
/** Our cgroup subtree for the pod processes, under the first writable hierarchy (v2 unified, else v1 pids). */
const CGROUP_SUBTREE = 'kubectl-checkup-tests';
function cgroupRoot(): string {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return '/sys/fs/cgroup';
  for (const h of ['pids', 'systemd', 'memory']) if (existsSync(`/sys/fs/cgroup/${h}/cgroup.procs`)) return `/sys/fs/cgroup/${h}`;
  throw new Error('no cgroup hierarchy to place test pod processes in');
}
/** Removes our cgroup subtree, deepest first (a cgroup can only be removed once it is empty). */
function removeCgroups(): void {
  let root: string;
  try { root = join(cgroupRoot(), CGROUP_SUBTREE); } catch { return; }
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    for (let t = 0; t < 50; t++) {
      try { rmdirSync(dir); return; } catch { /* its processes are still exiting, or it is gone */ }
      if (!existsSync(dir)) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  };
  walk(root);
}
const vethHost = (i: number) => `ckv${i}h`;
const vethNode = (i: number) => `ckv${i}n`;
const addressOf = (i: number) => `198.18.0.${10 + i}`;

function run(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    if (opts.allowFail) return '';
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// --- one run at a time ------------------------------------------------------------------------

async function acquireLock(waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      // Another waiter that judged an older lock stale at the same moment may have removed ours:
      // hold the lock only if it still names us a moment later.
      await sleep(100);
      if (Number(readFileSync(join(LOCK, 'pid'), 'utf8')) === process.pid) return;
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try { owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written, or stale */ }
    const age = (() => { try { return Date.now() - statSync(LOCK).mtimeMs; } catch { return 0; } })();
    if ((Number.isInteger(owner) && !alive(owner)) || (!Number.isInteger(owner) && age > 5000)) {
      // Its owner died without stopping its nodes. Remove it only if it still names that owner.
      let still = NaN;
      try { still = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* gone or being written */ }
      if (Object.is(still, owner)) rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`test nodes are in use by process ${owner} (lock ${LOCK})`);
    await sleep(250);
  }
}

function releaseLock(): void {
  try {
    if (Number(readFileSync(join(LOCK, 'pid'), 'utf8')) === process.pid) rmSync(LOCK, { recursive: true, force: true });
  } catch { /* already gone */ }
}

// --- cleanup ----------------------------------------------------------------------------------

function killNetnsProcesses(ns: string): void {
  for (const pid of run('ip', ['netns', 'pids', ns], { allowFail: true }).split(/\s+/).filter(Boolean).map(Number)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

/** Removes our fixed-name namespaces, links and temp dirs. Only called while holding the lock. */
function removeLeftovers(ownChildren: number[] = []): void {
  // Our own children are all inside our namespaces too; killing them directly covers one that died
  // half-started. The parent check keeps a PID that was reused by another process safe.
  for (const pid of ownChildren) if (parentOf(pid) === process.pid) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  const namespaces = run('ip', ['netns', 'list'], { allowFail: true }).split('\n')
    .map((l) => l.split(' ')[0]).filter((n) => OUR_NETNS.test(n));
  for (const ns of namespaces) killNetnsProcesses(ns);
  for (const ns of namespaces) run('ip', ['netns', 'del', ns], { allowFail: true });
  removeCgroups();
  const links = run('ip', ['-o', 'link', 'show'], { allowFail: true }).split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1]).filter((n): n is string => !!n && (/^ckv\d+h$/.test(n) || n === BRIDGE));
  for (const link of links.filter((l) => l !== BRIDGE)) run('ip', ['link', 'del', link], { allowFail: true });
  if (links.includes(BRIDGE)) run('ip', ['link', 'del', BRIDGE], { allowFail: true });
  for (const entry of readdirSync(tmpdir())) {
    if (entry.startsWith(DIR_PREFIX)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

// --- start ------------------------------------------------------------------------------------

async function waitFor(what: string, ms: number, test: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 500 });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.once('connect', () => done(true)).once('error', () => done(false)).once('timeout', () => done(false));
  });
}

function keygen(path: string, comment: string): string {
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

function nsenterArgs(pid: number, argv: string[]): string[] {
  return ['-t', String(pid), '-m', '-u', '-n', '--', ...argv];
}

function netstatCounter(text: string, group: string, key: string): number {
  const lines = text.split('\n').filter((l) => l.startsWith(`${group}:`));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const i = names.indexOf(key);
  if (i < 0) throw new Error(`${group} ${key} not in /proc/net/netstat`);
  return Number(values[i]);
}

// A pod's server that never accepts, and (with a second argument 1) its own clients: a non-blocking
// connect to itself every 50 ms, so SYNs keep finding the accept queue full (bounded: 900 sockets).
const PERL_POD = [
  'use Socket; use Fcntl;',
  'my ($port, $flood) = @ARGV;',
  'socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";',
  'setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);',
  'bind($s, sockaddr_in($port, INADDR_LOOPBACK)) or die "bind: $!";',
  'listen($s, 1) or die "listen: $!";',
  '$| = 1; print "ready\\n"; my @c;',
  'while (1) {',
  '  if ($flood && @c < 900) { socket(my $c, PF_INET, SOCK_STREAM, 0) or die; fcntl($c, F_SETFL, fcntl($c, F_GETFL, 0) | O_NONBLOCK); connect($c, sockaddr_in($port, INADDR_LOOPBACK)); push @c, $c; }',
  '  select(undef, undef, undef, 0.05);',
  '}',
].join(' ');

const PERL_LISTENER = [
  'use Socket;',
  'socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";',
  'setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);',
  'bind($s, sockaddr_in($ARGV[0], INADDR_ANY)) or die "bind: $!";',
  'listen($s, 1) or die "listen: $!";',
  '$| = 1; print "ready\\n";',
  'sleep 3600 while 1;',
].join(' ');

export async function startTestNodes(specs: TestNodeSpec[], opts: { lockWaitMs?: number } = {}): Promise<TestNodes> {
  if (specs.length < 1 || specs.length > 200) throw new Error('between 1 and 200 test nodes');
  if (new Set(specs.map((s) => s.name)).size !== specs.length) throw new Error('test node names must be unique');
  for (const s of specs) if (!/^[a-z0-9][a-z0-9.-]*$/.test(s.name)) throw new Error(`bad test node name ${s.name}`);

  await acquireLock(opts.lockWaitMs ?? 300_000);
  const started: number[] = [];
  const nodes: TestNode[] = [];
  let dir = '';
  let stopped = false;

  const teardown = () => {
    if (stopped) return;
    stopped = true;
    removeLeftovers(started);
    releaseLock();
  };
  // A worker that exits without calling stop() (a crashed test) still leaves nothing behind.
  const onExit = () => teardown();
  process.once('exit', onExit);

  try {
    removeLeftovers();
    dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    const identity = join(dir, 'client_ed25519');
    keygen(identity, 'kubectl-checkup-tests');
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${identity}.pub`, 'utf8'));
    mkdirSync(join(dir, 'root'), { mode: 0o755 }); // bound over /root: no .bashrc runs in sessions
    const knownHosts = join(dir, 'known_hosts');
    const sshConfig = join(dir, 'ssh_config');

    run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    run('ip', ['addr', 'add', '198.18.0.1/24', 'dev', BRIDGE]);
    run('ip', ['link', 'set', BRIDGE, 'up']);

    const known: string[] = [];
    const hostBlocks: string[] = [];
    for (const [k, spec] of specs.entries()) {
      const i = k + 1;
      const ns = netnsName(i);
      const address = addressOf(i);
      const nd = join(dir, `n${i}`);
      mkdirSync(nd);

      run('ip', ['netns', 'add', ns]);
      run('ip', ['link', 'add', vethHost(i), 'type', 'veth', 'peer', 'name', vethNode(i)]);
      run('ip', ['link', 'set', vethHost(i), 'master', BRIDGE, 'up']);
      run('ip', ['link', 'set', vethNode(i), 'netns', ns]);
      run('ip', ['-n', ns, 'link', 'set', vethNode(i), 'name', 'eth0']);
      run('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      if (spec.cni0) {
        run('ip', ['-n', ns, 'link', 'add', 'cni0', 'type', 'bridge']);
        run('ip', ['-n', ns, 'addr', 'add', spec.cni0, 'dev', 'cni0']);
        run('ip', ['-n', ns, 'link', 'set', 'cni0', 'up']);
      }

      // `ip netns exec` gives the process a /sys for the netns; unshare then gives it a private
      // mount and UTS namespace, and exec's sleep keeps them alive for nsenter.
      const holder = spawn('ip', ['netns', 'exec', ns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sleep', 'infinity'], { stdio: 'ignore' });
      if (!holder.pid) throw new Error(`could not start the namespace holder for ${spec.name}`);
      started.push(holder.pid);
      holder.unref();
      const holderPid = holder.pid;
      await waitFor(`${spec.name}'s namespaces`, 5000, () => {
        try { return readFileSync(`/proc/${holderPid}/comm`, 'utf8').trim() === 'sleep'; } catch { return false; }
      });

      const node: TestNode = { name: spec.name, index: i, netns: ns, address, holderPid, sshdPid: null, sshdLog: join(nd, 'sshd.log') };
      nodes.push(node);
      const inNode = (argv: string[]) => run('nsenter', nsenterArgs(holderPid, argv));
      inNode(['hostname', spec.name]);
      inNode(['mount', '-t', 'tmpfs', '-o', 'mode=755,size=4m', 'tmpfs', '/run']);
      inNode(['mkdir', '-m', '755', '/run/sshd']);
      inNode(['mount', '--bind', join(dir, 'root'), '/root']);
      prepareFilesystem(spec, nd, inNode);

      const hostKey = join(nd, 'ssh_host_ed25519_key');
      const hostPub = keygen(hostKey, spec.name).split(' ').slice(0, 2).join(' ');
      const knownPub = spec.hostKey === 'changed' ? keygen(join(nd, 'other_host_key'), 'impostor').split(' ').slice(0, 2).join(' ') : hostPub;
      known.push(`${address} ${knownPub}`);
      hostBlocks.push(`Host ${spec.name}\n  HostName ${address}\n`);
      writeFileSync(join(nd, 'sshd_config'), [
        `ListenAddress ${address}:22`,
        `HostKey ${hostKey}`,
        `PidFile ${join(nd, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'UseDNS no',
        'PrintMotd no',
        'PrintLastLog no',
        // MaxStartups and MaxSessions stay at sshd's defaults, as on a real node: the tool must not
        // need more than one connection per node at a time.
        'LogLevel VERBOSE',
        '',
      ].join('\n'));
    }

    writeFileSync(knownHosts, known.join('\n') + '\n');
    writeFileSync(sshConfig, [
      ...hostBlocks,
      'Host *',
      '  User root',
      `  IdentityFile ${identity}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  BatchMode yes',
      '  ConnectTimeout 5',
      '  ControlMaster no',
      '  LogLevel ERROR',
      '',
    ].join('\n'));
    chmodSync(sshConfig, 0o600);

    const byName = (name: string) => {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no test node ${name}`);
      return n;
    };

    const startSshd = async (name: string) => {
      const n = byName(name);
      if (n.sshdPid && alive(n.sshdPid)) return;
      const log = openSync(n.sshdLog, 'a');
      const child: ChildProcess = spawn('nsenter', nsenterArgs(n.holderPid, ['/usr/sbin/sshd', '-D', '-e', '-f', join(dir, `n${n.index}`, 'sshd_config')]), { stdio: ['ignore', log, log] });
      closeSync(log);
      if (!child.pid) throw new Error(`could not start sshd for ${name}`);
      child.unref();
      n.sshdPid = child.pid; // nsenter without -p/--fork execs sshd: same PID
      started.push(child.pid);
      await waitFor(`sshd on ${n.address}`, 5000, async () => {
        if (child.exitCode !== null) throw new Error(`sshd for ${name} exited: ${readFileSync(n.sshdLog, 'utf8').slice(-500)}`);
        return tcpOpen(n.address, 22);
      });
    };

    const stopSshd = async (name: string) => {
      const n = byName(name);
      if (!n.sshdPid) return;
      const pid = n.sshdPid;
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      await waitFor(`sshd ${pid} to exit`, 5000, () => !alive(pid) || isZombie(pid));
      n.sshdPid = null;
    };

    const exec = async (name: string, argv: string[], o: { input?: string } = {}): Promise<ExecResult> => {
      const r = await execa('nsenter', nsenterArgs(byName(name).holderPid, argv), { reject: false, input: o.input ?? '', stripFinalNewline: false });
      return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
    };

    for (const [k, spec] of specs.entries()) if ((spec.sshd ?? 'up') === 'up') await startSshd(nodes[k].name);

    const listenOverflows = async (name: string) => {
      const r = await exec(name, ['cat', '/proc/net/netstat']);
      return netstatCounter(r.stdout, 'TcpExt', 'ListenOverflows');
    };

    return {
      dir, sshConfig, identity, knownHosts, nodes,
      node: byName,
      targets: (names) => (names ?? nodes.map((n) => n.name)).map((name) => ({
        name, addresses: [{ type: 'InternalIP', address: byName(name).address }, { type: 'Hostname', address: name }],
      })),
      exec,
      sshdLog: (name) => { try { return readFileSync(byName(name).sshdLog, 'utf8'); } catch { return ''; } },
      startSshd,
      stopSshd,
      async floodListener(name, port) {
        const n = byName(name);
        const before = await listenOverflows(name);
        const listener = spawn('nsenter', nsenterArgs(n.holderPid, ['perl', '-e', PERL_LISTENER, String(port)]), { stdio: ['ignore', 'pipe', 'pipe'] });
        if (!listener.pid) throw new Error('could not start the listener');
        started.push(listener.pid);
        await new Promise<void>((resolve, reject) => {
          let err = '';
          listener.stderr!.on('data', (d) => { err += String(d); });
          listener.stdout!.once('data', () => resolve());
          listener.once('exit', () => reject(new Error(`listener exited: ${err.trim()}`)));
        });
        const sockets: Socket[] = [];
        const stop = async () => {
          for (const s of sockets) s.destroy();
          try { process.kill(listener.pid!, 'SIGKILL'); } catch { /* gone */ }
          await waitFor('the listener to exit', 5000, () => listener.exitCode !== null || listener.signalCode !== null);
        };
        try {
          // Backlog 1 holds two finished handshakes; every SYN after that finds the accept queue
          // full and counts as a ListenOverflow (retransmitted SYNs count again).
          await waitFor(`ListenOverflows to rise on ${name}`, 10_000, async () => {
            if (sockets.length < 16) {
              const s = connect({ host: n.address, port });
              s.on('error', () => {});
              sockets.push(s);
            }
            await sleep(50);
            return (await listenOverflows(name)) > before;
          });
        } catch (err) {
          await stop();
          throw err;
        }
        return stop;
      },
      async addNeighbours(name, count) {
        const n = byName(name);
        const perDevice = 250; // addresses stay inside 198.18.0.0/24; each bridge holds one set
        const batch: string[] = [];
        for (let d = 0; d * perDevice < count; d++) {
          const dev = `ckarp${d}`;
          if ((await exec(name, ['ip', 'link', 'show', dev])).exitCode !== 0) {
            run('ip', ['-n', n.netns, 'link', 'add', dev, 'type', 'bridge']);
            run('ip', ['-n', n.netns, 'link', 'set', dev, 'up']);
          }
          for (let j = 0; j < Math.min(perDevice, count - d * perDevice); j++) {
            const mac = `02:c0:${(d >> 8).toString(16).padStart(2, '0')}:${(d & 255).toString(16).padStart(2, '0')}:00:${(j + 1).toString(16).padStart(2, '0')}`;
            batch.push(`neigh replace 198.18.0.${j + 1} lladdr ${mac} dev ${dev} nud permanent`);
          }
        }
        // -force: keep going where the kernel refuses an entry, then count what it accepted.
        run('ip', ['-n', n.netns, '-force', '-batch', '-'], { input: batch.join('\n') + '\n', allowFail: true });
        return run('ip', ['-n', n.netns, 'neigh', 'show']).split('\n').filter(Boolean).length;
      },
      async podNamespace(name, o) {
        const n = byName(name);
        if (!/^[0-9a-f-]{36}$/.test(o.podUid)) throw new Error(`bad pod UID ${o.podUid}`);
        let k = 1;
        while (run('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === podNetnsName(n.index, k))) k++;
        const ns = podNetnsName(n.index, k);
        run('ip', ['netns', 'add', ns]);
        run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        const cg = join(cgroupRoot(), CGROUP_SUBTREE, 'kubepods', 'besteffort', `pod${o.podUid}`);
        mkdirSync(cg, { recursive: true });
        // `ip netns exec` execs perl: the child's PID is the server's.
        const child = spawn('ip', ['netns', 'exec', ns, 'perl', '-e', PERL_POD, String(o.port), o.flood ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
        if (!child.pid) throw new Error('could not start the pod process');
        const pid = child.pid;
        started.push(pid);
        const stop = async () => {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          await waitFor('the pod process to exit', 5000, () => child.exitCode !== null || child.signalCode !== null);
          run('ip', ['netns', 'del', ns], { allowFail: true });
        };
        try {
          await new Promise<void>((resolve, reject) => {
            let err = '';
            child.stderr!.on('data', (d) => { err += String(d); });
            child.stdout!.once('data', () => resolve());
            child.once('exit', () => reject(new Error(`pod process exited: ${err.trim()}`)));
          });
          writeFileSync(join(cg, 'cgroup.procs'), String(pid));
          if (o.flood) {
            await waitFor(`ListenOverflows to rise in ${ns}`, 10_000, () => {
              try { return netstatCounter(readFileSync(`/proc/${pid}/net/netstat`, 'utf8'), 'TcpExt', 'ListenOverflows') > 0; } catch { return false; }
            });
          }
        } catch (err) {
          await stop();
          throw err;
        }
        return { pid, netns: ns, stop };
      },
      async stop() {
        process.removeListener('exit', onExit);
        teardown();
      },
    };
  } catch (err) {
    process.removeListener('exit', onExit);
    teardown();
    throw err;
  }
}

function parentOf(pid: number): number | null {
  try {
    return Number(/\) \S (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1]);
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Creates the spec's tmpfs mounts and files in the node's mount namespace without writing to the
 * host's filesystem: /run is already a tmpfs of this node; a missing directory elsewhere gets an
 * overlay (upper layer in the node's temp dir) on its deepest existing ancestor first. */
function prepareFilesystem(spec: TestNodeSpec, nodeDir: string, inNode: (argv: string[]) => string): void {
  const owned = ['/run'];
  let overlays = 0;
  const isOwned = (p: string) => owned.some((o) => p === o || p.startsWith(`${o}/`));
  const makeWritable = (dir: string) => {
    if (isOwned(dir)) return;
    let a = dir;
    while (!existsSync(a)) a = posix.dirname(a);
    const ov = join(nodeDir, `overlay${overlays++}`);
    mkdirSync(join(ov, 'upper'), { recursive: true });
    mkdirSync(join(ov, 'work'));
    inNode(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${a},upperdir=${join(ov, 'upper')},workdir=${join(ov, 'work')}`, a]);
    owned.push(a);
  };
  const ensureDir = (dir: string) => {
    if (!isOwned(dir) && existsSync(dir)) return; // exists on the host: usable as a mount point as is
    makeWritable(dir);
    inNode(['mkdir', '-p', dir]);
  };
  const check = (p: string) => {
    if (!p.startsWith('/') || p.includes('\0') || posix.normalize(p) !== p || p === '/') throw new Error(`bad test node path ${p}`);
  };

  for (const t of spec.tmpfs ?? []) {
    check(t.path);
    ensureDir(t.path);
    inNode(['mount', '-t', 'tmpfs', '-o', `size=${Math.max(1, Math.round(t.sizeMb))}m,mode=755`, 'tmpfs', t.path]);
    owned.push(t.path);
  }
  let k = 0;
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    check(path);
    const staged = join(nodeDir, `file${k++}`);
    writeFileSync(staged, content, { mode: content.startsWith('#!') ? 0o755 : 0o644 });
    if (!isOwned(path) && existsSync(path) && statSync(path).isFile()) {
      inNode(['mount', '--bind', staged, path]); // shadows the host's file in this node only
      continue;
    }
    ensureDir(dirname(path));
    makeWritable(dirname(path));
    inNode(['cp', staged, path]);
  }
}
