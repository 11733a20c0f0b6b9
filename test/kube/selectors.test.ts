import { describe, expect, it } from '@jest/globals';
import { parseFieldSelector, parseLabelSelector, serviceSelects } from '../../src/kube/selectors.js';

const obj = (labels: Record<string, string>) => ({ metadata: { labels }, status: { phase: 'Failed' } });

describe('parseLabelSelector', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'api' }, false],
    ['app!=web', {}, true],
    ['app in (web,api),tier', { app: 'api', tier: 'x' }, true],
    ['app in (web,api),tier', { app: 'api' }, false],
    ['app notin (web)', { app: 'web' }, false],
    ['!canary', { canary: 'true' }, false],
    ['app.kubernetes.io/name=shop', { 'app.kubernetes.io/name': 'shop' }, true],
  ])('%s on %j → %s', (sel, labels, expected) => {
    expect(parseLabelSelector(sel)(obj(labels))).toBe(expected);
  });

  it('rejects what the API server would reject', () => {
    expect(() => parseLabelSelector('app in (web')).toThrow(/invalid label selector/);
    expect(() => parseLabelSelector('a b c')).toThrow(/invalid label selector/);
  });
});

describe('parseFieldSelector', () => {
  it('matches dotted paths with =, == and !=', () => {
    expect(parseFieldSelector('status.phase=Failed')(obj({}))).toBe(true);
    expect(parseFieldSelector('status.phase!=Failed')(obj({}))).toBe(false);
    expect(parseFieldSelector('status.phase==Failed,metadata.name=x')(obj({}))).toBe(false);
  });
});

describe('serviceSelects', () => {
  it('needs a non-empty selector whose every pair is in the labels', () => {
    expect(serviceSelects({ app: 'web' }, { app: 'web', tier: 'x' })).toBe(true);
    expect(serviceSelects({ app: 'web', tier: 'y' }, { app: 'web', tier: 'x' })).toBe(false);
    expect(serviceSelects({}, { app: 'web' })).toBe(false);
    expect(serviceSelects(undefined, { app: 'web' })).toBe(false);
  });
});
