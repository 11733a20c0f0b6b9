// The policy a run applies, from the flags: config file (§2.7), annotation suppressions (§2.8) and
// baseline (§2.9). Read before anything touches the cluster: a bad config or baseline is exit 2 at once.
import type { CheckDefinition } from '../engine/types.js';
import { readBaseline, type Baseline } from './baseline.js';
import type { ResolvedConfig } from './config.js';
import { findConfigFile } from './config-file.js';
import { loadPlugins } from '../plugins/load.js';

export interface PolicyFlags {
  config?: string;
  baseline?: string;
  /** false with --no-annotation-suppressions. */
  annotationSuppressions?: boolean;
}

export interface Policy {
  config?: ResolvedConfig;
  baseline?: Baseline;
  annotations: boolean;
}

/** Reads the config file, loads the external checks it and --plugin name, and checks the config
 * against every check there is: a setting or suppression of a plugin's check is no typo. */
export async function loadPolicy(flags: PolicyFlags & { plugin?: string[] }, builtins: readonly CheckDefinition[], cwd = process.cwd()):
  Promise<{ policy: Policy; registry: CheckDefinition[] }> {
  const file = findConfigFile(flags.config, cwd);
  // The config reader (ajv, yaml) is imported only when there is a file to read.
  const reader = file !== undefined ? await import('./config.js') : undefined;
  const doc = reader?.readConfigFile(file!, cwd);
  const external = await loadPlugins([...(doc?.plugins ?? []), ...(flags.plugin ?? [])], builtins, cwd);
  const registry = [...builtins, ...external];
  const config = doc && reader?.resolveConfig(doc, registry);
  const baseline = flags.baseline !== undefined ? readBaseline(flags.baseline) : undefined;
  return { policy: { config, baseline, annotations: flags.annotationSuppressions !== false }, registry };
}
