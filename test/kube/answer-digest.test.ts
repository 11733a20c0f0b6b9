// What is made of an answer where it arrives (the request thread, or this thread without one).
import { describe, expect, it } from '@jest/globals';
import { digestAnswer } from '../../src/kube/answer-digest.js';

const raw = (body: string, status = 200) => ({ status, headers: {}, bytes: new Uint8Array(Buffer.from(body)) });
const list = (body: string) => digestAnswer(raw(body), { kind: 'list', itemLengths: false });

describe('digestAnswer', () => {
  it('reads a list page\'s continue token from its head, before the page is parsed', () => {
    expect(list('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"eyJ2IjoibWV0YSJ9"},"items":[{"a":1}]}').continueHint).toBe('eyJ2IjoibWV0YSJ9');
    expect(list('{\n  "kind": "PodList",\n  "apiVersion": "v1",\n  "metadata": { "continue": "abc" },\n  "items": []\n}').continueHint).toBe('abc');
    // The last page: no token.
    expect(list('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}').continueHint).toBe('');
  });

  it('says nothing when the head is in another form: the parsed page decides alone', () => {
    expect(list('{"items":[],"metadata":{"continue":"abc"}}').continueHint).toBeUndefined();
    expect(list('{"kind":"PodList","metadata":{"continue":7},"items":[]}').continueHint).toBeUndefined();
    expect(list('{"kind":"Pod\\"List","metadata":{"continue":"x"},"items":[]}').continueHint).toBeUndefined();
    expect(list('{"kind":"PodList","metadata":{"continue":"x",').continueHint).toBeUndefined();
    expect(list('not json').continueHint).toBeUndefined();
  });

  it('keeps the body (as text) of anything but a 200, and measures items only when asked', () => {
    expect(digestAnswer(raw('{"kind":"Status"}', 403), { kind: 'list', itemLengths: true })).toEqual({ status: 403, headers: {}, body: '{"kind":"Status"}' });
    const page = '{"kind":"PodList","metadata":{},"items":[{"a":1},{"bb":"x"}]}';
    expect(digestAnswer(raw(page), { kind: 'list', itemLengths: true }).itemLengths).toEqual([7, 10]);
    expect(list(page).itemLengths).toBeUndefined();
  });

  it('parses a kubelet answer, blanks the setting that can hold credentials, and says when it is not JSON', () => {
    const configz = digestAnswer(raw('{"kubeletconfig":{"staticPodURLHeader":{"Authorization":["Bearer s3cret"]},"maxPods":110}}'), { kind: 'kubelet', path: 'configz' });
    expect(configz.kubelet).toEqual({ value: { kubeletconfig: { staticPodURLHeader: {}, maxPods: 110 } } });
    expect(configz.body).toBeUndefined(); // the raw text, secret included, goes no further
    expect(digestAnswer(raw('{"kubeletconfig":"odd"}'), { kind: 'kubelet', path: 'configz' }).kubelet).toEqual({ value: { kubeletconfig: 'odd' } });
    expect(digestAnswer(raw('<html>'), { kind: 'kubelet', path: 'stats/summary' }).kubelet).toEqual({ notJson: true });
    expect(digestAnswer(raw('{"node":{"nodeName":"n1"},"pods":[{"huge":1}]}'), { kind: 'kubelet', path: 'stats/summary' }).kubelet).toEqual({ value: { node: { nodeName: 'n1' } } });
  });
});
