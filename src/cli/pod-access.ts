// --node-access pod: the pod writer and the pod NodeSource, wired from the run options.
import type { NodeSource } from '../node/node-source.js';
import type { LoadedKubeconfig } from '../kube/kubeconfig.js';
import { kubePodWriter } from '../kube/pod-writer.js';
import { podNodeSource } from '../node/pod-source.js';
import type { RunOptions } from './options.js';

export function podNodeSourceFor(kubeconfig: LoadedKubeconfig, opts: RunOptions): NodeSource {
  const writer = kubePodWriter(kubeconfig, opts.podAccess.namespace, { requestTimeoutMs: opts.requestTimeoutMs });
  return podNodeSource(writer, {
    image: opts.podAccess.image,
    concurrency: opts.sshOptions.concurrency,
    nodeTimeoutSeconds: opts.sshOptions.nodeTimeoutSeconds,
    sampleIntervalSeconds: opts.sampleIntervalSeconds,
    dryRun: opts.podAccess.dryRun ? (yaml) => process.stdout.write(yaml) : undefined,
    warn: (message) => process.stderr.write(`${message}\n`),
  });
}
