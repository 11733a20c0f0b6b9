import { describe, expect, it } from '@jest/globals';
import { parseFieldSelector, parseLabelSelector, SelectorIndex, serviceSelects } from '../../src/kube/selectors.js';

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

describe('SelectorIndex', () => {
  const svc = (name: string, selector: Record<string, string>) => ({ name, selector });

  it('finds exactly the Services that serviceSelects would, per namespace, in the order they were added', () => {
    const index = new SelectorIndex<ReturnType<typeof svc>>();
    const all = [
      svc('web', { app: 'web' }), svc('web-v2', { app: 'web', version: 'v2' }), svc('other', { app: 'api' }),
      svc('empty', {}), svc('tier', { tier: 'front' }), svc('proto', { constructor: 'x' }),
    ];
    for (const s of all) index.add('shop', s);
    index.add('elsewhere', svc('web-too', { app: 'web' }));
    const labelSets: Record<string, string>[] = [
      { app: 'web' }, { app: 'web', version: 'v2', tier: 'front' }, { tier: 'front', app: 'web' }, {}, { app: 'none' }, { version: 'v2' },
    ];
    for (const labels of labelSets) {
      expect(index.selecting('shop', labels).map((s) => s.name)).toEqual(all.filter((s) => serviceSelects(s.selector, labels)).map((s) => s.name));
    }
    expect(index.selecting('elsewhere', { app: 'web' }).map((s) => s.name)).toEqual(['web-too']);
    expect(index.selecting('nowhere', { app: 'web' })).toEqual([]);
  });
});
