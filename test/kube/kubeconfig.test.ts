import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'checkup-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, current: string | null, entries: { ctx: string; cluster: string; server: string }[]): string {
  const file = join(dir, name);
  const lines = ['apiVersion: v1', 'kind: Config', current ? `current-context: ${current}` : '', 'clusters:'];
  for (const e of entries) lines.push(`- name: ${e.cluster}`, '  cluster:', `    server: ${e.server}`);
  lines.push('users:', '- name: u', '  user:', '    token: secret-token', 'contexts:');
  for (const e of entries) lines.push(`- name: ${e.ctx}`, '  context:', `    cluster: ${e.cluster}`, '    user: u');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const a = kubeconfig('a', 'first', [{ ctx: 'first', cluster: 'shared', server: 'https://a.example:6443' }, { ctx: 'shared', cluster: 'shared', server: 'https://a.example:6443' }]);
const b = kubeconfig('b', 'second', [{ ctx: 'second', cluster: 'b', server: 'https://b.example:6443' }, { ctx: 'shared', cluster: 'shared', server: 'https://b-shadow.example:6443' }]);
const noCurrent = kubeconfig('c', null, [{ ctx: 'only', cluster: 'c', server: 'https://c.example:6443' }]);

describe('loadKubeconfig (kubectl semantics)', () => {
  it('KUBECONFIG=a:b: the first file wins the current context and duplicate names, without throwing', () => {
    const kc = loadKubeconfig({}, { KUBECONFIG: `${a}:${b}`, HOME: dir });
    expect(kc.context).toBe('first');
    expect(kc.server).toBe('https://a.example:6443');
    const other = loadKubeconfig({ context: 'second' }, { KUBECONFIG: `${a}:${b}`, HOME: dir });
    expect(other.server).toBe('https://b.example:6443');
  });

  it('an unknown --context is an error naming it and the contexts that exist', () => {
    expect(() => loadKubeconfig({ kubeconfig: a, context: 'nope' })).toThrow(ConfigError);
    expect(() => loadKubeconfig({ kubeconfig: a, context: 'nope' })).toThrow(/context "nope" not found in .*\(contexts: first, shared\)/);
  });

  it('no kubeconfig at all is a clear error, never a silent localhost:8080', () => {
    expect(() => loadKubeconfig({}, { HOME: join(dir, 'empty-home') })).toThrow(/no kubeconfig found/);
  });

  it('a missing --kubeconfig file and a kubeconfig without current context are clear errors', () => {
    expect(() => loadKubeconfig({ kubeconfig: join(dir, 'missing') })).toThrow(/no such file/);
    expect(() => loadKubeconfig({ kubeconfig: noCurrent })).toThrow(/no current context .*pass --context \(contexts: only\)/);
    expect(loadKubeconfig({ kubeconfig: noCurrent, context: 'only' }).server).toBe('https://c.example:6443');
  });

  it('a file that is not YAML is named in the error', () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'clusters: [\n');
    expect(() => loadKubeconfig({ kubeconfig: bad })).toThrow(new RegExp(`kubeconfig ${bad}:`));
  });
});
