// Manifest text → objects with exact lines, and every kind of bad or hostile document turned into a
// problem of that document alone.
import { describe, expect, it } from '@jest/globals';
import { MAX_ALIASES, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, MAX_NESTING, parseManifest } from '../../src/manifests/parse.js';

const lines = (...l: string[]) => l.join('\n') + '\n';
const located = (text: string, file = 'k8s/app.yaml') => {
  const r = parseManifest(file, text);
  return { ...r, at: r.objects.map((o) => ({ kind: o.kind, name: o.object.metadata?.name, line: o.line, source: o.source, containers: Object.fromEntries(o.containers) })) };
};

const DEPLOYMENT = lines(
  'apiVersion: apps/v1', //           +1
  'kind: Deployment', //              +2
  'metadata:', //                     +3
  '  name: web', //                   +4
  'spec:', //                         +5
  '  template:', //                   +6
  '    spec:', //                     +7
  '      initContainers:', //         +8
  '      - name: migrate', //         +9
  '        image: migrate:1', //      +10
  '      containers:', //             +11
  '      - image: web:1', //          +12
  '        name: web', //             +13  (name is not the first key)
  '      - {name: sidecar, image: s}', // +14
);

describe('lines', () => {
  it('multi-document YAML: the kind: line of each object, the name: line of each container', () => {
    const text = lines('# leading comment', '---', 'apiVersion: v1', 'metadata:', '  name: web', 'kind: Service', '---') + DEPLOYMENT
      + lines('---', '---', '', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: p, namespace: x}', 'spec:', '  containers:', '  - name: c');
    const r = located(text);
    expect(r.problems).toEqual([]);
    expect(r.at).toEqual([
      { kind: 'Service', name: 'web', line: 6, source: undefined, containers: {} },
      { kind: 'Deployment', name: 'web', line: 9, source: undefined, containers: { migrate: 16, web: 20, sidecar: 21 } },
      { kind: 'Pod', name: 'p', line: 26, source: undefined, containers: { c: 30 } },
    ]);
  });

  it('Windows line endings give the same lines', () => {
    const text = lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a}', '---', '# Source: c/templates/d.yaml') + DEPLOYMENT;
    expect(located(text.replace(/\n/g, '\r\n')).at).toEqual(located(text).at);
    expect(located(text).at[1]).toMatchObject({ line: 7, source: 'c/templates/d.yaml' });
  });

  it('JSON files, including the `kubectl get -o json` List shape', () => {
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'x' }] } } } } } },
    ] }, null, 2);
    const r = located(list, 'list.json');
    expect(r.problems).toEqual([]);
    const text = list.split('\n');
    const lineOf = (s: string, from = 0) => text.findIndex((l, i) => i >= from && l.includes(s)) + 1;
    expect(r.at).toEqual([
      { kind: 'Service', name: 'a', line: lineOf('"kind": "Service"'), source: undefined, containers: {} },
      { kind: 'CronJob', name: 'nightly', line: lineOf('"kind": "CronJob"'), source: undefined, containers: { job: lineOf('"name": "job"') } },
    ]);
    expect(r.at[1]!.line).toBeGreaterThan(1);
  });

  it('typed lists leave kind out of their items: the item takes it from the list', () => {
    const r = located(lines('apiVersion: apps/v1', 'kind: DeploymentList', 'items:', '- metadata: {name: a}', '  spec: {}', '- metadata: {name: b}'));
    expect(r.problems).toEqual([]);
    expect(r.at.map((o) => [o.kind, o.name, o.line])).toEqual([['Deployment', 'a', 4], ['Deployment', 'b', 6]]);
    expect(r.objects[0]!.object).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
  });

  it('a Helm render: the # Source: comment of each document, empty templates skipped', () => {
    const text = lines(
      '---', '# Source: shop/templates/serviceaccount.yaml', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: shop}',
      '---', '# Source: shop/templates/empty.yaml',
      '---', '# Source: shop/templates/service.yaml', 'apiVersion: v1', 'kind: Service', 'metadata:', '  name: shop',
      '---', '# Source: shop/charts/redis/templates/deploy.yaml', 'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: redis}',
      'spec: {template: {spec: {containers: [{name: redis, image: redis}]}}}',
    );
    const r = located(text, '<stdin>');
    expect(r.problems).toEqual([]);
    expect(r.ignored).toBe(1); // the ServiceAccount: no check reads it
    expect(r.at).toEqual([
      { kind: 'Service', name: 'shop', line: 11, source: 'shop/templates/service.yaml', containers: {} },
      { kind: 'Deployment', name: 'redis', line: 17, source: 'shop/charts/redis/templates/deploy.yaml', containers: { redis: 19 } },
    ]);
  });

  it('an anchor reused through an alias still gives the containers a line (the anchor\'s)', () => {
    const r = located(lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', 'x-containers: &c', '  - name: app', '    image: a', 'spec:', '  containers: *c'));
    expect(r.problems).toEqual([]);
    expect(r.at[0]!.containers).toEqual({ app: 5 });
  });
});

