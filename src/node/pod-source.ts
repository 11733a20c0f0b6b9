// Live node data through short-lived pods (--node-access pod, DESIGN §2.12 and §3.8): per node one
// pod pinned to it, running the same script (src/node/script.ts) the SSH transport runs, its output
// read from pods/log and split by the same markers — a check cannot tell which transport ran.
//
// API cost per node is constant: create, log, delete (3 calls). Pod phases arrive on ONE watch per
// run (plus one list to start it), not one poll per pod per second; when the user may not list/watch
// pods (§2.12 asks only for create/get/delete and pods/log), each pod is polled with GET instead.
// Every pod is tracked by name before its create is sent, so cleanup never depends on the happy path:
// it runs after each node, at the end of the run, and on Ctrl-C (src/engine/interrupt.ts).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { onInterrupt } from '../engine/interrupt.js';
import type { NodeCollection, NodeSource, NodeTarget, ProbeInputs } from './node-source.js';
import { PodApiError, type PodObject, type PodWriter, type WatchEvent } from '../kube/pod-writer.js';
import {
  CONTAINER, DEFAULT_PROBE_IMAGE, DEFAULT_PROBE_NAMESPACE, MAX_SCRIPT_BYTES, probePodManifest, runSelector,
} from './probe-pod.js';
import type { ProbeName } from './probes.js';
import { buildNodeScript, splitNodeOutput, type ProbeRegistry } from './script.js';
import { DEFAULT_CONCURRENCY, DEFAULT_NODE_TIMEOUT_SECONDS } from './ssh.js';

export interface PodAccessOptions {
  namespace?: string;
  image?: string;
  /** Nodes probed at once (default 16). */
  concurrency?: number;
  /** Per node, from create to a finished pod, not counting the sample interval (default 30). */
  nodeTimeoutSeconds?: number;
  sampleIntervalSeconds?: number;
  /** Labels the run's pods; random by default. */
  runId?: string;
  /** Polling interval when watching is not allowed (default 1 s). */
  pollIntervalMs?: number;
  /** --dry-run: receives the manifests instead of creating anything. */
  dryRun?: (yaml: string) => void;
  /** Things the user must do by hand (a pod that could not be deleted). */
  warn?: (message: string) => void;
  registry?: ProbeRegistry;
}

/** --dry-run printed the manifests: the run stops here, successfully. */
export class DryRunComplete extends Error {
  constructor() {
    super('dry run: nothing was created');
    this.name = 'DryRunComplete';
  }
}

/** Ctrl-C during collection: the pods are being deleted; the CLI exits 130 when that is done. */
export class CollectionInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'CollectionInterrupted'; // src/cli/main.ts maps it to exit 130 without importing this module
  }
}

/** How long Ctrl-C waits for the deletes before it gives up and prints the command instead. */
const INTERRUPT_CLEANUP_MS = 20_000;
/** Beyond the node timeout, how long the kubelet lets a forgotten pod live (activeDeadlineSeconds). */
const DEADLINE_MARGIN_SECONDS = 60;
const WAITING_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

type Outcome =
  | { kind: 'finished'; pod: PodObject }
  | { kind: 'failed'; reason: string }
  | { kind: 'timeout'; pod: PodObject | undefined };

