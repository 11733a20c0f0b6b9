// The config file: shape errors name file, line and key (exit 2 via ConfigError); unknown keys and
// names are warnings with the closest known one; settings are checked against each check's specs.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { defineCheck, type CheckDefinition } from '../../src/engine/types.js';
import { findConfigFile, parseConfig, readConfigFile, resolveConfig } from '../../src/policy/config.js';
import { closest } from '../../src/policy/closest.js';
import { isExpired, parseCheckRef } from '../../src/policy/refs.js';

// The assertion keeps this compiling with and without CheckDefinition.rules (added on main).
const check = (id: string, settings?: CheckDefinition['settings'], rules?: Record<string, { description: string }>): CheckDefinition =>
  defineCheck({ id, title: 't', severity: 'warning', description: 'd', needs: {}, settings, ...(rules ? { rules } : {}), create: () => ({}) } as unknown as CheckDefinition);
const REGISTRY = [
  check('missing-probes', undefined, { noReadinessProbe: { description: 'd' }, noLivenessProbe: { description: 'd' } }),
  check('evicted-pods', { burstPerHour: { type: 'number', default: 5, min: 1, max: 100, description: 'd' }, verbose: { type: 'boolean', default: false, description: 'd' } }),
  check('acme/web'),
];

const load = (text: string) => resolveConfig(parseConfig(text, 'ci/checkup.yaml', '/repo'), REGISTRY);
const errorOf = (fn: () => unknown): string => {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(ConfigError); return (e as Error).message; }
  throw new Error('expected a ConfigError');
};

describe('config file shape', () => {
  it('reads the documented example', () => {
    const c = load(`apiVersion: checkup.k8s.io/v1
kind: Config
checks:
  skip: [missing-probes]
settings:
  evicted-pods: {burstPerHour: 10}
severity:
  missing-probes/noLivenessProbe: info
  evicted-pods: warning
plugins: [./checks-local/my-check.js, "@acme/checkup-checks"]
suppress:
  - check: missing-probes
    namespace: batch-*
    reason: batch jobs serve no traffic
    until: 2027-03-01
`);
    expect(c.warnings).toEqual([]);
    expect(c.checks).toEqual({ skip: ['missing-probes'], only: undefined });
    expect(c.settings).toEqual({ 'evicted-pods': { burstPerHour: 10 } });
    expect([...c.severity]).toEqual([['missing-probes/noLivenessProbe', 'info'], ['evicted-pods', 'warning']]);
    expect(c.plugins).toEqual(['/repo/ci/checks-local/my-check.js', '@acme/checkup-checks']);
    expect(c.suppress).toEqual([{ ref: { check: 'missing-probes' }, globs: { namespace: 'batch-*' }, reason: 'batch jobs serve no traffic', until: '2027-03-01', where: 'ci/checkup.yaml:12' }]);
  });

  it('treats an empty file as no settings at all', () => {
    expect(load('')).toMatchObject({ settings: {}, suppress: [], plugins: [], warnings: [] });
  });

  it.each([
    ['checks:\n  skip: missing-probes\n', 'ci/checkup.yaml:2: checks.skip: expected a list, got "missing-probes"'],
    ['suppress:\n  - check: missing-probes\n    reason: [a]\n', 'ci/checkup.yaml:3: suppress[0].reason: expected a string, got a list'],
    ['suppress:\n  - check: missing-probes\n', 'ci/checkup.yaml:2: suppress[0]: missing required key "reason"'],
    ['suppress:\n  - check: missing-probes\n    reason: r\n    until: next week\n', 'ci/checkup.yaml:4: suppress[0].until: expected a date YYYY-MM-DD, got "next week"'],
    ['suppress:\n  - check: missing-probes\n    reason: r\n    until: 2027-02-30\n', 'ci/checkup.yaml:4: suppress[0].until: "2027-02-30" is not a calendar date (YYYY-MM-DD)'],
    ['\n\nseverity:\n  missing-probes: high\n', 'ci/checkup.yaml:4: severity.missing-probes: expected one of critical, warning, info, got "high"'],
    ['kind: Policy\n', 'ci/checkup.yaml:1: kind: expected "Config", got "Policy"'],
    ['settings:\n  evicted-pods:\n    burstPerHour: five\n', 'ci/checkup.yaml:3: settings.evicted-pods.burstPerHour: expected a number from 1 to 100, got "five"'],
    ['settings:\n  evicted-pods:\n    burstPerHour: 0\n', 'ci/checkup.yaml:3: settings.evicted-pods.burstPerHour: expected a number from 1 to 100, got 0'],
    ['settings:\n  evicted-pods: {verbose: "yes"}\n', 'ci/checkup.yaml:2: settings.evicted-pods.verbose: expected a boolean, got "yes"'],
    ['- a\n- b\n', 'ci/checkup.yaml:1: the config file must be a mapping'],
    ['checks: {skip: [a\n', 'ci/checkup.yaml:2: not valid YAML'],
  ])('a wrong type is an error naming file, line and key: %j', (text, message) => {
    expect(errorOf(() => load(text))).toContain(message);
  });

  it('names every wrong key at once, each with its line', () => {
    const msg = errorOf(() => load('plugins: 3\nseverity:\n  evicted-pods: 2\n'));
    expect(msg.split('\n').sort()).toEqual([
      'ci/checkup.yaml:1: plugins: expected a list, got 3',
      'ci/checkup.yaml:3: severity.evicted-pods: expected one of critical, warning, info, got 2',
    ]);
  });
});