describe('bad documents are problems of their own, with file:line', () => {
  it('invalid YAML: the line and the parser\'s message; the documents around it still count', () => {
    const text = lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a}', '---', 'apiVersion: v1', 'kind: Service', 'metadata:', '  name: b', ' bad: [', '---', 'apiVersion: v1', 'kind: Service', 'metadata: {name: c}');
    const r = located(text);
    expect(r.at.map((o) => o.name)).toEqual(['a', 'c']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems).toEqual([{ code: 'manifest-invalid', file: 'k8s/app.yaml', line: 9, message: 'invalid YAML: All mapping items must start at the same column' }]);
  });

  it('duplicate keys are an error, not a silent last-one-wins (a second readinessProbe hides the first)', () => {
    const r = located(lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a}', 'metadata: {name: b}'));
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'manifest-invalid', line: 4, message: expect.stringMatching(/unique/) })]);
  });

  it.each([
    ['a list', lines('- a', '- b'), 'manifest-invalid', /not a Kubernetes object.*a list/],
    ['a string', lines('just text'), 'manifest-invalid', /not a Kubernetes object.*a string/],
    ['no kind', lines('apiVersion: v1', 'metadata: {name: a}'), 'manifest-invalid', /has no kind/],
    ['no apiVersion', lines('kind: Service', 'metadata: {name: a}'), 'manifest-invalid', /Service has no apiVersion/],
    ['no metadata.name', lines('apiVersion: v1', 'kind: Service', 'metadata: {generateName: a-}'), 'manifest-invalid', /Service has no metadata.name/],
    ['a typo in a built-in kind', lines('apiVersion: apps/v1', 'kind: Deploymnet', 'metadata: {name: a}'), 'manifest-unknown-kind', /Deploymnet does not exist in apps\/v1 \(did you mean Deployment\?\)/],
    ['a wrongly cased kind', lines('apiVersion: v1', 'kind: service', 'metadata: {name: a}'), 'manifest-unknown-kind', /did you mean Service\?/],
  ])('%s', (_label, text, code, message) => {
    const r = located(text);
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual([expect.objectContaining({ code, file: 'k8s/app.yaml', line: expect.any(Number), message: expect.stringMatching(message) })]);
  });

  it('a field of the wrong type: that object is a problem at its container\'s line, naming the field; the others are kept', () => {
    const r = located(DEPLOYMENT + lines(
      '---', //                           +15
      'apiVersion: apps/v1', //           +16
      'kind: Deployment', //              +17
      'metadata: {name: bad}', //         +18
      'spec:', //                         +19
      '  template:', //                   +20
      '    spec:', //                     +21
      '      containers:', //             +22
      '      - name: app', //             +23
      '        ports: "8080"', //         +24
      '---', //                           +25
      'apiVersion: v1', //                +26
      'kind: Service', //                 +27
      'metadata: {name: svc}', //         +28
      'spec: {ports: [{port: 80, targetPort: [8080]}]}', // +29
    ));
    expect(r.at.map((o) => `${o.kind}/${o.name}`)).toEqual(['Deployment/web']);
    expect(r.problems).toEqual([
      { code: 'manifest-invalid', file: 'k8s/app.yaml', line: 23, message: 'Deployment/bad: spec.template.spec.containers[app].ports is not a list; the object is not checked' },
      { code: 'manifest-invalid', file: 'k8s/app.yaml', line: 27, message: 'Service/svc: spec.ports[0].targetPort is not a number or a string; the object is not checked' },
    ]);
  });

  it('kinds of other groups (CRDs, Ingress, RBAC) are ignored, not problems', () => {
    const r = located(lines('apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata: {name: a}', '---', 'apiVersion: example.com/v1', 'kind: Deployment', 'metadata: {name: b}'));
    expect(r).toMatchObject({ objects: [], problems: [], ignored: 2 });
  });

  it('an empty stream, or one with only comments and markers, says so', () => {
    for (const text of ['', '\n\n', lines('---', '# nothing', '---', '...')]) {
      expect(parseManifest('<stdin>', text).problems).toEqual([{ code: 'manifest-empty', file: '<stdin>', message: expect.stringMatching(/no objects/) }]);
    }
  });
});

