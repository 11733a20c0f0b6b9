// The main job: options → sources → engine → report → exit code.
import { setFlagsFromString } from 'node:v8';
import { CHECKS } from '../../checks/index.js';
import { runChecks, type RunOutput } from '../engine/run.js';
import type { CheckDefinition } from '../engine/types.js';
import type { ApiSource } from '../engine/source.js';
import type { NodeSource } from '../node/node-source.js';
import { buildReport, hasFindingsAtOrAbove, type Report, type ReportWarning } from '../report/model.js';
import { checkReadme } from '../report/check-readme.js';
import { checkOutputFiles, writeOutputs } from '../report/write-outputs.js';
import { AnnotationIndex } from '../policy/annotations.js';
import { applySuppressions, hasGapsOrErrors, regrade } from '../policy/apply.js';
import { loadPolicy, type Policy } from '../policy/load.js';
import { parseRunOptions, type RawFlags, type RunOptions } from './options.js';
import { createProgress } from './progress.js';
import { colorLevel } from './tty.js';
import { toolVersion } from './version.js';

/** After each full GC, V8 lets the heap grow to up to ~4× what survived before the next one; with a
 * run's steady stream of short-lived pages, peak RSS then follows that factor, not what the run
 * keeps (at 150k pods ~60 MB live, heap up to ~250 MB: issue 14). 80 % growth keeps the peak near
 * twice the live set (RSS 330 → 260 MiB at 150k pods, A/B medians of 6) for a few more full GCs
 * (time within the noise). V8 reads this flag whenever it sets the next limit, so setting it now works. */
const HEAP_GROWING_PERCENT = 80;

export async function runCommand(flags: RawFlags): Promise<number> {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  // Config and external checks first: a bad config, baseline or plugin is exit 2 before any request.
  const { policy, registry } = await loadPolicy(flags, CHECKS);
  const opts = parseRunOptions(flags, registry, policy.config);
  const annotations = policy.annotations ? new AnnotationIndex(registry.map((c) => c.id)) : undefined;
  checkOutputFiles(opts.output);
  const startedAt = new Date();
  const t0 = performance.now();
  if (opts.manifests) {
    const { runManifestOptions } = await import('../manifests/command.js');
    const { run, warnings } = await runManifestOptions(opts, opts.manifests, { checkOptions: policy.config?.settings, observe: annotations });
    return printReport(opts, run, { startedAt, t0, source: 'manifests', warnings, policy, annotations, registry });
  }

  let api: ApiSource;
  let nodes: NodeSource | undefined;
  let noNodesReason: string | undefined;
  let closeApi = (): void => {};
  if (opts.snapshot) {
    const { SnapshotSource } = await import('../snapshot/read.js');
    const snap = new SnapshotSource(opts.snapshot);
    api = snap;
    nodes = opts.ssh ? snap : undefined;
    noNodesReason = opts.ssh ? undefined : '--no-ssh';
  } else {
    const { loadKubeconfigFast } = await import('../kube/plain-kubeconfig.js');
    const { KubeApiClient } = await import('../kube/api-client.js');
    const kubeconfig = await loadKubeconfigFast({ kubeconfig: opts.kubeconfig, context: opts.context });
    const client = new KubeApiClient(kubeconfig, { requestTimeoutMs: opts.requestTimeoutMs });
    api = client;
    closeApi = () => client.close();
    if (opts.nodeAccess === 'pod') {
      const { podNodeSourceFor } = await import('./pod-access.js');
      nodes = podNodeSourceFor(kubeconfig, opts);
    } else if (opts.ssh) {
      const { sshNodeSource } = await import('../node/ssh-source.js');
      nodes = sshNodeSource(opts.sshOptions);
    } else {
      noNodesReason = '--no-ssh';
    }
  }

  // Snapshot code is loaded only by the runs that read or write one (start-up, issue 14).
  const writer = opts.saveSnapshot ? new (await import('../snapshot/write.js')).SnapshotWriter(opts.saveSnapshot) : undefined;
  const progress = await createProgress({ nodesVia: opts.nodeAccess === 'pod' ? 'through probe pods' : undefined });
  let run;
  try {
    run = await runChecks({
      checks: opts.checks,
      api,
      nodes,
      noNodesReason,
      scope: { namespace: opts.namespace, labelSelector: opts.labelSelector, nodeFilter: opts.nodeFilter },
      settings: { sampleIntervalSeconds: opts.sampleIntervalSeconds, namespace: opts.namespace },
      checkOptions: policy.config?.settings,
      observe: annotations,
      recorder: writer,
      progress: progress.update,
    });
  } catch (err) {
    writer?.abort(); // the folder stays as it was
    // --dry-run printed the probe pod manifests: nothing was created, and there is no report.
    if (err instanceof Error && err.name === 'DryRunComplete') return 0;
    throw err;
  } finally {
    progress.stop();
    closeApi();
  }
  if (writer) {
    await writer.finish({
      cluster: run.cluster, identity: run.identity, transport: nodes?.transport, now: run.now, gaps: run.gaps, toolVersion: toolVersion(),
      scope: { namespace: opts.namespace ?? null, labelSelector: opts.labelSelector ?? null },
    });
    // Snapshots are for sharing: say what is in them (never Secrets; ConfigMap data and specs are).
    process.stderr.write(`snapshot saved to ${opts.saveSnapshot} (API objects incl. ConfigMap data, events and node probe output; no Secrets — review before sharing)\n`);
  }

  return printReport(opts, run, { startedAt, t0, source: opts.snapshot ? 'snapshot' : 'cluster', warnings: [], policy, annotations, registry });
}

/** Report: severities re-graded, suppressions applied (config, annotations, baseline), then written in
 * every format asked for. */
async function printReport(opts: RunOptions, run: RunOutput, meta: {
  startedAt: Date; t0: number; source: Report['source']; warnings: ReportWarning[]; policy: Policy; annotations?: AnnotationIndex;
  registry: readonly CheckDefinition[];
}): Promise<number> {
  const { startedAt, t0, policy } = meta;
  const built = buildReport(regrade(run, policy.config?.severity ?? new Map()), { version: toolVersion(), startedAt, durationMs: Math.round(performance.now() - t0), source: meta.source });
  built.warnings.push(...meta.warnings);
  const report = applySuppressions(built, {
    now: run.now, rules: policy.config?.suppress ?? [], annotations: meta.annotations, baseline: policy.baseline, warnings: policy.config?.warnings ?? [], namespace: opts.namespace,
  });
  await writeOutputs(opts.output, report, {
    text: { snapshot: opts.snapshot ? { collectedAt: run.now } : undefined, ssh: opts.ssh },
    sarif: { checkDocs: (id) => {
      const check = meta.registry.find((c) => c.id === id);
      return check && { title: check.title, description: check.description, readme: check.id.includes('/') ? check.readme : checkReadme(id), rules: check.rules };
    } },
    stdoutColorLevel: colorLevel(process.stdout),
  }, process.stdout);
  return hasFindingsAtOrAbove(report, opts.failOn) || (opts.failOnGaps && hasGapsOrErrors(report)) ? 1 : 0;
}

