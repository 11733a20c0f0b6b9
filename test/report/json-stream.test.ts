// The streamed JSON report must be byte for byte what one JSON.stringify of the sanitised report gives.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Report } from '../../src/report/model.js';
import { renderJson, writeJson } from '../../src/report/json.js';
import { sanitizeDeep } from '../../src/report/sanitize.js';

const whole = (r: unknown) => JSON.stringify(sanitizeDeep(r), null, 2) + '\n';

describe('writeJson', () => {
  it('matches JSON.stringify of the sanitised report for any report-shaped object', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    const report = fc.record({
      apiVersion: fc.string(), summary: fc.dictionary(fc.string(), value), findings: fc.array(fc.dictionary(fc.string(), value)),
      suppressed: fc.array(value), gaps: fc.constant([]), warnings: fc.array(fc.string()), missing: fc.constant(undefined),
    });
    fc.assert(fc.property(report, (r) => { expect(renderJson(r as unknown as Report)).toBe(whole(r)); }));
  });

  it('matches it too with unsafe keys and strings, Dates, and nesting past the cut-off (elements written as they are or copied)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '\n', '\t', '\u001b', '\u2028', '\u202e', '"', '\\') });
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.constant(new Date(0)), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text, tie('v'), { maxKeys: 3 })),
    })).v;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { [`k${i}`]: deep };
    const findings = fc.array(fc.oneof(fc.dictionary(text, value, { maxKeys: 4 }), fc.constant(deep)), { maxLength: 5 });
    fc.assert(fc.property(findings, (f) => { expect(renderJson({ findings: f } as unknown as Report)).toBe(whole({ findings: f })); }),
      { seed: Number(process.env.FUZZ_SEED ?? 20261206), numRuns: 300 });
  });

  it('control characters from the cluster are made visible, in findings as elsewhere', () => {
    const r = { findings: [{ message: 'pod \u001b[31mred\u001b[0m', target: { name: 'a\u009bb' } }], cluster: { context: 'x\u0007' } };
    const out = renderJson(r as unknown as Report);
    expect(out).toBe(whole(r));
    expect(out).not.toMatch(/[\u001b\u0007\u009b]/);
  });

  it('writes a big report in chunks, never all of it at once', () => {
    const findings = Array.from({ length: 5000 }, (_, i) => ({ check: 'graceful-termination', message: `deployment app-${i} has no preStop hook`, evidence: { replicas: 15 } }));
    const chunks: string[] = [];
    writeJson({ findings } as unknown as Report, (c) => { chunks.push(c); });
    expect(chunks.join('')).toBe(whole({ findings }));
    expect(chunks.length).toBeGreaterThan(5);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(70_000);
  });
});