describe('unknown names are warnings with the closest known one', () => {
  it('warns on unknown keys, checks and settings and ignores them', () => {
    const c = load(`chekcs:
  skip: [missing-probes]
checks:
  skip: [missing-probe, nothing-like-it]
settings:
  evicted-pod: {burstPerHour: 3}
  evicted-pods: {burstPerHuor: 3}
severity:
  missing-probs: info
`);
    expect(c.warnings.map((w) => [w.code, w.message])).toEqual([
      ['config-unknown-key', 'ci/checkup.yaml:1: unknown key chekcs (did you mean "checks"?); it is ignored'],
      ['config-unknown-check', 'ci/checkup.yaml:4: checks.skip: unknown check "missing-probe" (did you mean "missing-probes"?); it is ignored'],
      ['config-unknown-check', 'ci/checkup.yaml:4: checks.skip: unknown check "nothing-like-it"; it is ignored'],
      ['config-unknown-key', 'ci/checkup.yaml:6: settings: unknown check "evicted-pod" (did you mean "evicted-pods"?); its settings are ignored'],
      ['config-unknown-key', 'ci/checkup.yaml:7: settings.evicted-pods: unknown setting "burstPerHuor" (did you mean "burstPerHour"?); evicted-pods has: burstPerHour, verbose; it is ignored'],
      ['config-unknown-key', 'ci/checkup.yaml:9: severity: unknown check "missing-probs" (did you mean "missing-probes"?); it is ignored'],
    ]);
    expect(c.checks.skip).toEqual([]);
    expect(c.settings).toEqual({ 'evicted-pods': {} });
    expect(c.severity.size).toBe(0);
  });

  it('warns on a rule the check does not declare, with the closest', () => {
    const c = load('severity:\n  missing-probes/noLivenesProbe: info\nsuppress:\n  - check: missing-probes/noReadiness\n    reason: r\n');
    expect(c.warnings.map((w) => w.message)).toEqual([
      'ci/checkup.yaml:2: severity: check missing-probes has no rule "noLivenesProbe" (did you mean "noLivenessProbe"?); it is ignored',
      'ci/checkup.yaml:4: suppress[0].check: check missing-probes has no rule "noReadiness" (did you mean "noReadinessProbe"?); the entry matches nothing',
    ]);
    expect(c.severity.size).toBe(0);
  });

  it('drops a suppress entry with a misspelt filter instead of letting it hide more', () => {
    const c = load('suppress:\n  - check: missing-probes\n    namespaces: batch-*\n    reason: r\n');
    expect(c.suppress).toEqual([]);
    expect(c.warnings).toEqual([{ code: 'config-unknown-key', message: 'ci/checkup.yaml:3: unknown key suppress[0].namespaces (did you mean "namespace"?); the entry is not applied' }]);
  });
});

describe('finding the file', () => {
  it('uses --config, else .checkup.yaml in the current directory, else none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkup-config-'));
    try {
      expect(findConfigFile(undefined, dir)).toBeUndefined();
      writeFileSync(join(dir, '.checkup.yaml'), 'checks: {skip: [missing-probes]}\n');
      expect(findConfigFile(undefined, dir)).toBe('.checkup.yaml');
      expect(findConfigFile('other.yaml', dir)).toBe('other.yaml');
      expect(readConfigFile('.checkup.yaml', dir).data).toEqual({ checks: { skip: ['missing-probes'] } });
      expect(errorOf(() => readConfigFile('missing.yaml', dir))).toBe('config missing.yaml: cannot read it (ENOENT)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('helpers', () => {
  it('splits check/rule against the known ids, also for <scope>/<name> checks', () => {
    const ids = REGISTRY.map((c) => c.id);
    expect(parseCheckRef('missing-probes', ids)).toEqual({ check: 'missing-probes', known: true });
    expect(parseCheckRef('missing-probes/noLivenessProbe', ids)).toEqual({ check: 'missing-probes', rule: 'noLivenessProbe', known: true });
    expect(parseCheckRef('acme/web', ids)).toEqual({ check: 'acme/web', known: true });
    expect(parseCheckRef('acme/web/slowStart', ids)).toEqual({ check: 'acme/web', rule: 'slowStart', known: true });
    expect(parseCheckRef('nope/rule', ids)).toMatchObject({ check: 'nope', rule: 'rule', known: false });
  });

  it('an until date holds through that day (UTC)', () => {
    expect(isExpired('2027-03-01', new Date('2027-03-01T23:59:59Z'))).toBe(false);
    expect(isExpired('2027-03-01', new Date('2027-03-02T00:00:00Z'))).toBe(true);
    expect(isExpired(null, new Date('2100-01-01T00:00:00Z'))).toBe(false);
  });

  it('suggests only plausible typos', () => {
    expect(closest('namespaces', ['namespace', 'name', 'kind'])).toBe('namespace');
    expect(closest('zzzzzzzz', ['namespace', 'name', 'kind'])).toBeUndefined();
  });
});
