// The CI jobs in the README, run as written: their YAML is parsed, the kubectl-checkup command of each
// job runs through sh (as the runner would) with the built CLI on PATH against the test API server,
// and the files each job uploads are checked the way GitHub and GitLab read them — SARIF through
// sarif-multitool validate, JUnit through an XML parser.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../support/cli.js';
import { serveDemoCluster } from '../support/demo-server.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The ```yaml block of the README that starts with `# <file>`. */
function job(file: string): Record<string, unknown> {
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`# ${file}\n`));
  if (!block) throw new Error(`README has no yaml block for ${file}`);
  return parseYaml(block) as Record<string, unknown>;
}

const demo = serveDemoCluster({ token: 'ci-token', context: 'ci', name: 'readme-ci' });

/** Runs a job's shell line in a fresh workspace, with `kubectl-checkup` (the built bin/) on PATH. */
async function runLine(line: string, env: Record<string, string>, workspace: string) {
  mkdirSync(workspace, { recursive: true });
  return execa('sh', ['-c', line], {
    cwd: workspace, reject: false, timeout: 60_000,
    env: { PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`, HOME: join(demo.tmp, 'home'), NO_COLOR: '1', ...env },
    extendEnv: false,
  });
}

async function sarifValidatorErrors(file: string): Promise<string[]> {
  const out = `${file}.validation`;
  const r = await execa('npx', ['--no-install', 'sarif-multitool', 'validate', file, '-o', out, '--log', 'ForceOverwrite'], { cwd: ROOT, reject: false });
  expect(r.exitCode).toBe(0);
  const log = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results?: { level?: string; ruleId: string }[] }[] };
  return (log.runs[0]!.results ?? []).filter((x) => x.level === 'error').map((x) => x.ruleId);
}

describe('the GitHub Actions job in the README', () => {
  const workflow = job('.github/workflows/checkup.yml') as { jobs: { checkup: { steps: { name?: string; run?: string; uses?: string; with?: Record<string, string> }[] } } };
  const steps = workflow.jobs.checkup.steps;
  const workspace = join(demo.tmp, 'github');
  let r: Awaited<ReturnType<typeof runLine>>;

  beforeAll(async () => {
    const runnerTemp = join(demo.tmp, 'runner-temp');
    mkdirSync(runnerTemp, { recursive: true });
    // The "kubeconfig" step as written, with the secret in its env.
    const kc = steps.find((s) => s.name === 'kubeconfig')!;
    expect((await runLine(kc.run!, { RUNNER_TEMP: runnerTemp, KUBECONFIG_YAML: readFileSync(demo.kubeconfig, 'utf8') }, workspace)).exitCode).toBe(0);
    r = await runLine(steps.find((s) => s.name === 'kubectl checkup')!.run!, { RUNNER_TEMP: runnerTemp }, workspace);
  }, 60_000);

  it('fails the gate on the demo cluster\'s critical findings, annotating them on stdout', () => {
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout).split('\n').filter((l) => l.startsWith('::error title='))).not.toHaveLength(0);
  });

  it('leaves the files the later steps upload, and the SARIF validates', async () => {
    const sarif = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!.with!.sarif_file!;
    expect(await sarifValidatorErrors(join(workspace, sarif))).toEqual([]);
    const summary = steps.find((s) => s.name === 'job summary')!.run!;
    const stepSummary = join(demo.tmp, 'step-summary.md');
    writeFileSync(stepSummary, '');
    expect((await runLine(summary, { GITHUB_STEP_SUMMARY: stepSummary }, workspace)).exitCode).toBe(0);
    expect(readFileSync(stepSummary, 'utf8')).toMatch(/^# kubectl-checkup report\n/);
  }, 60_000);
});

describe('the GitLab CI job in the README', () => {
  const pipeline = job('.gitlab-ci.yml') as { 'cluster-checkup': { script: string[]; variables: Record<string, string>; artifacts: { when: string; paths: string[]; reports: { junit: string } } } };
  const gitlab = pipeline['cluster-checkup'];
  const workspace = join(demo.tmp, 'gitlab');

  it('writes a JUnit report GitLab can read, and keeps it when the gate fails', async () => {
    expect(gitlab.artifacts.when).toBe('always');
    // GitLab gives a File variable as a path; the job maps it to KUBECONFIG.
    expect(gitlab.variables.KUBECONFIG).toBe('$KUBECONFIG_FILE');
    const line = gitlab.script.find((s) => s.startsWith('kubectl-checkup '))!;
    const r = await runLine(line, { KUBECONFIG: demo.kubeconfig }, workspace);
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toContain('SUMMARY'); // the text report in the job log
    for (const p of gitlab.artifacts.paths) expect(existsSync(join(workspace, p))).toBe(true);
    const xml = readFileSync(join(workspace, gitlab.artifacts.reports.junit), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as { testsuites: { failures: string } };
    expect(Number(doc.testsuites.failures)).toBeGreaterThan(0);
  }, 60_000);
});
