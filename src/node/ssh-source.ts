// Live node data over SSH: one session per node running one batched script (src/node/script.ts),
// a bounded number of handshakes at once and never two sessions to the same host at the same time
// (sshd's MaxStartups drops bursts; toolchain §6.11). Each node is yielded as soon as it finishes.
import type { NodeCollection, NodeSource, NodeTarget, ProbeInputs } from './node-source.js';
import type { ProbeName } from './probes.js';
import { buildNodeScript, splitNodeOutput, type ProbeRegistry } from './script.js';
import { DEFAULT_CONCURRENCY, DEFAULT_NODE_TIMEOUT_SECONDS, runSshSession, unsafeDestination, type SshOptions } from './ssh.js';

const ADDRESS_TYPES = { 'internal-ip': 'InternalIP', 'external-ip': 'ExternalIP', hostname: 'Hostname' } as const;

/** The ssh destination for a node per --ssh-address, or why there is none. */
export function pickAddress(node: NodeTarget, mode: SshOptions['address'] = 'internal-ip'): { host: string } | { reason: string } {
  let host: string;
  if (mode === 'name') {
    host = node.name;
  } else {
    const type = ADDRESS_TYPES[mode];
    const found = node.addresses.find((a) => a.type === type && a.address);
    if (!found) {
      const have = [...new Set(node.addresses.map((a) => a.type))].join(', ') || 'none';
      return { reason: `no ${type} address in node.status.addresses (has: ${have}); choose another with --ssh-address` };
    }
    host = found.address;
  }
  const problem = unsafeDestination(host);
  return problem ? { reason: `refusing ssh destination ${JSON.stringify(host.slice(0, 80))}: ${problem}` } : { host };
}

export interface SshSourceHooks {
  /** Probe definitions to draw fragments from (tests use their own; default: src/node/probes.ts). */
  registry?: ProbeRegistry;
}

/** Sessions alive at once, at work or sleeping: each is an ssh process with three pipes here. At 16
 * at work and a 5 s sample interval, about this many are sleeping on their nodes. */
export const MAX_LIVE_SESSIONS = 256;

export function sshNodeSource(opts: SshOptions, hooks: SshSourceHooks = {}): NodeSource {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
  const maxLive = Math.max(concurrency, MAX_LIVE_SESSIONS);
  const interval = opts.sampleIntervalSeconds ?? 0;
  const timeoutSeconds = (opts.nodeTimeoutSeconds ?? DEFAULT_NODE_TIMEOUT_SECONDS) + interval;

  async function probeNode(node: string, host: string, probes: ProbeName[], inputs: ProbeInputs, signal: AbortSignal, onStarted: () => void): Promise<NodeCollection> {
    const plan = buildNodeScript(probes, interval, inputs, hooks.registry);
    const session = await runSshSession(host, plan.script, {
      ...opts, timeoutSeconds, cancelSignal: signal, doneMarker: `@@checkup-${plan.nonce} done\n`,
      started: { marker: `@@checkup-${plan.nonce} sleeping\n`, then: onStarted },
    });
    const split = splitNodeOutput(session.stdout, plan);
    // Nothing of the script ran: the node was not reached (connection, auth, host key, sudo, no sh).
    if (!split.started) return { node, reached: false, reason: session.failure ?? 'the probe script did not start (no output)' };
    const problems = split.problems.map((p) => (session.failure ? { probe: p.probe, reason: `${session.failure}; ${p.reason}` } : p));
    const collection: NodeCollection = { node, reached: true, intervalSeconds: interval, samples: split.samples };
    if (problems.length) collection.problems = problems;
    return collection;
  }

  return {
    async *collect(nodes: NodeTarget[], probes: ProbeName[], inputs?: (node: string) => ProbeInputs): AsyncIterable<NodeCollection> {
      const queue: { node: string; host: string }[] = [];
      for (const n of nodes) {
        const picked = pickAddress(n, opts.address);
        if ('reason' in picked) yield { node: n.name, reached: false, reason: picked.reason };
        else queue.push({ node: n.name, host: picked.host });
      }

      // One controller per session: execa listens on the signal it is given, and one signal shared by
      // every session collects a listener per node (MaxListenersExceededWarning beyond 10 nodes).
      const controllers = new Set<AbortController>();
      // A slot is a session at work (handshake, login, the probes), not a session waiting: it is given
      // back when the script says it is sleeping out the sample interval, so that wait does not keep the
      // next node waiting (issue 14). Without an interval nothing waits, and a session holds its slot
      // to the end, as with parallel-ssh. sshd's MaxStartups counts unauthenticated connections per
      // host, and each host has at most one.
      let stopping = false;
      const busyHosts = new Set<string>();
      const running = new Map<string, Promise<void>>();
      // Finished sessions wait here for the consumer; sessions start from two places (a finish, a
      // start marker), so the loop below waits on a wake-up rather than on a race of a fixed set.
      const finished: { key: string; host: string; result: NodeCollection }[] = [];
      let wake: (() => void) | undefined;
      let handshaking = 0;
      let seq = 0;
      const startEligible = () => {
        for (let i = 0; i < queue.length && handshaking < concurrency && running.size < maxLive;) {
          const { node, host } = queue[i];
          if (busyHosts.has(host)) { i++; continue; }
          queue.splice(i, 1);
          busyHosts.add(host);
          const key = `${seq++}`;
          const controller = new AbortController();
          controllers.add(controller);
          handshaking++;
          let released = false;
          const release = () => {
            if (released) return;
            released = true;
            handshaking--;
          };
          const onStarted = () => { release(); if (!stopping) startEligible(); };
          const job = probeNode(node, host, probes, inputs?.(node) ?? {}, controller.signal, onStarted)
            .finally(() => controllers.delete(controller))
            .catch((err: unknown): NodeCollection => ({ node, reached: false, reason: `could not run ssh: ${err instanceof Error ? err.message : String(err)}` }))
            .then((result) => { release(); finished.push({ key, host, result }); wake?.(); });
          running.set(key, job);
        }
      };

      try {
        startEligible();
        while (running.size) {
          if (!finished.length) await new Promise<void>((resolve) => { wake = resolve; });
          wake = undefined;
          const { key, host, result } = finished.shift()!;
          running.delete(key);
          busyHosts.delete(host);
          startEligible();
          yield result;
        }
      } finally {
        // The consumer stopped early (interrupt, error): kill the sessions still running.
        stopping = true;
        for (const c of controllers) c.abort();
        await Promise.allSettled(running.values());
      }
    },
  };
}
