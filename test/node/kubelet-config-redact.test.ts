// staticPodURLHeader can carry credentials: the kubeletConfig fragment blanks it on the node, so it
// never reaches a report, a snapshot or a log — in every shape a kubelet config file can have.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { REDACT_AWK } from '../../src/node/probes/kubeletConfig.js';
import yaml from 'js-yaml';

const cases: [string, string][] = [
  ['YAML block', 'kind: KubeletConfiguration\nstaticPodURLHeader:\n  Authorization:\n  - Bearer SECRET\n  X-Other: [a]\nevictionHard:\n  nodefs.available: 10%\n'],
  ['YAML flow', 'staticPodURLHeader: {Authorization: [Bearer SECRET]}\nimageGCHighThresholdPercent: 85\n'],
  ['JSON one line', '{"kind":"KubeletConfiguration","staticPodURLHeader":{"Authorization":["Bearer SECRET"]},"imageGCHighThresholdPercent":85}\n'],
  ['JSON pretty', '{\n  "kind": "KubeletConfiguration",\n  "staticPodURLHeader": {\n    "Authorization": [\n      "Bearer SECRET"\n    ]\n  },\n  "imageGCHighThresholdPercent": 85\n}\n'],
];

describe('kubeletConfig redaction', () => {
  it.each(cases)('%s: the header is gone and the rest still parses', (_name, input) => {
    const out = execFileSync('awk', [REDACT_AWK], { input, encoding: 'utf8' });
    expect(out).not.toContain('SECRET');
    const doc = yaml.load(out) as Record<string, unknown>;
    expect(doc.staticPodURLHeader).toEqual({});
    expect(doc.evictionHard ?? doc.imageGCHighThresholdPercent).toBeDefined();
  });

  it('leaves a config without the field byte for byte', () => {
    const input = 'kind: KubeletConfiguration\nevictionHard:\n  nodefs.available: 10%\n  imagefs.available: 15%\n';
    expect(execFileSync('awk', [REDACT_AWK], { input, encoding: 'utf8' })).toBe(input);
  });
});
