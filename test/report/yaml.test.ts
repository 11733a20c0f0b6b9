// -o yaml reads back as exactly the -o json document, with a YAML 1.2 reader and with a YAML 1.1
// reader (where a plain `yes`, `on`, `0777` or `1:20` would be a boolean or a number).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { parse } from 'yaml';
import { renderJson } from '../../src/report/json.js';
import { renderYaml } from '../../src/report/yaml.js';
import type { Report } from '../../src/report/model.js';
import { hostileReport } from './hostile-report.js';

const asJson = (r: Report): unknown => JSON.parse(renderJson(r));
const readBoth = (y: string) => [parse(y, { version: '1.2' }), parse(y, { version: '1.1' })];

const YAML11_LOOKALIKES = ['yes', 'No', 'ON', 'off', 'y', 'n', '1:20', '190:20:30', '0777', '0x1F', '0b101', '1_000', '.inf', '-.NaN',
  '~', 'null', 'Null', '', '2026-11-25', '2026-11-25T10:00:00Z', '2026-11-25 10:00:00', '1e3', '+12', '3.', '<<', '=', '- a', 'a: b', '#x', '|', '>', '@x', '`x`', '%TAG', '---', '...'];

describe('renderYaml', () => {
  it('parses back to the JSON document, with YAML 1.2 and 1.1 readers, hostile strings included', () => {
    const r = hostileReport();
    for (const doc of readBoth(renderYaml(r))) expect(doc).toEqual(asJson(r));
  });

  it('quotes what a YAML 1.1 reader would take for a boolean, number or time', () => {
    const r = hostileReport();
    r.findings[0]!.evidence = { v: ['yes', '1:20', '0777', '2026-11-25'], on: 'plain text' };
    const y = renderYaml(r);
    expect(y).toContain('- "yes"\n');
    expect(y).toContain('- "1:20"\n');
    expect(y).toContain('- "0777"\n');
    expect(y).toContain('"on": plain text\n');
    expect(y).toContain('startedAt: "2026-11-25T10:00:00.000Z"');
  });

  it('round-trips arbitrary strings and YAML 1.1 look-alikes as keys and values (property)', () => {
    const str = fc.oneof(fc.constantFrom(...YAML11_LOOKALIKES), fc.string(), fc.string({ unit: 'binary' }));
    fc.assert(fc.property(fc.dictionary(str, fc.oneof(str, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(str))), (evidence) => {
      const r = hostileReport();
      r.findings[0]!.evidence = evidence;
      const expected = asJson(r);
      for (const doc of readBoth(renderYaml(r))) expect(doc).toEqual(expected);
    }), { numRuns: 120 });
  });
});

// PyYAML is the YAML 1.1 reader most pipelines meet (Ansible, Python scripts). Its safe_load turns an
// unquoted `yes` into True and a timestamp into a datetime (which json.dumps then refuses).
const pyyaml = (() => {
  try {
    execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'needs python3 with PyYAML (apt-get install python3-yaml)';
  }
})();

(pyyaml && process.env.CHECKUP_REQUIRE_REAL !== '1' ? describe.skip : describe)('renderYaml read by PyYAML (YAML 1.1)', () => {
  if (pyyaml) console.warn(`PyYAML test: ${pyyaml}`);
  it('loads as the JSON document', () => {
    const r = hostileReport();
    r.findings[0]!.evidence = Object.fromEntries(YAML11_LOOKALIKES.map((s, i) => [s || 'empty', [s, `k${i}`]]));
    const out = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: renderYaml(r), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(asJson(r));
  });
});