export function podNodeSource(writer: PodWriter, opts: PodAccessOptions = {}): NodeSource {
  const namespace = writer.namespace;
  const image = opts.image ?? DEFAULT_PROBE_IMAGE;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
  const interval = opts.sampleIntervalSeconds ?? 0;
  const budgetSeconds = (opts.nodeTimeoutSeconds ?? DEFAULT_NODE_TIMEOUT_SECONDS) + interval;
  const runId = opts.runId ?? randomBytes(4).toString('hex');
  const selector = runSelector(runId);
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  let seq = 0;

  return {
    transport: 'pod',
    async *collect(nodes: NodeTarget[], probes: ProbeName[], inputs?: (node: string) => ProbeInputs): AsyncIterable<NodeCollection> {
      const plans = (node: string) => buildNodeScript(probes, interval, inputs?.(node) ?? {}, opts.registry);
      const specFor = (node: string, script: string) => probePodManifest({
        name: `checkup-${runId}-${seq++}`, namespace, node, image, runId, script,
        activeDeadlineSeconds: Math.ceil(budgetSeconds) + DEADLINE_MARGIN_SECONDS,
      });

      if (opts.dryRun) {
        opts.dryRun(nodes.map((n) => manifestYaml(specFor(n.name, plans(n.name).script))).join('---\n'));
        throw new DryRunComplete();
      }

      const tracked = new Set<string>(); // every pod whose create was sent and whose delete has not succeeded
      const creating = new Set<Promise<unknown>>();
      const controller = new AbortController();
      let interrupted = false;
      /** Set when a create shows that no pod can be created in this run (RBAC, Pod Security, no namespace). */
      let halt: string | undefined;
      const waiter = new PodWaiter(writer, selector, opts.pollIntervalMs ?? 1000, controller.signal);

      const deletePod = async (name: string): Promise<string | null> => {
        try {
          await writer.delete(name);
          tracked.delete(name);
          return null;
        } catch (err) {
          return describeError(err, 'delete', 'pods', namespace);
        }
      };

      const cleanup = async (): Promise<void> => {
        // A create still in flight may yet succeed: wait for it, or its pod would outlive the run.
        await Promise.allSettled([...creating]);
        const failures = (await Promise.all([...tracked].map(async (n) => ({ name: n, why: await deletePod(n) })))).filter((f) => f.why);
        if (failures.length) {
          warn(`kubectl-checkup: could not delete ${failures.length} probe pod(s) in namespace ${namespace} (${failures[0]!.why}). ` +
            `Delete them with:\n  kubectl delete pods -n ${namespace} -l ${selector}`);
        }
      };

      const stopOnInterrupt = onInterrupt(async () => {
        interrupted = true;
        controller.abort();
        // Ctrl-C must end the program soon even when the API server does not answer.
        const late = Symbol('late');
        const timer = new AbortController();
        const first = await Promise.race([cleanup(), sleep(INTERRUPT_CLEANUP_MS, late, { signal: timer.signal }).catch(() => undefined)]);
        timer.abort();
        if (first === late) {
          warn(`kubectl-checkup: gave up waiting for the probe pods to be deleted. If any remain, delete them with:\n  kubectl delete pods -n ${namespace} -l ${selector}`);
        }
      });

      const probeNode = async (node: string): Promise<NodeCollection> => {
        if (halt) return { node, reached: false, reason: halt };
        const plan = plans(node);
        if (Buffer.byteLength(plan.script) > MAX_SCRIPT_BYTES) {
          return { node, reached: false, reason: `the probe script for this node is ${Buffer.byteLength(plan.script)} bytes, more than a pod can carry (${MAX_SCRIPT_BYTES}); too many hostPaths?` };
        }
        const manifest = specFor(node, plan.script) as { metadata: { name: string } };
        const name = manifest.metadata.name;
        tracked.add(name);
        waiter.expect(name);
        try {
          const create = writer.create(manifest);
          creating.add(create);
          try {
            await create;
          } finally {
            creating.delete(create);
          }
        } catch (err) {
          // Refused by the API server: nothing was created. A lost connection may have created it: keep
          // it tracked, so cleanup deletes it (a 404 there is fine).
          if (err instanceof PodApiError && err.code >= 400) tracked.delete(name);
          const reason = createFailure(err, namespace);
          if (reason.systemic) halt ??= reason.text;
          return { node, reached: false, reason: reason.text };
        }
        try {
          const outcome = await waiter.wait(name, budgetSeconds * 1000, (pod) => judge(pod, image, node));
          if (interrupted) return { node, reached: false, reason: 'interrupted' };
          if (outcome.kind === 'failed') return { node, reached: false, reason: outcome.reason };
          const timedOut = outcome.kind === 'timeout';
          if (timedOut && !containerStarted(outcome.pod)) {
            return { node, reached: false, reason: `no result within ${budgetSeconds}s: ${describePending(outcome.pod, node)}` };
          }
          let log: string;
          try {
            log = await writer.log(name, CONTAINER);
          } catch (err) {
            return { node, reached: false, reason: `the probe pod ran but its log is unreadable: ${describeError(err, 'get', 'pods/log', namespace)}` };
          }
          const split = splitNodeOutput(log, plan);
          const failure = timedOut ? `timed out after ${budgetSeconds}s` : exitFailure(outcome.pod);
          if (!split.started) return { node, reached: false, reason: timedOut ? `${failure}: ${launchFailure(log)}` : launchFailure(log, failure) };
          const problems = split.problems.map((p) => (failure ? { probe: p.probe, reason: `${failure}; ${p.reason}` } : p));
          const collection: NodeCollection = { node, reached: true, intervalSeconds: interval, samples: split.samples };
          if (problems.length) collection.problems = problems;
          return collection;
        } finally {
          waiter.forget(name);
          if (!interrupted) await deletePod(name); // a failure here is retried, then reported, by cleanup
        }
      };

      const queue = [...nodes];
      const running = new Map<string, Promise<{ key: string; result: NodeCollection }>>();
      let key = 0;
      const startMore = () => {
        while (running.size < concurrency && queue.length) {
          const n = queue.shift()!;
          const k = String(key++);
          running.set(k, probeNode(n.name)
            .catch((err: unknown): NodeCollection => ({ node: n.name, reached: false, reason: `probe pod failed: ${err instanceof Error ? err.message : String(err)}` }))
            .then((result) => ({ key: k, result })));
        }
      };

      try {
        startMore();
        while (running.size) {
          const { key: k, result } = await Promise.race(running.values());
          running.delete(k);
          if (interrupted) throw new CollectionInterrupted();
          startMore();
          yield result;
        }
      } finally {
        controller.abort();
        await Promise.allSettled(running.values());
        if (!interrupted) await cleanup();
        stopOnInterrupt();
        waiter.close();
      }
    },
  };
}

