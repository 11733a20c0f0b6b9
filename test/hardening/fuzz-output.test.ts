// Hostile strings in every cluster-controlled field of a report, through every output format (text,
// wide, JSON, YAML, JUnit, SARIF, Markdown, GitHub): no exception, no raw control character, no line a
// cluster string starts on its own (a forged "fix:" line, a second workflow command, a broken table
// row), each format still what its reader parses, no prototype change. Strings: random Unicode, escape sequences, every line separator, bidi
// overrides, 1 MB; evidence nested deeper than any renderer recurses.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { buildReport, type Report } from '../../src/report/model.js';
import { renderOutput, type RenderContext } from '../../src/report/write-outputs.js';
import type { Finding, Gap } from '../../src/engine/types.js';
import { expectPrototypesIntact, prototypeState } from './prototype-guard.js';

const LIMIT = { numRuns: 150, interruptAfterTimeLimit: 4000 };

/** Everything that may not reach a terminal raw (\n is the renderers' own; checked separately). */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
const SEPARATORS = ['\n', '\r', '\r\n', '\u2028', '\u2029', '\u0085', '\u000b', '\u000c', '\u001e'];
const SPECIALS = ['\u001b[2J\u001b[H', '\u001b]0;pwned\u0007', '\u009b31m', '\u202e', '\u2066', '\u200f', '\ufeff', '\u0000', '\t', '\\n'];

