// -f: read the manifests, run the checks that judge specs alone through the engine, report the others
// as skipped, and point each finding at its file and line. Bad documents become warnings; only when
// nothing at all could be read is the run impossible (exit 2).
import { ConfigError } from '../errors.js';
import { runChecks, type RunObserver, type RunOutput } from '../engine/run.js';
import type { CheckDefinition, CheckResult, CheckSettings, SettingValues } from '../engine/types.js';
import type { ReportWarning } from '../report/model.js';
import { readInputs, STDIN_NAME, type StdinReader } from './inputs.js';
import { parseManifest, type ManifestObject, type ManifestProblem } from './parse.js';
import { ManifestSource, NO_CLUSTER } from './source.js';

export interface ManifestRunInput {
  paths: string[];
  recursive: boolean;
  checks: readonly CheckDefinition[];
  namespace?: string;
  labelSelector?: string;
  settings: CheckSettings;
  checkOptions?: Record<string, SettingValues>;
  /** Sees the objects (annotation suppressions work on manifests too). */
  observe?: RunObserver;
  stdin: StdinReader;
}

export interface ManifestRunOutput {
  run: RunOutput;
  warnings: ReportWarning[];
}

export async function runOnManifests(input: ManifestRunInput): Promise<ManifestRunOutput> {
  const read = await readInputs(input.paths, input.recursive, input.stdin);
  const problems: ManifestProblem[] = [...read.problems];
  const objects: ManifestObject[] = [];
  let ignored = 0;
  for (const { file, text } of read.inputs) {
    const parsed = parseManifest(file, text);
    objects.push(...parsed.objects);
    problems.push(...parsed.problems);
    ignored += parsed.ignored;
  }
  if (!objects.length && !ignored) {
    const list = problems.slice(0, 20).map((p) => `  ${formatProblem(p)}`);
    if (problems.length > 20) list.push(`  … and ${problems.length - 20} more`);
    throw new ConfigError(`nothing to evaluate in ${input.paths.map((p) => (p === '-' ? 'stdin' : p)).join(', ')}:\n${list.join('\n')}`);
  }

  const source = new ManifestSource(objects, input.namespace);
  problems.push(...source.duplicates);
  if (!source.size) {
    // Valid, but nothing the checks read (CRDs, RBAC, Ingress only): a pass that judged nothing.
    problems.push({ code: 'manifest-nothing-checked', file: input.paths.map((p) => (p === '-' ? STDIN_NAME : p)).join(', '),
      message: `${ignored === 1 ? 'its one object is not' : `none of its ${ignored} objects is`} of a kind the checks read (Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod, Service, ConfigMap, …)` });
  }
  // In file order, then line order: the order a reader goes through them.
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  const runnable = input.checks.filter((c) => c.manifests);
  const run = await runChecks({
    checks: runnable,
    api: source,
    noNodesReason: 'manifests hold no node data',
    scope: { namespace: input.namespace, labelSelector: input.labelSelector },
    settings: input.settings,
    checkOptions: input.checkOptions,
    observe: input.observe,
  });
  const results = new Map<string, CheckResult>(run.results.map((r) => [r.id, r]));
  return {
    run: {
      ...run,
      // In the order the checks were selected, as a live run lists them.
      results: input.checks.map((c) => results.get(c.id) ?? { id: c.id, title: c.title, status: 'skip', reason: NO_CLUSTER, durationMs: 0 }),
      findings: run.findings.map((f) => {
        const location = source.locate(f);
        return location ? { ...f, location } : f;
      }),
    },
    warnings: problems.map((p) => ({ code: p.code, message: formatProblem(p) })),
  };
}

export function formatProblem(p: ManifestProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`;
}
