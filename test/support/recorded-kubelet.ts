// A "kubelet" for synthetic nodes: the probe pod completes after a delay with recorded output — what
// a node printed once (a snapshot's nodes/<node>.json samples) — framed by the markers of the script
// this pod carries (its nonce, its sections in its order), as the script itself would have printed it.
// For fleets of hundreds of nodes (bench, API-cost tests) where running real shells is not the point.
import type { RawSample } from '../../src/node/probe-types.js';
import { containerArgv, type Kubelet } from './fake-apiserver-pods.js';

export type RecordedSamples = Record<string, RawSample[] | undefined>;

/** The script a probe pod carries (the args after the launcher), reassembled. */
export function podScript(pod: any): string {
  const argv = containerArgv(pod);
  const at = argv.indexOf('checkup-probe');
  return at < 0 ? '' : argv.slice(at + 1).join('');
}

/** What the script would print given these samples per probe: start, each section, done. */
export function replayScript(script: string, samples: RecordedSamples): string {
  const nonce = /^M='@@checkup-([0-9a-f]+)'$/m.exec(script)?.[1];
  if (!nonce) return 'sh: no probe script\n';
  const m = `@@checkup-${nonce}`;
  let out = `${m} start\n`;
  for (const [, probe, pass] of script.matchAll(/^printf '%s begin ([A-Za-z0-9_-]+) (\d+)\\n' "\$M"$/gm)) {
    const s = samples[probe!]?.[Number(pass) - 1] ?? samples[probe!]?.[0] ?? { stdout: '', exitCode: 1 };
    out += `${m} begin ${probe} ${pass}\n${s.stdout}\n${m} end ${probe} ${pass} ${s.exitCode}\n`;
  }
  return `${out}${m} done\n`;
}

export function recordedKubelet(samplesFor: (node: string) => RecordedSamples | undefined, opts: { runMs?: number; otherwise?: Kubelet } = {}): Kubelet {
  return (pod) => {
    const samples = samplesFor(pod.spec?.nodeName);
    if (!samples) return opts.otherwise?.(pod) ?? { kind: 'pending' };
    return {
      kind: 'run',
      start(p, io) {
        const t = setTimeout(() => {
          io.out(replayScript(podScript(p), samples));
          io.exit(0);
        }, opts.runMs ?? 20);
        return { kill: () => clearTimeout(t) };
      },
    };
  };
}
