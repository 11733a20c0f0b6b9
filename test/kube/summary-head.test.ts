// Parsing only the "node" member of a kubelet Summary must give what a full parse gives for it.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { summaryHead } from '../../src/kube/summary-head.js';

describe('summaryHead', () => {
  it('returns the node member of any Summary-shaped JSON, pods unread, spaced or not', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), fc.boolean(), (node, pods, pretty) => {
      const body = JSON.stringify({ node, pods }, null, pretty ? 2 : undefined);
      expect(summaryHead(body)).toEqual({ node: JSON.parse(body).node });
    }));
  });

  it('strings with braces, brackets, quotes and backslashes do not end the node early', () => {
    const node = { nodeName: 'n}1', fs: { path: '/var/lib/"kubelet\\', tags: ['{', ']'] }, runtime: { imageFs: { capacityBytes: 1 } } };
    expect(summaryHead(JSON.stringify({ node, pods: [{ podRef: { name: '}' } }] }))).toEqual({ node });
  });

  it('anything else is left to a full parse: node not first, not an object, cut short', () => {
    expect(summaryHead(JSON.stringify({ pods: [], node: {} }))).toBeUndefined();
    expect(summaryHead(JSON.stringify({ node: [1] }))).toBeUndefined();
    expect(summaryHead('{"node":{"fs":{"capacityBytes":1}')).toBeUndefined();
    expect(summaryHead('404 page not found')).toBeUndefined();
  });
});