/** Where a pod stands: finished, failed for good (no use waiting), or undefined (keep waiting). */
function judge(pod: PodObject, image: string, node: string): Outcome | undefined {
  const st = pod.status ?? {};
  const c = st.containerStatuses?.find((x) => x.name === CONTAINER);
  if (c?.state?.terminated || st.phase === 'Succeeded') return { kind: 'finished', pod };
  if (st.phase === 'Failed') {
    // The safety net fired: whatever the script printed before is still worth reading.
    if (st.reason === 'DeadlineExceeded') {
      return containerStarted(pod) ? { kind: 'finished', pod }
        : { kind: 'failed', reason: `the probe pod hit its activeDeadlineSeconds before its container started on ${node}` };
    }
    // Rejected by the kubelet before the container ran (OutOfcpu, NodeAffinity, Evicted, …).
    return { kind: 'failed', reason: `the kubelet on ${node} rejected the probe pod: ${[st.reason, st.message].filter(Boolean).join(': ') || 'phase Failed'}` };
  }
  const waiting = c?.state?.waiting;
  if (waiting?.reason && WAITING_FAILURES.has(waiting.reason)) {
    if (/Image/.test(waiting.reason)) {
      return { kind: 'failed', reason: `the probe image ${image} cannot be pulled on ${node} (${waiting.reason}${waiting.message ? `: ${waiting.message.slice(0, 200)}` : ''}); ` +
        'use --probe-image with an image your nodes can pull (it needs only sh and chroot)' };
    }
    return { kind: 'failed', reason: `the probe container could not start on ${node} (${waiting.reason}${waiting.message ? `: ${waiting.message.slice(0, 200)}` : ''})` };
  }
  return undefined;
}

function containerStarted(pod: PodObject | undefined): boolean {
  const c = pod?.status?.containerStatuses?.find((x) => x.name === CONTAINER);
  return Boolean(c?.state?.running || c?.state?.terminated);
}

/** Why a pod never started, from what its status says. */
function describePending(pod: PodObject | undefined, node: string): string {
  const st = pod?.status;
  if (!st) return `the probe pod was never seen on the API server`;
  const waiting = st.containerStatuses?.find((x) => x.name === CONTAINER)?.state?.waiting;
  if (waiting?.reason) return `the probe pod stayed Pending (${waiting.reason}${waiting.message ? `: ${waiting.message.slice(0, 200)}` : ''})`;
  const unscheduled = st.conditions?.find((x) => x.status === 'False' && x.message);
  if (unscheduled) return `the probe pod stayed Pending (${unscheduled.type}: ${unscheduled.message!.slice(0, 200)})`;
  return `the probe pod stayed Pending: the kubelet on ${node} never started it (node NotReady or its kubelet down?)`;
}