describe('unrendered templates say to render first', () => {
  it.each([
    ['a value as a template', lines('apiVersion: v1', 'kind: Service', 'metadata:', '  name: {{ .Values.name }}'), 4],
    ['a template inside a plain string', lines('apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: a}', 'spec:', '  template:', '    spec:', '      containers:', '      - image: repo/app:{{ .Values.tag }}'), 8],
    ['control flow that breaks the YAML', lines('{{- if .Values.enabled }}', 'apiVersion: v1', 'kind: Service', 'metadata: {name: a}', '{{- end }}'), 1],
  ])('%s', (_label, text, line) => {
    const r = located(text);
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual([{ code: 'manifest-template', file: 'k8s/app.yaml', line, message: expect.stringMatching(/unrendered template.*render it first: helm template .* \| kubectl checkup -f -.*kustomize/) }]);
  });

  it('quoted and block strings may hold {{ }}: alert templates and Argo parameters are data', () => {
    const r = located(lines('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: rules', '  annotations: {summary: "{{ $labels.instance }} down"}', 'data:', '  alert.tmpl: |', '    {{ define "x" }}{{ end }}'));
    expect(r.problems).toEqual([]);
    expect(r.objects).toHaveLength(1);
  });
});

describe('hostile documents end quickly with a clear result', () => {
  const quick = 5_000;

  it('a YAML bomb (aliases expanding exponentially) is refused, the document beside it still read', () => {
    let bomb = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = 'a';
    for (const n of 'bcdefghi') { bomb += `  ${n}: &${n} [${Array(9).fill('*' + prev).join(',')}]\n`; prev = n; }
    const t0 = performance.now();
    const r = located(bomb + lines('---', 'apiVersion: v1', 'kind: Service', 'metadata: {name: fine}'));
    expect(performance.now() - t0).toBeLessThan(quick);
    expect(r.at.map((o) => o.name)).toEqual(['fine']);
    expect(r.problems).toEqual([{ code: 'manifest-invalid', file: 'k8s/app.yaml', line: 1, message: expect.stringContaining(`more than ${MAX_ALIASES} alias uses`) }]);
  });

  it('a huge document is refused by size before it is parsed', () => {
    const huge = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n' + '  k: "' + 'x'.repeat(MAX_DOCUMENT_BYTES) + '"\n';
    const t0 = performance.now();
    const r = located(lines('apiVersion: v1', 'kind: Service', 'metadata: {name: fine}', '---') + huge);
    expect(performance.now() - t0).toBeLessThan(quick);
    expect(r.at.map((o) => o.name)).toEqual(['fine']);
    expect(r.problems).toEqual([{ code: 'manifest-too-large', file: 'k8s/app.yaml', line: 5, message: expect.stringMatching(/^document is 4\.0 MiB, over the 4\.0 MiB limit/) }]);
  });

  it.each([
    ['flow sequences', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: ' + '['.repeat(1_000_000) + ']'.repeat(1_000_000) + '\n'],
    ['JSON objects', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":' + '{"a":'.repeat(500_000) + '1' + '}'.repeat(500_000) + '}'],
  ])('deeply nested %s are refused before parsing', (_label, text) => {
    const t0 = performance.now();
    const r = located(text);
    expect(performance.now() - t0).toBeLessThan(quick);
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual([{ code: 'manifest-invalid', file: 'k8s/app.yaml', line: 1, message: `document nests brackets more than ${MAX_NESTING} levels deep; not read` }]);
  });

  it('deep block nesting (bounded by the size cap) ends in a problem, not a crash', () => {
    let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n';
    for (let i = 1; i < 2500; i++) text += ' '.repeat(i) + 'k:\n';
    const t0 = performance.now();
    const r = located(text);
    expect(performance.now() - t0).toBeLessThan(quick);
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'manifest-invalid', message: expect.stringMatching(/nested too deeply/) })]);
  });

  it('nesting a real object needs is fine', () => {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' }, x: JSON.parse('['.repeat(150) + ']'.repeat(150)) });
    expect(located(text).problems).toEqual([]);
  });
});

