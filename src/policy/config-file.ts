// Which config file a run reads, apart from reading it: most runs have none, and the reader (ajv,
// yaml) costs ~0.1 s to import, so config.ts is imported only when there is a file (issue 14).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_CONFIG_FILE = '.checkup.yaml';

/** --config FILE, else .checkup.yaml in the current directory when it exists, else none. */
export function findConfigFile(flag: string | undefined, cwd = process.cwd()): string | undefined {
  if (flag !== undefined) return flag;
  return existsSync(resolve(cwd, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : undefined;
}