function exitFailure(pod: PodObject | undefined): string | null {
  const st = pod?.status;
  if (st?.reason === 'DeadlineExceeded') return 'the probe pod hit its activeDeadlineSeconds';
  const t = st?.containerStatuses?.find((x) => x.name === CONTAINER)?.state?.terminated;
  if (t && t.exitCode !== 0) return `the probe script exited with ${t.exitCode}${t.reason && t.reason !== 'Error' ? ` (${t.reason})` : ''}`;
  return null;
}

/** The script never started: say why from what the image's shell or chroot printed. */
function launchFailure(log: string, exit: string | null = null): string {
  if (log.includes('@@checkup-launch the probe image has no chroot')) return 'the probe image has no chroot: use --probe-image with an image that has sh and chroot (e.g. busybox)';
  if (/can't execute '\/bin\/sh'|\/bin\/sh: No such file|cannot run command '\/bin\/sh'/.test(log)) return 'the node has no /bin/sh: node probes need a shell on the host (Bottlerocket, Talos and similar cannot be probed)';
  const last = log.split(/\r?\n/).map((l) => l.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim()).filter(Boolean).at(-1);
  return `the probe script did not start${exit ? ` (${exit.replace(/^the probe script /, '')})` : ''}${last ? `: ${last.slice(0, 200)}` : ' and the pod printed nothing'}`;
}

/** A refused create, in words a person can act on; `systemic` when every other create would fail the same way. */
// kube-system is exempt from Pod Security or privileged on kubeadm, EKS, GKE and AKS.
const PRIVILEGED_HINT = ' (e.g. --probe-namespace kube-system, or label one: kubectl label namespace NS pod-security.kubernetes.io/enforce=privileged)';

function createFailure(err: unknown, namespace: string): { text: string; systemic: boolean } {
  if (!(err instanceof PodApiError)) return { text: `could not create the probe pod: ${String(err)}`, systemic: false };
  const pss = /violates PodSecurity "([a-z]+):[^"]*"(?:: (.*))?/.exec(err.statusMessage);
  if (err.code === 403 && pss) {
    return {
      text: `Pod Security admission rejected the probe pod: namespace ${namespace} enforces "${pss[1]}", and node probes need "privileged" ` +
        `(host network, PID and filesystem${pss[2] ? ` — ${pss[2].slice(0, 160)}` : ''}); use --probe-namespace with a namespace that allows privileged pods${PRIVILEGED_HINT}`,
      systemic: true,
    };
  }
  if (err.code === 403) return { text: describeError(err, 'create', 'pods', namespace), systemic: !/quota/i.test(err.statusMessage) };
  if (err.code === 404) return { text: `cannot create probe pods: namespace ${namespace} not found (--probe-namespace)`, systemic: true };
  if (err.code === 401) return { text: 'cannot create probe pods: the API server rejected the credentials (401)', systemic: true };
  return { text: `could not create the probe pod: ${describeError(err, 'create', 'pods', namespace)}`, systemic: false };
}

function describeError(err: unknown, verb: string, resource: string, namespace: string): string {
  if (!(err instanceof PodApiError)) return err instanceof Error ? err.message : String(err);
  if (err.code === 403) {
    if (/quota/i.test(err.statusMessage)) return `refused by a resource quota in ${namespace}: ${err.statusMessage.slice(0, 200)}`;
    return `forbidden: cannot ${verb} ${resource} in namespace ${namespace} (RBAC: grant "${verb}" on "${resource}")`;
  }
  if (err.code === 0) return err.statusMessage || 'network error';
  return `HTTP ${err.code}${err.statusMessage ? `: ${err.statusMessage.slice(0, 200)}` : ''}`;
}

/**
 * Waits for pods to finish. One list + watch per run delivers every pod's status; if listing or
 * watching pods is forbidden, each waiting pod is polled with GET instead.
 */
