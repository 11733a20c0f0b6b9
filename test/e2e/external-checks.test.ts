// External checks end to end (DESIGN §2.11): modules in a folder outside the repository, written only
// against the public entry `kubectl-checkup/check`, loaded by the built CLI with --plugin.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Ajv } from 'ajv';
import { runCli, ROOT } from '../support/cli.js';
import type { Report } from '../../src/report/model.js';

const DEMO = join(ROOT, 'fixtures', 'demo-cluster');
const dir = mkdtempSync(join(tmpdir(), 'checkup-plugins-'));
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'src', 'report', 'report.schema.json'), 'utf8')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };

/** A check of the kind a platform team writes: every workload carries a `team` label. */
const teamLabel = write('team-label.js', `
import { defineCheck, reporter } from 'kubectl-checkup/check';
const rules = {
  noTeamLabel: {
    description: 'A Deployment has no team label.',
    message: (d) => ({ message: \`Deployment \${d.ns}/\${d.name} has no team label\`, remediation: { summary: 'Label it', steps: [\`kubectl -n \${d.ns} label deployment \${d.name} team=<owner>\`] } }),
  },
};
export default defineCheck({
  id: 'acme/team-label', title: 'Every Deployment names its owning team', severity: 'warning',
  description: 'Reads Deployments; reports those without a team label.', rules,
  needs: { api: ['Deployment'] },
  create(ctx) {
    const say = reporter(ctx, rules);
    return {
      Deployment(d) {
        if (d.metadata?.labels?.team) return;
        say('noTeamLabel', { severity: 'warning', target: { kind: 'Deployment', namespace: d.metadata.namespace, name: d.metadata.name } }, { ns: d.metadata.namespace, name: d.metadata.name });
      },
    };
  },
});
`);

const check = (id: string, body: string) => `import { defineCheck } from 'kubectl-checkup/check';
export default defineCheck({ id: '${id}', title: 'A check for the tests', severity: 'info', description: 'd',
  rules: { r: { description: 'd' } }, needs: { api: ['Node'] }, ${body} });`;
const throwing = write('throws.js', check('acme/throws', `create() { return { Node() { throw new Error('plugin bug'); } }; }`));
const noRules = write('no-rules.js', check('acme/no-rules', 'create() { return {}; }').replace("rules: { r: { description: 'd' } }, ", ''));
const builtinId = write('builtin-id.js', check('missing-probes', 'create() { return {}; }'));
const twoOfThem = write('array.js', `import { defineCheck } from 'kubectl-checkup/check';
const one = (id) => defineCheck({ id, title: 'One of two checks', severity: 'info', description: 'd', rules: { r: { description: 'd' } }, needs: { api: ['Node'] }, create: () => ({}) });
export default [one('acme/first'), one('acme/second')];`);

const demo = ['--snapshot', DEMO, '--fail-on', 'none'];

