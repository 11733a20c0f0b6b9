// -f evaluates files instead of a cluster: flags that choose a cluster or a snapshot contradict it,
// and saying why beats silently ignoring one of the two.
import { UsageError } from '../errors.js';

export interface ManifestFlags {
  filename?: string[];
  recursive?: boolean;
  kubeconfig?: string;
  context?: string;
  snapshot?: string;
  saveSnapshot?: string;
}

/** The -f paths, or undefined when the run is not about manifests. Throws on contradicting flags. */
export function manifestPaths(f: ManifestFlags): { paths: string[]; recursive: boolean } | undefined {
  const paths = f.filename ?? [];
  if (!paths.length) {
    if (f.recursive) throw new UsageError('-R/--recursive reads the subfolders of folders given with -f; give -f PATH');
    return undefined;
  }
  const conflicts: [string, unknown][] = [['--kubeconfig', f.kubeconfig], ['--context', f.context], ['--snapshot', f.snapshot], ['--save-snapshot', f.saveSnapshot]];
  for (const [flag, value] of conflicts) {
    if (value !== undefined) {
      throw new UsageError(`-f evaluates manifests without a cluster: ${flag} does not apply (run once with -f for the files, once with ${flag} for the cluster)`);
    }
  }
  if (paths.some((p) => p === '')) throw new UsageError('-f: empty path');
  return { paths, recursive: Boolean(f.recursive) };
}