describe('kinds no check reads are skipped unparsed when they say so plainly', () => {
  it('a large CRD is ignored quickly and without complaint, even past the document cap', () => {
    const crd = lines('apiVersion: apiextensions.k8s.io/v1', 'kind: CustomResourceDefinition', 'metadata: {name: big.example.com}', 'spec:', '  x: "' + 'y'.repeat(MAX_DOCUMENT_BYTES) + '"');
    const t0 = performance.now();
    const r = located(crd + lines('---', 'apiVersion: v1', 'kind: Service', 'metadata: {name: a}'));
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(r).toMatchObject({ problems: [], ignored: 1 });
    expect(r.at.map((o) => o.name)).toEqual(['a']);
  });

  it('anything less plain is parsed: a second kind: line, a List, a typo in a read group', () => {
    // A kind: inside a string is indented (YAML allows no column-0 continuation there): still a plain Role.
    expect(located(lines('apiVersion: rbac.authorization.k8s.io/v1', 'kind: Role', 'metadata: {name: a}', 'note: "x', '  kind: Service"'))).toMatchObject({ ignored: 1, problems: [] });
    // Two top-level kind: lines: not sniffed, so the parser reports the duplicate key.
    expect(located(lines('apiVersion: rbac.authorization.k8s.io/v1', 'kind: Role', 'kind: Service', 'metadata: {name: a}')).problems)
      .toEqual([expect.objectContaining({ code: 'manifest-invalid', line: 3, message: expect.stringMatching(/unique/) })]);
    expect(located(lines('apiVersion: v1', 'kind: List', 'items:', '- {apiVersion: v1, kind: Service, metadata: {name: s}}')).at.map((o) => o.name)).toEqual(['s']);
    expect(located(lines('apiVersion: apps/v1', 'kind: Deploymnet', 'metadata: {name: a}')).problems).toHaveLength(1);
  });
});

describe('a stream of countless tiny documents', () => {
  it(`stops after ${20_000} documents with a problem saying so`, () => {
    const t0 = performance.now();
    const r = parseManifest('<stdin>', 'a: b\n---\n'.repeat(1_000_000));
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(r.problems).toHaveLength(MAX_DOCUMENTS + 1);
    expect(r.problems.at(-1)).toEqual({ code: 'manifest-too-large', file: '<stdin>', line: 2 * MAX_DOCUMENTS + 1, message: `more than ${MAX_DOCUMENTS} documents; the rest is not read` });
  }, 30_000);
});