class PodWaiter {
  private readonly latest = new Map<string, PodObject>();
  private readonly notify = new Map<string, () => void>();
  private mode: 'starting' | 'watch' | 'poll' = 'starting';
  private started: Promise<void> | undefined;

  constructor(private readonly writer: PodWriter, private readonly selector: string, private readonly pollMs: number, private readonly signal: AbortSignal) {
    // One listener for all waits (not one per pod): an abort wakes every waiting pod.
    signal.addEventListener('abort', () => { for (const wake of [...this.notify.values()]) wake(); }, { once: true });
  }

  expect(name: string): void {
    this.started ??= this.startWatch();
    this.latest.delete(name);
  }

  forget(name: string): void {
    this.latest.delete(name);
    this.notify.delete(name);
  }

  close(): void {
    this.notify.clear();
  }

  async wait(name: string, budgetMs: number, decide: (pod: PodObject) => Outcome | undefined): Promise<Outcome> {
    await this.started;
    const deadline = Date.now() + budgetMs;
    for (;;) {
      if (this.mode === 'poll') {
        try {
          this.latest.set(name, await this.writer.get(name));
        } catch (err) {
          if (err instanceof PodApiError && err.code === 403) return { kind: 'failed', reason: describeError(err, 'get', 'pods', this.writer.namespace) };
          if (err instanceof PodApiError && err.code === 404) return { kind: 'failed', reason: 'the probe pod was deleted by someone else before it finished' };
        }
      }
      const pod = this.latest.get(name);
      const outcome = pod && decide(pod);
      if (outcome) return outcome;
      const left = deadline - Date.now();
      if (left <= 0 || this.signal.aborted) return { kind: 'timeout', pod };
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, this.mode === 'poll' ? Math.min(this.pollMs, left) : left);
        this.notify.set(name, done);
      });
      this.notify.delete(name);
    }
  }

  private async startWatch(): Promise<void> {
    let rv: string;
    try {
      rv = (await this.writer.list(this.selector)).resourceVersion;
    } catch {
      this.mode = 'poll';
      return;
    }
    this.mode = 'watch';
    void this.watchLoop(rv);
  }

  private async watchLoop(from: string): Promise<void> {
    let rv = from;
    let failures = 0;
    while (!this.signal.aborted) {
      let gone = false;
      try {
        await this.writer.watch(this.selector, rv, (e: WatchEvent) => {
          if (e.type === 'ERROR') {
            gone = (e.object as { code?: number }).code === 410;
            return;
          }
          const name = e.object.metadata?.name;
          if (e.object.metadata?.resourceVersion) rv = e.object.metadata.resourceVersion;
          if (e.type === 'BOOKMARK' || !name) return;
          if (e.type === 'DELETED') {
            this.latest.delete(name);
          } else {
            this.latest.set(name, e.object);
          }
          this.notify.get(name)?.();
        }, this.signal);
        failures = 0;
      } catch (err) {
        if (this.signal.aborted) return;
        if (err instanceof PodApiError && err.code === 403) {
          this.switchToPolling();
          return;
        }
        if (++failures > 5) {
          this.switchToPolling();
          return;
        }
        await sleep(Math.min(250 * 2 ** failures, 4000), undefined, { signal: this.signal }).catch(() => {});
      }
      if (gone) {
        // The version we resumed from was compacted away: list again for the current state.
        try {
          const l = await this.writer.list(this.selector);
          rv = l.resourceVersion;
          for (const p of l.items) {
            const name = p.metadata?.name;
            if (name) { this.latest.set(name, p); this.notify.get(name)?.(); }
          }
        } catch {
          this.switchToPolling();
          return;
        }
      }
    }
  }

  private switchToPolling(): void {
    this.mode = 'poll';
    for (const wake of this.notify.values()) wake();
  }
}

export { DEFAULT_PROBE_IMAGE, DEFAULT_PROBE_NAMESPACE };

/** --dry-run: the manifest as YAML, the script shown in full so a reviewer can read what would run. */
function manifestYaml(pod: object): string {
  return stringify(pod, { lineWidth: 0, blockQuote: 'literal' });
}
