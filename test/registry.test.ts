// Keeps the registry, the check folders, their READMEs and their tests in agreement (ESLint's
// parity gate): a check cannot land without docs and a test, or drift from its folder name.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS } from '../checks/index.js';
import { BUILTIN_CHECK_IDS } from '../src/engine/types.js';
import { validateCheck } from '../src/engine/validate.js';
import { API_KINDS } from '../src/kube/resources.js';
import { PROBE_NAMES } from '../src/node/probe-names.js';
import { PROBES } from '../src/node/probes.js';

const root = join(import.meta.dirname, '..');
const folders = readdirSync(join(root, 'checks'), { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => d.name).sort();
const HEADINGS = ['## What it checks', '## Why it matters', '## How to fix', '## False positives'];

describe('check registry', () => {
  it('validates probe names against the list the registry of probes is held to', () => {
    expect([...PROBE_NAMES].sort()).toEqual(Object.keys(PROBES).sort());
    const uname = CHECKS.find((c) => (c.needs.probes ?? []).some((p) => (typeof p === 'string' ? p : p.probe) === 'uname'))!;
    const unknown = { ...uname, needs: { ...uname.needs, probes: ['nope'] } } as unknown as typeof uname;
    expect(() => validateCheck(unknown, { external: false })).toThrow(/needs an unknown probe "nope" \(known: .*uname/);
  });

  it('registers exactly the folders in checks/, sorted, each once', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(ids).toEqual(folders);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses only the contract ids (DESIGN §2.4)', () => {
    for (const c of CHECKS) expect(BUILTIN_CHECK_IDS).toContain(c.id);
  });

  describe.each(CHECKS.map((c) => [c.id, c] as const))('%s', (id, check) => {
    it('has a README with the standard headings, a test, and a complete definition', () => {
      const readme = readFileSync(join(root, 'checks', id, 'README.md'), 'utf8');
      expect(readme.startsWith(`# ${id}\n`)).toBe(true);
      let last = -1;
      for (const h of HEADINGS) {
        const at = readme.indexOf(`\n${h}\n`);
        expect(at).toBeGreaterThan(last);
        last = at;
      }
      expect(existsSync(join(root, 'test', 'checks', `${id}.test.ts`))).toBe(true);
      expect(check.title.length).toBeGreaterThan(10);
      expect(check.description.length).toBeGreaterThan(20);
      expect(['critical', 'warning', 'info']).toContain(check.severity);
    });

    it('needs only known kinds and probes', () => {
      for (const n of check.needs.api ?? []) expect(API_KINDS).toContain(typeof n === 'string' ? n : n.kind);
      for (const p of check.needs.probes ?? []) expect(Object.keys(PROBES)).toContain(typeof p === 'string' ? p : p.probe);
      expect(() => validateCheck(check, { external: false })).not.toThrow();
    });

    it('declares camelCase rules, each reported somewhere in its code and named in its README', () => {
      const code = readdirSync(join(root, 'checks', id)).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(root, 'checks', id, f), 'utf8')).join('\n');
      const readme = readFileSync(join(root, 'checks', id, 'README.md'), 'utf8');
      const rules = Object.keys(check.rules);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule).toMatch(/^[a-z][A-Za-z0-9]*$/);
        expect(code).toMatch(new RegExp(`'${rule}'`));
        expect(readme).toContain(`\`${rule}\``);
      }
    });
  });
});
