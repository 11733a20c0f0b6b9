// A kubelet config file can carry credentials (staticPodURLHeader) and anything else an operator
// wrote there. Only the settings the checks read survive the kubeletConfig probe's output reduction,
// which the engine applies before anything records (snapshots) or reports the output.
import { describe, expect, it } from '@jest/globals';
import { parseKubeletConfigOutput, reduceKubeletConfigOutput } from '../../src/node/probes/kubeletConfig.js';
import { reduceNodeCollection } from '../../src/node/parse-collection.js';

const output = (file: string) => `@@ pid 42\n@@ arg --config=/var/lib/kubelet/config.yaml\n@@ file /var/lib/kubelet/config.yaml\n${file}\n@@ endfile\n@@ end\n`;

const files: [string, string][] = [
  ['YAML block', 'kind: KubeletConfiguration\nstaticPodURLHeader:\n  Authorization:\n  - Bearer SECRET\nevictionHard:\n  nodefs.available: 10%\nimageGCHighThresholdPercent: 80\n'],
  ['a blank line and a comment inside the block', 'kind: KubeletConfiguration\nstaticPodURLHeader:\n\n  # who needs this\n  Authorization:\n  - Bearer SECRET\nevictionHard:\n  nodefs.available: 10%\nimageGCHighThresholdPercent: 80\n'],
  ['quoted keys', "kind: KubeletConfiguration\n'staticPodURLHeader':\n  \"Authorization\": ['Bearer SECRET']\nevictionHard: {nodefs.available: 10%}\nimageGCHighThresholdPercent: 80\n"],
  ['JSON with } in a value', '{"kind":"KubeletConfiguration","staticPodURLHeader":{"Authorization":["Bearer SE}CRET"]},"evictionHard":{"nodefs.available":"10%"},"imageGCHighThresholdPercent":80}'],
  ['pretty JSON', '{\n  "kind": "KubeletConfiguration",\n  "staticPodURLHeader": {\n    "Authorization": [\n      "Bearer SECRET"\n    ]\n  },\n  "evictionHard": {"nodefs.available": "10%"},\n  "imageGCHighThresholdPercent": 80\n}'],
];

describe('kubeletConfig output reduction', () => {
  it.each(files)('%s: nothing but the checked settings is kept, and they parse the same', (_name, file) => {
    const raw = output(file);
    const reduced = reduceKubeletConfigOutput(raw);
    expect(reduced).not.toMatch(/SE}?CRET|staticPodURLHeader|Authorization/);
    expect(parseKubeletConfigOutput(reduced)).toEqual(parseKubeletConfigOutput(raw));
    expect(parseKubeletConfigOutput(reduced).settings).toEqual({ evictionHard: { 'nodefs.available': '10%' }, imageGCHighThresholdPercent: 80 });
    expect(reduceKubeletConfigOutput(reduced)).toBe(reduced); // idempotent: snapshots replay the same
  });

  it('an unparsable file keeps only the reason', () => {
    const raw = output('kind: KubeletConfiguration\ntoken: SECRET\n  bad: [indent');
    const reduced = reduceKubeletConfigOutput(raw);
    expect(reduced).not.toContain('SECRET');
    const parsed = parseKubeletConfigOutput(reduced);
    expect(parsed.file).toEqual({ path: '/var/lib/kubelet/config.yaml', error: expect.stringMatching(/^not valid YAML\/JSON: /) });
    expect(parsed.file).toEqual(parseKubeletConfigOutput(raw).file);
  });

  it('the engine applies it to what a node sent', () => {
    const reduced = reduceNodeCollection({ node: 'n', reached: true, intervalSeconds: 0, samples: { kubeletConfig: [{ stdout: output(files[0]![1]), exitCode: 0 }] } });
    expect(JSON.stringify(reduced)).not.toContain('SECRET');
  });
});
