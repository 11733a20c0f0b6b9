// A check's README (checks/<id>/README.md): `explain` prints it, SARIF rules carry it as help.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function checkReadme(id: string): string | undefined {
  // Check ids are `name` or `scope/name` (external checks, which carry no README here).
  if (!/^[a-z0-9-]+$/.test(id)) return undefined;
  // dist/src/report → package root; src/report (tests) → package root.
  for (const up of ['../../..', '../..']) {
    const file = join(import.meta.dirname, up, 'checks', id, 'README.md');
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  return undefined;
}
