// Hostile strings in every cluster-controlled field of a report, through every output format: no
// exception, no raw control character, no line a cluster string starts on its own (a forged "fix:"
// line), no prototype change. Strings: random Unicode, escape sequences, every line separator, bidi
// overrides, 1 MB; evidence nested deeper than any renderer recurses.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { buildReport, type Report } from '../../src/report/model.js';
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
  return buildReport({
    cluster: { context: s(), server: s(), version: s() },
    identity: s(),
    now: new Date(0),
    results: [{ id: 'missing-probes', title: 'Workloads have probes', status: 'fail', reason: s(), durationMs: 1 }],
    findings: Array.from({ length: nFindings }, finding),
    gaps,
    nodes: { total: 3, reached: 1 },
  }, { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
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

  it('1 MB strings, 200,000 newlines and evidence nested 100,000 deep: rendered, not crashed', () => {
    fc.assert(fc.property(huge, (big) => {
      // The big string in every seventh field (message, a step, a gap…): all of them would only be slow.
      let i = 0;
      const r = report(() => (i++ % 7 === 0 ? big : 'x\nFORGED'), 1, 100_000);
      const text = renderText(r, { colorLevel: 0, wide: true }); // wide: with the evidence
      expectSafe(text, false);
      expect(text).toContain('[nested too deep]');
      expectJsonSafe(renderJson(r));
    }), { numRuns: 3 });
  });

  it('a report with 300,000 findings renders (no spread of an unbounded array into a call)', () => {
    const f: Finding = { check: 'evicted-pods', rule: 'podsEvicted', severity: 'warning', target: { kind: 'Pod', namespace: 'a', name: 'p' }, message: 'm', remediation: { summary: 's' } };
    const r = buildReport({ cluster: { context: null, server: null, version: null }, identity: 'x', now: new Date(0), results: [{ id: 'evicted-pods', title: 't', status: 'fail', reason: null, durationMs: 1 }], findings: Array.from({ length: 300_000 }, () => f), gaps: [], nodes: { total: 0, reached: 0 } },
      { version: '0.1.0', startedAt: new Date(0), durationMs: 1 });
    expect(renderText(r, { colorLevel: 0 }).split('\n').length).toBeGreaterThan(900_000);
  });
});