describe('external checks through the built CLI', () => {
  it('runs a check that only imports kubectl-checkup/check, in JSON and text', async () => {
    const r = await runCli([...demo, '--plugin', teamLabel, '--checks', 'acme/team-label,missing-probes', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(validate(report)).toBe(true);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([['missing-probes', 'fail'], ['acme/team-label', 'fail']]);
    const mine = report.findings.filter((f) => f.check === 'acme/team-label');
    expect(mine.length).toBeGreaterThan(5);
    expect(mine[0]).toMatchObject({ rule: 'noTeamLabel', severity: 'warning', fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(mine.map((f) => f.message)).toContain('Deployment shop/frontend has no team label');

    const text = await runCli([...demo, '--plugin', teamLabel, '--checks', 'acme/team-label']);
    expect(text.stdout).toContain('acme/team-label');
    expect(text.stdout).toContain('Deployment shop/frontend has no team label');
    // The gate counts external findings like any other.
    expect((await runCli(['--snapshot', DEMO, '--plugin', teamLabel, '--checks', 'acme/team-label', '--fail-on', 'warning'])).code).toBe(1);
  });

  it('a check that throws is status error with a warning; the run and the other checks go on', async () => {
    const r = await runCli([...demo, '--plugin', throwing, '--plugin', teamLabel, '--checks', 'acme/throws,acme/team-label', '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.checks.find((c) => c.id === 'acme/throws')).toMatchObject({ status: 'error', reason: expect.stringContaining('plugin bug') });
    expect(report.checks.find((c) => c.id === 'acme/team-label')!.status).toBe('fail');
    expect(report.warnings).toEqual([{ code: 'plugin-check-failed', message: expect.stringContaining('acme/throws: check threw: plugin bug') }]);
  });

  it.each([
    ['a check without rules', noRules, /--plugin .*no-rules\.js: check "acme\/no-rules": rules is missing/],
    ['a check that takes a built-in id', builtinId, /--plugin .*builtin-id\.js: check id "missing-probes" is already used by a built-in check/],
    ['a module that does not exist', join(dir, 'nope.js'), /--plugin .*nope\.js: no such file/],
    ['a TypeScript file', write('check.ts', 'export default {}'), /TypeScript is not loaded directly/],
    ['a package that is not installed', 'checkup-checks-nobody-installed', /no file or installed package of that name/],
  ])('refuses %s: exit 2 naming the module and the reason', async (_what, plugin, message) => {
    const r = await runCli([...demo, '--plugin', plugin]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('loads an installed package by name, ESM-only exports included, from the current folder', async () => {
    const project = join(dir, 'project');
    const pkg = join(project, 'node_modules', '@acme', 'checkup-checks');
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@acme/checkup-checks', type: 'module', exports: { '.': { import: './lib/index.js' } } }));
    writeFileSync(join(pkg, 'lib', 'index.js'), readFileSync(teamLabel, 'utf8'));
    const r = await runCli([...demo, '--plugin', '@acme/checkup-checks', '--checks', 'acme/team-label', '-o', 'json'], { cwd: project });
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as Report).checks[0]).toMatchObject({ id: 'acme/team-label', status: 'fail' });
  });

  it('refuses the same id from two modules, and loads one module named twice once', async () => {
    const copy = write('team-label-copy.js', readFileSync(teamLabel, 'utf8'));
    expect((await runCli([...demo, '--plugin', teamLabel, '--plugin', teamLabel, '--checks', 'acme/team-label'])).code).toBe(0);
    const r = await runCli([...demo, '--plugin', teamLabel, '--plugin', copy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/check id "acme\/team-label" is already used by --plugin/);
  });

  it('a module may export several checks; list and explain show external checks', async () => {
    const list = await runCli(['list', '--plugin', twoOfThem, '-o', 'json']);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { id: string; external: boolean; rules: string[] }[];
    expect(rows.filter((r) => r.external).map((r) => r.id)).toEqual(['acme/first', 'acme/second']);
    expect(rows.find((r) => r.id === 'missing-probes')!.rules).toContain('noReadinessProbe');
    const explain = await runCli(['explain', 'acme/team-label', '--plugin', teamLabel]);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('acme/team-label — Every Deployment names its owning team');
    expect(explain.stdout).toContain('noTeamLabel: A Deployment has no team label.');
    const unknown = await runCli(['explain', 'acme/team-label']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('give its module with --plugin');
  });

  it('new-check writes a check whose own tests pass against the package and which the CLI runs', async () => {
    const folder = join(dir, 'scaffold');
    const made = await runCli(['new-check', 'acme/memory-limits', '--dir', folder]);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('index.js');
    // As `npm install kubectl-checkup` would: the package, through its exports map.
    mkdirSync(join(folder, 'node_modules'));
    symlinkSync(ROOT, join(folder, 'node_modules', 'kubectl-checkup'));
    const test = await execa('node', ['--test'], { cwd: folder, reject: false });
    expect(test.exitCode).toBe(0);
    expect(String(test.stdout)).toMatch(/# pass 2/);
    const r = await runCli([...demo, '--plugin', join(folder, 'index.js'), '--checks', 'acme/memory-limits', '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.checks[0]).toMatchObject({ id: 'acme/memory-limits' });
    expect(report.findings.every((f) => f.rule === 'noMemoryLimit' && f.target.container)).toBe(true);
    // A second scaffold into the same folder would overwrite work: refused.
    expect((await runCli(['new-check', 'acme/memory-limits', '--dir', folder])).code).toBe(2);
    expect((await runCli(['new-check', 'no-scope'])).stderr).toContain('"<scope>/<name>"');
  });
});

