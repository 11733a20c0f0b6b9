// SARIF through Microsoft's own validator (npx sarif-multitool validate, the npm dev dependency):
// zero errors on the demo cluster's report and on a report full of hostile strings. A broken file is
// validated too, so a validator that reports nothing cannot pass the test by accident.
// sarif-multitool 5.7.0 reports nothing at all for a file its deserializer rejects (a `level` outside
// the enum: no error, exit 0), so each file also goes through the SARIF 2.1.0 JSON schema the tool
// ships with (ajv): together they catch both kinds of mistake.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { renderSarif } from '../../src/report/sarif.js';
import type { Report } from '../../src/report/model.js';
import { ROOT, runCli } from '../support/cli.js';
import { hostileReport } from './hostile-report.js';

const tmp = mkdtempSync(join(tmpdir(), 'checkup-sarif-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface SarifLog { runs: { tool: { driver: { rules: SarifRule[] } }; results: SarifResult[]; invocations: { toolExecutionNotifications?: { level: string; message: { text: string } }[] }[] }[] }
interface SarifRule { id: string; help: { text: string; markdown: string }; helpUri?: string; shortDescription: { text: string } }
interface SarifResult {
  ruleId: string; ruleIndex: number; level: string; message: { text: string };
  locations: { physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } }; logicalLocations: { fullyQualifiedName: string }[] }[];
  partialFingerprints?: Record<string, string>;
  suppressions?: { kind: string; justification: string }[];
}

// The platform package of the tool (sarif-multitool-linux, -darwin, …) carries the schema.
const toolDir = join(ROOT, 'node_modules', '@microsoft');
const schemaFile = readdirSync(toolDir).filter((d) => d.startsWith('sarif-multitool-')).map((d) => join(toolDir, d, 'sarif-2.1.0.json')).find(existsSync)!;
const schema = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(JSON.parse(readFileSync(schemaFile, 'utf8')));

function schemaErrors(sarif: string): string[] {
  return schema(JSON.parse(sarif)) ? [] : (schema.errors ?? []).map((e) => `schema ${e.instancePath} ${e.message}`);
}

/** Errors from sarif-multitool (it exits 0 either way, so its log is read) and from the schema. */
async function validatorErrors(sarif: string, name: string): Promise<string[]> {
  return [...schemaErrors(sarif), ...await multitoolErrors(sarif, name)];
}

async function multitoolErrors(sarif: string, name: string): Promise<string[]> {
  const file = join(tmp, `${name}.sarif`);
  const out = join(tmp, `${name}.validation.sarif`);
  writeFileSync(file, sarif);
  const r = await execa('npx', ['--no-install', 'sarif-multitool', 'validate', file, '-o', out, '--log', 'ForceOverwrite'], { cwd: ROOT, reject: false });
  expect(r.exitCode).toBe(0);
  const log = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results?: { level?: string; ruleId: string; message: { arguments?: string[] } }[] }[] };
  return (log.runs[0]!.results ?? []).filter((x) => x.level === 'error').map((x) => `${x.ruleId} ${(x.message.arguments ?? []).join(' ')}`);
}

