// The main job: options → sources → engine → report → exit code.
import { CHECKS } from '../../checks/index.js';
import { UsageError } from '../errors.js';
import { runChecks } from '../engine/run.js';
import type { ApiSource, NodeSource } from '../engine/source.js';
import { buildReport, hasFindingsAtOrAbove } from '../report/model.js';
import { renderJson } from '../report/json.js';
import { renderText } from '../report/text.js';
import { SnapshotSource } from '../snapshot/read.js';
import { SnapshotWriter } from '../snapshot/write.js';
import { parseRunOptions, type RawFlags } from './options.js';
import { createProgress } from './progress.js';
import { colorLevel } from './tty.js';
import { toolVersion } from './version.js';

export async function runCommand(flags: RawFlags): Promise<number> {
  const opts = parseRunOptions(flags, CHECKS);
  const startedAt = new Date();
  const t0 = performance.now();

  let api: ApiSource;
  let nodes: NodeSource | undefined;
  let noNodesReason: string | undefined;
  if (opts.snapshot) {
    const snap = new SnapshotSource(opts.snapshot);
    api = snap;
    nodes = opts.ssh ? snap : undefined;
    noNodesReason = opts.ssh ? undefined : '--no-ssh';
  } else {
    const { loadKubeconfig } = await import('../kube/kubeconfig.js');
    const { KubeApiClient } = await import('../kube/api-client.js');
    const kubeconfig = loadKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.context });
    api = new KubeApiClient(kubeconfig, { requestTimeoutMs: opts.requestTimeoutMs });
    if (opts.ssh) {
      const { sshNodeSource } = await import('../node/ssh-source.js');
      nodes = sshNodeSource(opts.sshOptions);
    } else {
      noNodesReason = '--no-ssh';
    }
  }

  const writer = opts.saveSnapshot ? new SnapshotWriter(opts.saveSnapshot) : undefined;
  const progress = createProgress();
  let run;
  try {
    run = await runChecks({
      checks: opts.checks,
      api,
      nodes,
      noNodesReason,
      scope: { namespace: opts.namespace, labelSelector: opts.labelSelector, nodeFilter: opts.nodeFilter },
      settings: { sampleIntervalSeconds: opts.sampleIntervalSeconds, namespace: opts.namespace },
      recorder: writer,
      progress: progress.update,
    });
  } catch (err) {
    writer?.abort(); // the folder stays as it was
    throw err;
  } finally {
    progress.stop();
  }
  if (writer) {
    await writer.finish({
      cluster: run.cluster, now: run.now, gaps: run.gaps, toolVersion: toolVersion(),
      scope: { namespace: opts.namespace ?? null, labelSelector: opts.labelSelector ?? null },
    });
    // Snapshots are for sharing: say what is in them (never Secrets; ConfigMap data and specs are).
    process.stderr.write(`snapshot saved to ${opts.saveSnapshot} (API objects incl. ConfigMap data, events and node probe output; no Secrets — review before sharing)\n`);
  }

  const report = buildReport(run, { version: toolVersion(), startedAt, durationMs: Math.round(performance.now() - t0), source: opts.snapshot ? 'snapshot' : 'cluster' });
  process.stdout.write(opts.output === 'json' ? renderJson(report) : renderText(report, {
    colorLevel: colorLevel(process.stdout),
    snapshot: opts.snapshot ? { collectedAt: run.now } : undefined,
    ssh: opts.ssh,
  }));
  return hasFindingsAtOrAbove(report, opts.failOn) ? 1 : 0;
}

