// Real kernel faults for the fleet checks, inside test nodes (test-nodes.ts): a connection-tracking
// table filled with real entries, a stream of new flows that keeps a full table evicting, and a
// "kubelet" (a process named kubelet) whose connection to a listener goes silent because the node drops
// the peer's packets — so Send-Q and the retransmit timer are the kernel's own. Needs nft (nftables)
// and perl. Every process started here is returned with a stop() that kills it by PID.
//
// What this kernel (6.18) does, verified here: nf_conntrack_count and /proc/net/stat/nf_conntrack are
// per network namespace; nf_conntrack_max is global and read-only in a non-initial namespace (EACCES),
// and each namespace's own count is checked against it — so a test node is filled against the machine's
// real limit (262144 here) without touching any global setting. nf_conntrack_udp_timeout is per
// namespace and writable: raised in the node so the entries outlive the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestNodes } from './test-nodes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function must(nodes: TestNodes, node: string, argv: string[]): Promise<string> {
  const r = await nodes.exec(node, argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} on ${node} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Turns on connection tracking in the node's namespace (an nft rule that matches on ct state). */
export async function enableConntrack(nodes: TestNodes, node: string): Promise<void> {
  await must(nodes, node, ['sh', '-c', 'echo 600 > /proc/sys/net/netfilter/nf_conntrack_udp_timeout']);
  await must(nodes, node, ['nft', 'add table inet ckct; add chain inet ckct out { type filter hook output priority 0; }; add rule inet ckct out ct state new counter']);
}

export async function conntrackCount(nodes: TestNodes, node: string): Promise<number> {
  return Number((await must(nodes, node, ['cat', '/proc/sys/net/netfilter/nf_conntrack_count'])).trim());
}

// One UDP datagram to each (127.0.0.<a>, port) pair: each is a new, unreplied conntrack entry.
const PERL_UDP = 'use Socket; socket(my $s, PF_INET, SOCK_DGRAM, 0) or die; my ($from, $n) = @ARGV; my $i = 0; ' +
  'for my $a ($from..250) { for my $p (1..60000) { exit 0 if $i++ >= $n; send($s, "x", 0, sockaddr_in($p, inet_aton("127.0.0.$a"))); } }';

/** Adds `entries` conntrack entries in the node's namespace (real flows on its loopback). */
export async function fillConntrack(nodes: TestNodes, node: string, entries: number, firstAddress = 2): Promise<number> {
  await must(nodes, node, ['perl', '-e', PERL_UDP, String(firstAddress), String(entries)]);
  return conntrackCount(nodes, node);
}

/** A slow, steady stream of new flows (to addresses the fill did not use), so a full table keeps
 * evicting while the CLI samples it. */
export function churnConntrack(nodes: TestNodes, node: string, perSecond = 400): { stop: () => Promise<void> } {
  const script = 'use Socket; use Time::HiRes qw(sleep); socket(my $s, PF_INET, SOCK_DGRAM, 0) or die; ' +
    `for my $a (200..250) { for my $p (1..60000) { send($s, "x", 0, sockaddr_in($p, inet_aton("127.0.0.$a"))); sleep(${1 / perSecond}); } }`;
  return background(nodes, node, ['perl', '-e', script]);
}

function background(nodes: TestNodes, node: string, argv: string[], env?: Record<string, string>): { child: ChildProcess; stop: () => Promise<void> } {
  const child = spawn('nsenter', ['-t', String(nodes.node(node).holderPid), '-m', '-u', '-n', '--', ...argv],
    { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env });
  if (!child.pid) throw new Error(`could not start ${argv[0]} on ${node}`);
  child.stderr!.resume();
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
      await exited;
    },
  };
}

/** A TCP listener that reads and discards whatever it gets (the "API server"). */
export async function startSink(nodes: TestNodes, node: string, port: number): Promise<{ stop: () => Promise<void> }> {
  const script = 'use Socket; socket(my $s, PF_INET, SOCK_STREAM, 0) or die; setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1); ' +
    `bind($s, sockaddr_in(${port}, INADDR_ANY)) or die "bind: $!"; listen($s, 16) or die; ` +
    'while (accept(my $c, $s)) { if (!fork) { while (sysread($c, my $b, 65536)) {} exit 0 } }';
  const p = background(nodes, node, ['perl', '-e', script]);
  await sleep(300);
  return p;
}

/** A process whose comm is "kubelet" (perl started through a symlink of that name), with the given
 * environment, writing to `peer:port` every 200 ms like a kubelet's heartbeats. */
export async function startFakeKubelet(nodes: TestNodes, node: string, dir: string, peer: string, port: number, env: Record<string, string>):
  Promise<{ pid: number; stop: () => Promise<void> }> {
  const bin = join(dir, 'kubelet-bin');
  mkdirSync(bin, { recursive: true });
  if (!existsSync(join(bin, 'kubelet'))) symlinkSync('/usr/bin/perl', join(bin, 'kubelet'));
  const script = 'use Socket; use IO::Handle; socket(my $s, PF_INET, SOCK_STREAM, 0) or die; ' +
    `connect($s, sockaddr_in(${port}, inet_aton("${peer}"))) or die "connect: $!"; $s->blocking(0); ` +
    'while (1) { syswrite($s, "x" x 1000); select(undef, undef, undef, 0.2); }';
  const p = background(nodes, node, [join(bin, 'kubelet'), '-e', script], { PATH: '/usr/bin:/bin', ...env });
  await sleep(500);
  if (p.child.exitCode !== null) throw new Error(`fake kubelet on ${node} exited`);
  return { pid: p.child.pid!, stop: p.stop };
}

/** Drops every packet from `peer` in the node: its side of a connection goes silent. */
export async function silencePeer(nodes: TestNodes, node: string, peer: string): Promise<void> {
  await must(nodes, node, ['nft', `add table inet cksilent; add chain inet cksilent in { type filter hook input priority 0; }; add rule inet cksilent in ip saddr ${peer} drop`]);
}
