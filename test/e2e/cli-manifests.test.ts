// The pre-deploy gate end to end: the built CLI on folders, files and stdin, no cluster anywhere —
// exit codes, file:line in the output, warnings for bad documents, and real `kubectl kustomize`
// output piped in.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { runCli, ROOT } from '../support/cli.js';
import type { Report } from '../../src/report/model.js';

const tmp = mkdtempSync(join(tmpdir(), 'checkup-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'src', 'report', 'report.schema.json'), 'utf8')));

// Paths relative to the repository, as a pipeline passes them; the CLI runs from there.
const SHOP = relative(process.cwd(), join(ROOT, 'fixtures', 'manifests', 'shop'));
const CLEAN = relative(process.cwd(), join(ROOT, 'fixtures', 'manifests', 'clean'));
// No kubeconfig anywhere, and one that would fail if it were read: -f must not touch it.
const env = { KUBECONFIG: join(tmp, 'no-such-kubeconfig') };
const json = (stdout: string) => JSON.parse(stdout) as Report;
const write = (name: string, text: string) => {
  const path = join(tmp, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};
const lineOf = (file: string, line: RegExp) => readFileSync(file, 'utf8').split('\n').findIndex((l) => line.test(l)) + 1;

describe('a folder of manifests gates the pipeline', () => {
  it('fails (exit 1) with findings at file:line, reading subfolders with -R', async () => {
    const r = await runCli(['-f', SHOP, '-R', '--fail-on', 'warning'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('manifests, no cluster');
    const web = join(SHOP, 'web.yaml');
    expect(r.stdout).toContain(`${web}:${lineOf(web, /^\s+- name: web$/)}`);
    const ledger = join(SHOP, 'payments', 'ledger.json');
    expect(r.stdout).toContain(`${ledger}:${lineOf(ledger, /^\s+"name": "ledger",$/)}`);
    expect(r.stdout).toMatch(/\[SKIP\]\s+syn-backlog .* needs a live cluster/);
  });

  it('the JSON report: source manifests, a location on every finding, valid against the schema', async () => {
    const r = await runCli(['-f', SHOP, '-R', '-o', 'json'], { env });
    expect(r.code).toBe(1); // a critical JVM finding, at the default --fail-on critical
    const report = json(r.stdout);
    expect(validate(report)).toBe(true);
    expect(report.source).toBe('manifests');
    expect(report.warnings).toEqual([]);
    expect(report.cluster).toEqual({ context: null, server: null, version: null });
    const found = report.findings.map((f) => [f.check, f.severity, `${f.target.namespace}/${f.target.name}`, f.location]);
    expect(found).toEqual(expect.arrayContaining([
      ['jvm-container-memory', 'critical', 'payments/ledger', { file: join(SHOP, 'payments', 'ledger.json'), line: 15 }],
      ['missing-probes', 'warning', 'shop/web', { file: join(SHOP, 'web.yaml'), line: 19 }],
    ]));
    expect(report.findings.every((f) => f.location)).toBe(true);
  });

  it('without -R the subfolder is not read', async () => {
    const report = json((await runCli(['-f', SHOP, '-o', 'json', '--fail-on', 'none'], { env })).stdout);
    expect(report.findings.some((f) => f.check === 'jvm-container-memory')).toBe(false);
    expect(report.findings.some((f) => f.check === 'missing-probes')).toBe(true);
  });

  it('a clean folder passes (exit 0) even at --fail-on info', async () => {
    const r = await runCli(['-f', CLEAN, '--fail-on', 'info', '-o', 'json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(report.findings).toEqual([]);
    expect(report.checks.filter((c) => c.status === 'pass').map((c) => c.id).sort())
      .toEqual(['graceful-termination', 'grpc-load-imbalance', 'jvm-container-memory', 'missing-probes']);
  });

  it('one bad document among many is a warning (stderr and report), the rest is still judged', async () => {
    const dir = join(tmp, 'mixed');
    for (const f of ['services.yaml', 'web.yaml']) write(join('mixed', f), readFileSync(join(SHOP, f), 'utf8'));
    write('mixed/broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n');
    write('mixed/chart.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n');
    write('mixed/logo.yaml', '\u0000\u0001PNG');
    const r = await runCli(['-f', dir, '-o', 'json', '--fail-on', 'warning'], { env });
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    expect(report.warnings).toEqual([
      { code: 'manifest-invalid', message: `${dir}/broken.yaml:4: invalid YAML: Nested mappings are not allowed in compact mappings` },
      { code: 'manifest-template', message: expect.stringMatching(new RegExp(`^${dir}/chart.yaml:4: unrendered template .*render it first: helm template`)) },
      { code: 'manifest-unreadable', message: `${dir}/logo.yaml: not a text file (binary content, or not UTF-8); not read` },
    ]);
    expect(r.stderr.trim().split('\n')).toEqual(report.warnings.map((w) => `warning: ${w.message}`));
    expect(report.findings.some((f) => f.check === 'missing-probes' && f.target.name === 'web')).toBe(true);
  });
});

describe('a malformed object among good ones', () => {
  it('is a warning naming file, line and field; the valid Deployment beside it is still judged', async () => {
    const file = write('malformed/app.yaml', [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: good, namespace: shop}',
      'spec:', '  replicas: 2', '  template:', '    metadata: {labels: {app: good}}', '    spec:', '      containers:',
      '      - name: app', '        image: good:1', '        ports: [{containerPort: 8080}]',
      '---',
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: bad, namespace: shop}',
      'spec:', '  replicas: 2', '  template:', '    metadata: {labels: {app: bad}}', '    spec:', '      containers:',
      '      - name: app', '        image: bad:1', '        ports: "8080"',
      '',
    ].join('\n'));
    const r = await runCli(['-f', file, '-o', 'json', '--fail-on', 'none'], { env });
    expect(r.code).toBe(0);
    const report = json(r.stdout);
    expect(validate(report)).toBe(true);
    expect(report.warnings).toEqual([{
      code: 'manifest-invalid',
      message: `${file}:23: Deployment/bad: spec.template.spec.containers[app].ports is not a list; the object is not checked`,
    }]);
    expect(r.stderr.trim()).toBe(`warning: ${report.warnings[0]!.message}`);
    // No check failed on the bad one, and the good one got its findings (no probes) at its container.
    expect(report.checks.filter((c) => c.status === 'error')).toEqual([]);
    expect(report.findings.filter((f) => f.target.name === 'bad')).toEqual([]);
    expect(report.findings).toEqual(expect.arrayContaining([
      expect.objectContaining({ check: 'missing-probes', target: expect.objectContaining({ name: 'good' }), location: { file, line: 10 } }),
    ]));
  });
});

describe('many bad documents', () => {
  it('stderr shows the first 50 warnings and how many more; the report has them all', async () => {
    const stream = 'apiVersion: v1\nkind: Service\nmetadata: {name: fine}\n' + '---\nno: kind\n'.repeat(61);
    const r = await runCli(['-f', '-', '-o', 'json'], { env, input: stream });
    expect(r.code).toBe(0);
    expect(json(r.stdout).warnings).toHaveLength(61);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe('warning: <stdin>:5: object has no kind');
    expect(lines[50]).toBe("warning: … and 11 more (all are in the report's warnings with -o json)");
  });
});

describe('a render piped in (-f -)', () => {
  it('real kubectl kustomize output: overlay names and namespace, lines in the stream', async () => {
    write('kustomize/base/kustomization.yaml', 'resources:\n- services.yaml\n- web.yaml\n');
    write('kustomize/base/services.yaml', readFileSync(join(SHOP, 'services.yaml'), 'utf8').split('---')[0]!);
    write('kustomize/base/web.yaml', readFileSync(join(SHOP, 'web.yaml'), 'utf8'));
    const overlay = write('kustomize/prod/kustomization.yaml', 'namespace: prod\nnamePrefix: prod-\nresources:\n- ../base\n');
    const rendered = await execa('kubectl', ['kustomize', join(overlay, '..')], { env: { HOME: tmp, KUBECONFIG: env.KUBECONFIG }, timeout: 60_000 });
    expect(rendered.stdout).toContain('name: prod-web');

    const r = await runCli(['-f', '-', '-o', 'json', '--fail-on', 'warning'], { env, input: rendered.stdout });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const f = json(r.stdout).findings.find((x) => x.check === 'missing-probes')!;
    expect(f.target).toMatchObject({ kind: 'Deployment', namespace: 'prod', name: 'prod-web', container: 'web' });
    expect(f.location!.file).toBe('<stdin>');
    expect(rendered.stdout.split('\n')[f.location!.line - 1]).toMatch(/^\s+name: web$/);
  });

  it('a Helm render: the finding names the chart template from # Source:', async () => {
    const stream = [
      '---', '# Source: shop/templates/service.yaml', readFileSync(join(SHOP, 'services.yaml'), 'utf8').split('---')[0]!.trim(),
      '---', '# Source: shop/templates/deployment.yaml', readFileSync(join(SHOP, 'web.yaml'), 'utf8').trim(), '',
    ].join('\n');
    const r = await runCli(['-f', '-', '-o', 'json', '--checks', 'missing-probes'], { env, input: stream });
    const f = json(r.stdout).findings[0]!;
    expect(f.location).toEqual({ file: '<stdin>', line: stream.split('\n').findIndex((l) => l === '      - name: web') + 1, source: 'shop/templates/deployment.yaml' });
  });
});

describe('nothing to evaluate, or flags that contradict -f: exit 2 with the reason', () => {
  it.each([
    ['invalid YAML only', () => ['-f', write('only-bad.yaml', 'kind: Service\nmetadata: {name: "a}\n')], /only-bad\.yaml:3: invalid YAML: Missing closing "quote/],
    ['an unrendered chart', () => ['-f', write('tpl/deploy.yaml', '{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n')], /deploy\.yaml:1: unrendered template .*render it first/],
    ['an empty folder', () => { mkdirSync(join(tmp, 'empty', 'sub'), { recursive: true }); return ['-f', join(tmp, 'empty')]; }, /no \.yaml, \.yml or \.json files in this folder \(it has 1 subfolder: add -R to read them\)/],
    ['a path that does not exist', () => ['-f', join(tmp, 'nope.yaml')], /-f .*nope\.yaml: no such file or folder/],
    ['-f with --kubeconfig', () => ['-f', CLEAN, '--kubeconfig', 'kc'], /-f evaluates manifests without a cluster: --kubeconfig does not apply/],
    ['-f with --context', () => ['-f', CLEAN, '--context', 'prod'], /--context does not apply/],
    ['-f with --snapshot', () => ['-f', CLEAN, '--snapshot', 'snap'], /--snapshot does not apply/],
    ['-f with --save-snapshot', () => ['-f', CLEAN, '--save-snapshot', 'snap'], /--save-snapshot does not apply/],
    ['-R without -f', () => ['-R'], /-R\/--recursive reads the subfolders of folders given with -f/],
  ])('%s', async (_label, args, message) => {
    const r = await runCli(args(), { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('an empty stream on stdin', async () => {
    const r = await runCli(['-f', '-'], { env, input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to evaluate in stdin:\n\s+<stdin>: no objects in it/);
  });

  it.each([
    ['a YAML bomb', () => {
      let bomb = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
      let prev = 'a';
      for (const n of 'bcdefghijklm') { bomb += `  ${n}: &${n} [${Array(9).fill('*' + prev).join(',')}]\n`; prev = n; }
      return bomb;
    }, /alias uses — a YAML bomb/],
    ['deep nesting', () => 'x: ' + '['.repeat(2_000_000) + ']'.repeat(2_000_000), /nests brackets more than 200 levels/],
    ['a huge document', () => 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  k: ' + 'x'.repeat(20 * 1024 * 1024) + '\n', /document is 20 MiB, over the 4\.0 MiB limit/],
  ])('hostile input on stdin ends quickly: %s', async (_label, text, message) => {
    const r = await runCli(['-f', '-'], { env, input: text(), timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  }, 40_000);
});
