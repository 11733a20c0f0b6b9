import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version, read from package.json (dist/src/cli → the package root). */
export function toolVersion(): string {
  for (const up of ['../../..', '../..']) {
    try {
      return (JSON.parse(readFileSync(join(import.meta.dirname, up, 'package.json'), 'utf8')) as { version: string }).version;
    } catch { /* try the next layout (tests run from src/) */ }
  }
  return '0.0.0';
}