describe('SARIF of the demo cluster, from the built CLI', () => {
  let sarif: string;
  let report: Report;

  beforeAll(async () => {
    const demo = join(ROOT, 'fixtures', 'demo-cluster');
    const r = await runCli(['--snapshot', demo, '--fail-on', 'none', '-o', 'sarif']);
    expect(r.code).toBe(0);
    sarif = r.stdout;
    report = JSON.parse((await runCli(['--snapshot', demo, '--fail-on', 'none', '-o', 'json'])).stdout) as Report;
  }, 60_000);

  it('validates with zero errors', async () => {
    expect(await validatorErrors(sarif, 'demo')).toEqual([]);
  }, 60_000);

  it('has one result per finding, at the finding\'s level, under a check/rule id whose help is the check README', () => {
    const log = JSON.parse(sarif) as SarifLog;
    const run = log.runs[0]!;
    expect(run.results).toHaveLength(report.findings.length);
    const levels = { critical: 'error', warning: 'warning', info: 'note' };
    report.findings.forEach((f, i) => {
      const res = run.results[i]!;
      expect(res.ruleId).toBe(`${f.check}/${f.rule ?? f.check}`);
      expect(res.level).toBe(levels[f.severity]);
      expect(run.tool.driver.rules[res.ruleIndex]!.id).toBe(res.ruleId);
      // Without a fingerprint nothing is made up; with one it is passed through.
      expect(res.partialFingerprints).toEqual(f.fingerprint ? { 'checkupFingerprint/v1': f.fingerprint } : undefined);
      // Cluster objects have no file: a logical location Kind/namespace/name.
      expect(res.locations[0]!.physicalLocation).toBeUndefined();
      const object = `${f.target.kind}/${f.target.namespace ? `${f.target.namespace}/` : ''}${f.target.name}`;
      expect(res.locations[0]!.logicalLocations.map((l) => l.fullyQualifiedName)).toEqual(f.target.container ? [object, `${object}/${f.target.container}`] : [object]);
    });
    const ids = run.tool.driver.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const missingProbes = run.tool.driver.rules.find((r) => r.id.startsWith('missing-probes/'))!;
    expect(missingProbes.help.markdown).toBe(readFileSync(join(ROOT, 'checks', 'missing-probes', 'README.md'), 'utf8'));
    // Gaps become notifications, not results.
    expect(run.invocations[0]!.toolExecutionNotifications?.map((n) => n.message.text)).toEqual(report.gaps.map((g) => expect.stringContaining(g.reason)));
  });
});

describe('SARIF with hostile strings, manifests and suppressions', () => {
  const report = hostileReport();
  const sarif = renderSarif(report, { cwd: '/repo', checkDocs: (id) => (id === 'missing-probes' ? { title: 'Probes', description: 'Probes are set', readme: '# missing-probes\n\n## How to fix\n' } : undefined) });
  const run = (JSON.parse(sarif) as SarifLog).runs[0]!;
  const byFp = (fp: string) => run.results.find((r) => r.partialFingerprints?.['checkupFingerprint/v1'] === fp)!;

  it('validates with zero errors', async () => {
    expect(await validatorErrors(sarif, 'hostile')).toEqual([]);
  }, 60_000);

  it('points manifest findings at the repository file and line (percent-encoded), stdin findings at their Helm template', () => {
    expect(byFp('fp-4').locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'deploy/my%20app%2C%20v1%3Aprod%25.yaml' }, region: { startLine: 12 } });
    expect(byFp('fp-5').locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'chart/templates/back.yaml' } });
    expect(byFp('fp-1').locations[0]!.physicalLocation).toBeUndefined();
  });

  it('gives a rule-less finding the id check/check and no fingerprint; keeps suppressed ones as suppressed results', () => {
    const ruleless = run.results.find((r) => r.ruleId === 'evicted-pods/evicted-pods')!;
    expect(ruleless.level).toBe('note');
    expect(ruleless.partialFingerprints).toBeUndefined();
    expect(run.results).toHaveLength(report.findings.length + report.suppressed.length);
    expect(byFp('fp-6').suppressions).toEqual([expect.objectContaining({ kind: 'external', justification: expect.stringContaining('batch') })]);
    expect(byFp('fp-7').suppressions).toEqual([expect.objectContaining({ kind: 'inSource' })]);
    expect(byFp('fp-1').suppressions).toBeUndefined();
  });

  it('carries no raw control character', () => {
    expect(sarif).not.toMatch(/\\u001b|\u001b/);
    expect(byFp('fp-1').message.text).toContain('\\x1b[31mred');
  });

  it('a broken log fails the same validation (the check can fail)', async () => {
    const badIndex = JSON.parse(sarif) as SarifLog;
    badIndex.runs[0]!.results[0]!.ruleIndex = 999;
    expect(await multitoolErrors(JSON.stringify(badIndex), 'bad-index')).toEqual([expect.stringContaining('SARIF1009')]);
    const badLevel = JSON.parse(sarif) as SarifLog;
    badLevel.runs[0]!.results[1]!.level = 'critical';
    expect(schemaErrors(JSON.stringify(badLevel))).toEqual(['schema /runs/0/results/1/level must be equal to one of the allowed values']);
  }, 60_000);
});
