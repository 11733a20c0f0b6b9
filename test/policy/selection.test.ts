// Which checks run when the config file has `checks:` and the command line has --checks/--skip.
import { describe, expect, it } from '@jest/globals';
import { CHECKS } from '../../checks/index.js';
import { selectChecks } from '../../src/cli/options.js';
import { UsageError } from '../../src/errors.js';

const ids = (only?: string, skip?: string, config?: { only?: string[]; skip?: string[] }) => selectChecks(CHECKS, only, skip, config).map((c) => c.id);
const all = CHECKS.map((c) => c.id);

describe('check selection with a config file', () => {
  it('uses the file when no flag is given', () => {
    expect(ids(undefined, undefined, { skip: ['syn-backlog'] })).toEqual(all.filter((id) => id !== 'syn-backlog'));
    expect(ids(undefined, undefined, { only: ['syn-backlog', 'kubelet-gc'], skip: ['kubelet-gc'] })).toEqual(['syn-backlog']);
  });

  it('a flag replaces the file\'s list; --checks alone also drops the file\'s skip', () => {
    expect(ids('syn-backlog', undefined, { skip: ['syn-backlog'] })).toEqual(['syn-backlog']);
    expect(ids(undefined, 'kubelet-gc', { only: ['syn-backlog', 'kubelet-gc'], skip: ['syn-backlog'] })).toEqual(['syn-backlog']);
  });

  it('nothing left to run is a usage error that mentions the file', () => {
    expect(() => ids(undefined, undefined, { only: ['syn-backlog'], skip: ['syn-backlog'] })).toThrow(UsageError);
    expect(() => ids(undefined, undefined, { only: ['syn-backlog'], skip: ['syn-backlog'] })).toThrow(/config file/);
    expect(() => ids(undefined, undefined, { only: [] })).toThrow(/config checks.only: name at least one check/);
  });
});
