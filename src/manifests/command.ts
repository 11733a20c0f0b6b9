// The CLI side of -f: run options → a manifest run, its warnings also on stderr (a pipeline log shows
// them even when stdout is a JSON report going to a file).
import type { RunOptions } from '../cli/options.js';
import type { RunObserver, RunOutput } from '../engine/run.js';
import type { SettingValues } from '../engine/types.js';
import type { ReportWarning } from '../report/model.js';
import { sanitizeLine } from '../report/sanitize.js';
import { readProcessStdin } from './inputs.js';
import { runOnManifests } from './run.js';

const STDERR_WARNINGS = 50;

export async function runManifestOptions(opts: RunOptions, manifests: { paths: string[]; recursive: boolean },
  policy: { checkOptions?: Record<string, SettingValues>; observe?: RunObserver } = {}): Promise<{ run: RunOutput; warnings: ReportWarning[] }> {
  const out = await runOnManifests({
    paths: manifests.paths,
    recursive: manifests.recursive,
    checks: opts.checks,
    namespace: opts.namespace,
    labelSelector: opts.labelSelector,
    settings: { sampleIntervalSeconds: opts.sampleIntervalSeconds, namespace: opts.namespace },
    stdin: readProcessStdin,
    ...policy,
  });
  // A flood of warnings would bury the report in a pipeline log; all of them are in the report.
  for (const w of out.warnings.slice(0, STDERR_WARNINGS)) process.stderr.write(`warning: ${sanitizeLine(w.message)}\n`);
  if (out.warnings.length > STDERR_WARNINGS) process.stderr.write(`warning: … and ${out.warnings.length - STDERR_WARNINGS} more (all are in the report's warnings with -o json)\n`);
  return { run: out.run, warnings: out.warnings };
}
