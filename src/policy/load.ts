// The policy a run applies, from the flags: config file (§2.7), annotation suppressions (§2.8) and
// baseline (§2.9). Read before anything touches the cluster: a bad config or baseline is exit 2 at once.
import type { CheckDefinition } from '../engine/types.js';
import { readBaseline, type Baseline } from './baseline.js';
import { findConfigFile, readConfigFile, resolveConfig, type ResolvedConfig } from './config.js';

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

/** Reads and checks the config against `registry`. When plugins are loaded (from `config.plugins`),
 * call readConfigFile and resolveConfig separately with the plugins' checks in the registry. */
export function loadPolicy(flags: PolicyFlags, registry: readonly CheckDefinition[], cwd = process.cwd()): Policy {
  const file = findConfigFile(flags.config, cwd);
  const config = file !== undefined ? resolveConfig(readConfigFile(file, cwd), registry) : undefined;
  const baseline = flags.baseline !== undefined ? readBaseline(flags.baseline) : undefined;
  return { config, baseline, annotations: flags.annotationSuppressions !== false };
}
