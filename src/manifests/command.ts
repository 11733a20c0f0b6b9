// The CLI side of -f: run options → a manifest run, its warnings also on stderr (a pipeline log shows
// them even when stdout is a JSON report going to a file).
import type { RunOptions } from '../cli/options.js';
import type { RunOutput } from '../engine/run.js';
import type { ReportWarning } from '../report/model.js';
import { sanitizeLine } from '../report/sanitize.js';
import { readProcessStdin } from './inputs.js';
import { runOnManifests } from './run.js';

export async function runManifestOptions(opts: RunOptions, manifests: { paths: string[]; recursive: boolean }): Promise<{ run: RunOutput; warnings: ReportWarning[] }> {
  const out = await runOnManifests({
    paths: manifests.paths,
    recursive: manifests.recursive,
    checks: opts.checks,
    namespace: opts.namespace,
    labelSelector: opts.labelSelector,
    settings: { sampleIntervalSeconds: opts.sampleIntervalSeconds, namespace: opts.namespace },
    stdin: readProcessStdin,
  });
  for (const w of out.warnings) process.stderr.write(`warning: ${sanitizeLine(w.message)}\n`);
  return { run: out.run, warnings: out.warnings };
}
