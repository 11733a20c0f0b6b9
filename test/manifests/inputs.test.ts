// -f paths → texts, as kubectl reads them; and the ManifestSource's answers to the engine's lists.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { resourceInfo, type KubeObject } from '../../src/kube/resources.js';
import { MAX_INPUT_BYTES, readInputs } from '../../src/manifests/inputs.js';
import { parseManifest } from '../../src/manifests/parse.js';
import { ManifestSource } from '../../src/manifests/source.js';

const tmp = mkdtempSync(join(tmpdir(), 'checkup-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const noStdin = async () => Buffer.from('');

describe('readInputs', () => {
  const root = join(tmp, 'repo');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(root, 'b.yaml'), 'b');
  writeFileSync(join(root, 'a.yml'), 'a');
  writeFileSync(join(root, 'c.JSON'), 'c');
  writeFileSync(join(root, 'notes.txt'), 'not read');
  writeFileSync(join(root, 'sub', 'd.yaml'), 'd');
  writeFileSync(join(root, 'sub', 'deeper', 'e.yaml'), 'e');
  writeFileSync(join(root, 'bom.yaml'), '\ufeffkind: X');
  symlinkSync(join(root, 'sub', 'd.yaml'), join(root, 'link-to-file.yaml'));
  // A symlink back up the tree: following it would never end.
  symlinkSync(root, join(root, 'sub', 'loop'));

  it('a folder: its .yaml/.yml/.json files in name order; subfolders only with -R, symlinked folders never', async () => {
    const flat = await readInputs([root], false, noStdin);
    expect(flat.inputs.map((i) => i.file)).toEqual(['a.yml', 'b.yaml', 'bom.yaml', 'c.JSON', 'link-to-file.yaml'].map((f) => join(root, f)));
    const deep = await readInputs([root], true, noStdin);
    expect(deep.inputs.map((i) => i.file)).toEqual(
      ['a.yml', 'b.yaml', 'bom.yaml', 'c.JSON', 'link-to-file.yaml', 'sub/d.yaml', 'sub/deeper/e.yaml'].map((f) => join(root, f)));
    expect(deep.problems).toEqual([]);
    expect(deep.inputs.find((i) => i.file.endsWith('bom.yaml'))!.text).toBe('kind: X');
  });

  it('a file named on the command line is read whatever its extension; stdin as <stdin>', async () => {
    const r = await readInputs([join(root, 'notes.txt'), '-'], false, async () => Buffer.from('from a pipe'));
    expect(r.inputs).toEqual([{ file: join(root, 'notes.txt'), text: 'not read' }, { file: '<stdin>', text: 'from a pipe' }]);
  });

  it('stdin is read up to the size limit, over it a problem; stdin twice is a usage error', async () => {
    let limit = 0;
    const r = await readInputs(['-'], false, async (l) => { limit = l; return 'too-large'; });
    expect(limit).toBe(MAX_INPUT_BYTES);
    expect(r.problems).toEqual([{ code: 'manifest-too-large', file: '<stdin>', message: 'input is over 64 MiB; not read' }]);
    await expect(readInputs(['-', '-'], false, noStdin)).rejects.toThrow(UsageError);
  });

  it('unreadable and binary files are problems of their own', async () => {
    const dir = join(tmp, 'odd');
    mkdirSync(dir);
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a]));
    writeFileSync(join(dir, 'secret.yaml'), 'x', { mode: 0o000 });
    const r = await readInputs([dir], false, noStdin);
    expect(r.problems.map((p) => [p.code, p.file])).toEqual(expect.arrayContaining([['manifest-unreadable', join(dir, 'latin1.yaml')]]));
    // root reads any file; elsewhere a mode-000 file is a permission problem, not a crash.
    if (process.getuid?.() !== 0) expect(r.problems).toContainEqual({ code: 'manifest-unreadable', file: join(dir, 'secret.yaml'), message: 'cannot read: permission denied' });
  });
});

describe('ManifestSource', () => {
  const objects = (text: string, file = 'f.yaml') => parseManifest(file, text).objects;
  const svc = (name: string, ns?: string, labels = '{}') => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}${ns ? `, namespace: ${ns}` : ''}, labels: ${labels}}\n`;
  const list = async (source: ManifestSource, req: Partial<Parameters<ManifestSource['list']>[0]> = {}) => {
    const out: KubeObject[] = [];
    for await (const page of source.list({ info: resourceInfo('Service'), ...req })) out.push(...page);
    return out.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
  };

  it('objects without a namespace go where kubectl apply would put them: -n, else default', async () => {
    const text = svc('a') + svc('b', 'shop');
    expect(await list(new ManifestSource(objects(text)))).toEqual(['default/a', 'shop/b']);
    const withN = new ManifestSource(objects(text), 'staging');
    expect(await list(withN)).toEqual(['staging/a', 'shop/b']);
    expect(await list(withN, { namespace: 'staging' })).toEqual(['staging/a']);
  });

  it('label selectors narrow the lists like the API server does', async () => {
    const source = new ManifestSource(objects(svc('a', 'x', '{tier: web}') + svc('b', 'x', '{tier: db}')));
    expect(await list(source, { labelSelector: 'tier=db' })).toEqual(['x/b']);
  });

  it('the same object twice: the later one is checked, and the duplicate is named with both places', async () => {
    const source = new ManifestSource([...objects(svc('a', 'x'), 'one.yaml'), ...objects(svc('a', 'x'), 'two.yaml')]);
    expect(await list(source)).toEqual(['x/a']);
    expect(source.duplicates).toEqual([{ code: 'manifest-duplicate', file: 'two.yaml', line: 3, message: 'Service x/a is also in one.yaml:3; this later one is checked' }]);
    expect(source.locate({ check: 'grpc-load-imbalance', rule: 'http2PerConnectionBalancing', severity: 'warning', target: { kind: 'Service', namespace: 'x', name: 'a' }, message: '', remediation: { summary: '' } }))
      .toEqual({ file: 'two.yaml', line: 3 });
  });

  it('kubelet endpoints need a live cluster', async () => {
    await expect(new ManifestSource([]).getNodeProxy()).rejects.toMatchObject({ resource: 'nodes/proxy', reason: 'needs a live cluster' });
  });
});