/** A string that tries to start a line of its own with FORGED after a separator. */
const hostile = fc.oneof(
  fc.tuple(fc.string(), fc.constantFrom(...SEPARATORS), fc.string()).map(([a, sep, b]) => `${a}${sep}FORGED ${b}`),
  fc.tuple(fc.string({ unit: 'binary' }), fc.constantFrom(...SPECIALS)).map(([a, s]) => `${a}${s}`),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
const huge = fc.constantFrom('\n'.repeat(200_000), `${'é\u001b'.repeat(500_000)}`, `a\nFORGED ${'x'.repeat(1024 * 1024)}`);

function deep(depth: number): unknown {
  let v: unknown = 'bottom\nFORGED';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { [`k${i}\nFORGED`]: v };
  return v;
}

function report(s: () => string, nFindings: number, evidenceDepth: number): Report {
  const finding = (): Finding => ({
    check: 'missing-probes', rule: s(), severity: 'critical',
    target: { kind: s(), namespace: s(), name: s(), container: s() },
    message: s(), expected: s(), actual: s(), docs: s(),
    evidence: { [s()]: s(), path: s(), list: [s(), s(), 3, null], nested: { [s()]: [s(), { [s()]: s() }] }, deep: deep(evidenceDepth) },
    remediation: { summary: s(), steps: [s(), s()] },
  });
  const gaps: Gap[] = [{ source: 'ssh', node: s(), probe: s(), reason: s() }, { source: 'api', resource: s(), reason: s() }, { source: 'ssh', node: s(), reason: s() }];
  const r = buildReport({
    cluster: { context: s(), server: s(), version: s() },
    identity: s(),
    now: new Date(0),
    results: [{ id: 'missing-probes', title: 'Workloads have probes', status: 'fail', reason: s(), durationMs: 1 }],
    findings: Array.from({ length: nFindings }, finding),
    gaps,
    nodes: { total: 3, reached: 1 },
  }, { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
  // What buildReport leaves to later stages: a manifest location, suppressions, report warnings, and
  // a check that failed with a message of the cluster's making.
  if (r.findings[0]) r.findings[0].location = { file: s(), line: 7, source: s() };
  r.suppressed = [
    { ...finding(), suppression: { by: 'annotation', reason: s(), until: s() } },
    { ...finding(), location: { file: '<stdin>', line: 1, source: s() }, suppression: { by: 'config', reason: s(), until: null } },
  ];
  r.summary.suppressed = r.suppressed.length;
  r.warnings = [{ code: s(), message: s() }, { code: 'suppression-expired', message: s() }];
  r.checks.push({ id: 'kubelet-gc', title: s(), status: 'error', reason: s(), durationMs: 1 }, { id: 'evicted-pods', title: 'Evicted pods', status: 'skip', reason: s(), durationMs: 1 });
  r.summary.checks.error++;
  r.summary.checks.skip++;
  return r;
}

/** The checks every rendering must pass. */
function expectSafe(text: string, colour: boolean): void {
  const plain = colour ? text.replace(/\u001b\[[0-9;]*m/g, '') : text;
  expect(RAW.exec(plain)?.[0]).toBeUndefined();
  for (const line of plain.split('\n')) expect(line.trimStart().startsWith('FORGED')).toBe(false);
}

function expectJsonSafe(json: string): void {
  expect(RAW.exec(json)?.[0]).toBeUndefined();
  const doc = JSON.parse(json) as unknown;
  const walk = (v: unknown): void => {
    if (typeof v === 'string') { expect(RAW.test(v) || v.includes('\n')).toBe(false); return; }
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { walk(k); walk(x); }
  };
  walk(doc);
}

const CTX: RenderContext = { text: {}, sarif: { cwd: '/repo' }, stdoutColorLevel: 0 };
const xml = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testsuite', 'testcase'].includes(name) });

/** Table cell separators in a Markdown line: `|` not escaped by a backslash. */
function pipes(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') n++;
  }
  return n;
}

/** YAML, JUnit, SARIF, Markdown and GitHub: each safe, and each still what its reader parses. */
async function expectEveryFormatSafe(r: Report): Promise<void> {
  const json = await renderOutput('json', r, CTX);
  expectJsonSafe(json);

  // YAML: the JSON document, spelled differently.
  const yaml = await renderOutput('yaml', r, CTX);
  expectSafe(yaml, false);
  expect(parseYaml(yaml, { maxAliasCount: -1 })).toEqual(JSON.parse(json));

  // JUnit: well-formed XML with one failing test case per (non-info) finding.
  const junit = await renderOutput('junit', r, CTX);
  expectSafe(junit, false);
  expect(XMLValidator.validate(junit)).toBe(true);
  const suites = (xml.parse(junit) as { testsuites: { testsuite: { testcase: { failure?: unknown }[] }[] } }).testsuites.testsuite;
  const failures = suites.flatMap((t) => t.testcase).filter((c) => c.failure !== undefined).length;
  expect(failures).toBe(r.findings.filter((f) => f.severity !== 'info').length);

  // SARIF: JSON, one result per finding (suppressed ones marked as such), nothing raw in any string.
  const sarifText = await renderOutput('sarif', r, CTX);
  expectJsonSafe(sarifText);
  const results = (JSON.parse(sarifText) as { runs: { results: { suppressions?: unknown }[] }[] }).runs[0]!.results;
  expect(results.filter((x) => !x.suppressions)).toHaveLength(r.findings.length);
  expect(results).toHaveLength(r.findings.length + r.suppressed.length);

  // Markdown: every table row stays one row with its own number of cells (summary: 6 columns, one
  // row per check; suppressed: 5 columns, one row per suppressed finding).
  const markdown = await renderOutput('markdown', r, CTX);
  expectSafe(markdown, false);
  const rows = markdown.split('\n').filter((l) => l.trimStart().startsWith('|'));
  const summaryRows = 2 + r.checks.length;
  expect(rows).toHaveLength(summaryRows + (r.suppressed.length ? 2 + r.suppressed.length : 0));
  rows.forEach((row, i) => expect(pipes(row)).toBe(i < summaryRows ? 7 : 6));

  // GitHub: exactly one workflow command per finding, each with only its own properties; every other
  // line plain log text that cannot start a command.
  const github = await renderOutput('github', r, CTX);
  expectSafe(github, false);
  const lines = github.split('\n');
  expect(lines.pop()).toBe('');
  const commands = lines.filter((l) => l.startsWith('::'));
  expect(commands).toHaveLength(r.findings.length);
  for (const c of commands) {
    const m = /^::(error|warning|notice) ([^:]*)::/.exec(c);
    expect(m).not.toBeNull();
    for (const prop of m![2]!.split(',')) expect(prop).toMatch(/^(file|line|title)=/);
  }
  for (const l of lines) if (!l.startsWith('::')) expect(l).toMatch(/^kubectl-checkup[ :]/);
}

describe('output formats with hostile cluster strings', () => {
  const before = prototypeState();

  it('text (plain and coloured), wide evidence and JSON stay one line per field, with nothing raw', () => {
    fc.assert(fc.property(fc.array(hostile, { minLength: 40, maxLength: 40 }), (strings) => {
      let i = 0;
      const r = report(() => strings[i++ % strings.length]!, 2, 5);
      expectSafe(renderText(r, { colorLevel: 0 }), false);
      expectSafe(renderText(r, { colorLevel: 3 }), true);
      expectJsonSafe(renderJson(r));
    }), LIMIT);
    expectPrototypesIntact(before);
  });

  it('yaml, junit, sarif, markdown and github: one line per field, nothing raw, each still parses as its format', async () => {
    await fc.assert(fc.asyncProperty(fc.array(hostile, { minLength: 40, maxLength: 40 }), fc.integer({ min: 0, max: 3 }), async (strings, n) => {
      let i = 0;
      await expectEveryFormatSafe(report(() => strings[i++ % strings.length]!, n, 5));
    }), LIMIT);
    expectPrototypesIntact(before);
  });

  it('1 MB strings, 200,000 newlines and evidence nested 100,000 deep: rendered, not crashed', async () => {
    await fc.assert(fc.asyncProperty(huge, async (big) => {
      // The big string in every seventh field (message, a step, a gap…): all of them would only be slow.
      let i = 0;
      const r = report(() => (i++ % 7 === 0 ? big : 'x\nFORGED'), 1, 100_000);
      const text = renderText(r, { colorLevel: 0, wide: true }); // wide: with the evidence
      expectSafe(text, false);
      expect(text).toContain('[nested too deep]');
      await expectEveryFormatSafe(r);
    }), { numRuns: 3, interruptAfterTimeLimit: 5000 });
  });

  it('a report with 300,000 findings renders (no spread of an unbounded array into a call)', () => {
    const f: Finding = { check: 'evicted-pods', rule: 'podsEvicted', severity: 'warning', target: { kind: 'Pod', namespace: 'a', name: 'p' }, message: 'm', remediation: { summary: 's' } };
    const r = buildReport({ cluster: { context: null, server: null, version: null }, identity: 'x', now: new Date(0), results: [{ id: 'evicted-pods', title: 't', status: 'fail', reason: null, durationMs: 1 }], findings: Array.from({ length: 300_000 }, () => f), gaps: [], nodes: { total: 0, reached: 0 } },
      { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    expect(renderText(r, { colorLevel: 0 }).split('\n').length).toBeGreaterThan(900_000);
  });
});
