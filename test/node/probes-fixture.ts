// Raw probe samples recorded from real kernels (fixtures/probes, see collect.sh there).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawSample } from '../../src/node/probe-types.js';

export function fixture(path: string): string {
  return readFileSync(join(process.cwd(), 'fixtures/probes', path), 'utf8');
}

export const sample = (stdout: string, exitCode = 0): RawSample => ({ stdout, exitCode });
