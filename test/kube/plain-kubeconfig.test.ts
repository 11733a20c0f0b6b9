// The plain kubeconfig loader (no client-node at startup) must put on each request exactly what
// client-node would for the kubeconfigs it accepts, and leave everything else to the full loader.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { loadKubeconfigFast, tryPlain } from '../../src/kube/plain-kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'checkup-plain-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'certs'));
writeFileSync(join(dir, 'certs', 'ca.crt'), 'CA FROM FILE\n');
writeFileSync(join(dir, 'certs', 'client.key'), 'KEY FROM FILE\n');
const b64 = (s: string) => Buffer.from(s).toString('base64');

function file(name: string, lines: string[]): string {
  const f = join(dir, name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

const tokenCa = file('token-ca', [
  'apiVersion: v1', 'kind: Config', 'current-context: main',
  'clusters:', '- name: c', '  cluster:', '    server: https://api.example:6443', `    certificate-authority-data: ${b64('CA DATA')}`, '    tls-server-name: kubernetes',
  'users:', '- name: u', '  user:', '    token: tok-123',
  'contexts:', '- name: main', '  context:', '    cluster: c', '    user: u', '    namespace: shop',
  '- name: other', '  context:', '    cluster: c2', '    user: cert',
  'clusters2: ignored',
]);
const certs = file('certs-relative', [
  'apiVersion: v1', 'kind: Config', 'current-context: main',
  'clusters:', '- name: c', '  cluster:', '    server: https://10.0.0.1:6443', '    certificate-authority: certs/ca.crt',
  'users:', '- name: u', '  user:', `    client-certificate-data: ${b64('CERT DATA')}`, '    client-key: certs/client.key',
  'contexts:', '- name: main', '  context:', '    cluster: c', '    user: u',
]);
const insecure = file('insecure', [
  'apiVersion: v1', 'kind: Config', 'current-context: main',
  'clusters:', '- name: c', '  cluster:', '    server: https://10.0.0.2:6443', '    insecure-skip-tls-verify: true',
  'users:', '- name: u', '  user: {}',
  'contexts:', '- name: main', '  context:', '    cluster: c', '    user: u',
]);
const exec = file('exec', [
  'apiVersion: v1', 'kind: Config', 'current-context: main',
  'clusters:', '- name: c', '  cluster:', '    server: https://10.0.0.3:6443',
  'users:', '- name: u', '  user:', '    exec:', '      apiVersion: client.authentication.k8s.io/v1', '      command: /bin/true', '      interactiveMode: Never',
  'contexts:', '- name: main', '  context:', '    cluster: c', '    user: u',
]);

/** What the two loaders put on a request (the agent is compared by its TLS options). */
async function applied(kc: { applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }) {
  const o: https.RequestOptions = { headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(o);
  const agent = o.agent as https.Agent & { options: Record<string, unknown> };
  const str = (b: unknown) => (Buffer.isBuffer(b) ? b.toString() : b);
  return {
    headers: o.headers, ca: str(o.ca), cert: str(o.cert), key: str(o.key), rejectUnauthorized: o.rejectUnauthorized, servername: o.servername,
    agent: { ca: str(agent.options.ca), cert: str(agent.options.cert), key: str(agent.options.key), rejectUnauthorized: agent.options.rejectUnauthorized, servername: agent.options.servername },
  };
}

describe('plain kubeconfig loader', () => {
  it.each([['token + CA data + tls-server-name', tokenCa], ['client cert data + key file + CA file, relative paths', certs], ['insecure-skip-tls-verify, empty user', insecure]])(
    '%s: the same request options, context and server as client-node', async (_, f) => {
      const plain = tryPlain({ kubeconfig: f }, {});
      expect(plain).toBeDefined();
      const full = loadKubeconfig({ kubeconfig: f }, {});
      expect({ context: plain!.context, server: plain!.server, origin: plain!.origin }).toEqual({ context: full.context, server: full.server, origin: full.origin });
      expect(await applied(plain!.kc)).toEqual(await applied(full.kc));
    });

  it('reads what it was given: the token header, the CA from data and the key from its file', async () => {
    expect(await applied(tryPlain({ kubeconfig: tokenCa }, {})!.kc)).toMatchObject({ headers: { Authorization: 'Bearer tok-123' }, ca: 'CA DATA', servername: 'kubernetes' });
    expect(await applied(tryPlain({ kubeconfig: certs }, {})!.kc)).toMatchObject({ ca: 'CA FROM FILE\n', cert: 'CERT DATA', key: 'KEY FROM FILE\n' });
  });

  it('KUBECONFIG=a:b follows the full loader: first current context and first definition of a name win', () => {
    const env = { KUBECONFIG: `${insecure}:${tokenCa}` };
    const plain = tryPlain({}, env)!;
    const full = loadKubeconfig({}, env);
    expect([plain.context, plain.server]).toEqual([full.context, full.server]);
    expect(plain.server).toBe('https://10.0.0.2:6443');
  });

  it('leaves exec plugins, unknown contexts, broken references and missing files to the full loader', async () => {
    expect(tryPlain({ kubeconfig: exec }, {})).toBeUndefined();
    expect(tryPlain({ kubeconfig: tokenCa, context: 'nope' }, {})).toBeUndefined();
    expect(tryPlain({ kubeconfig: tokenCa, context: 'other' }, {})).toBeUndefined(); // names a cluster that does not exist
    expect(tryPlain({ kubeconfig: join(dir, 'missing') }, {})).toBeUndefined();
    // Through the fallback: client-node's KubeConfig, and the full loader's own error words.
    const viaFull = await loadKubeconfigFast({ kubeconfig: exec }, {});
    expect(viaFull.kc.constructor.name).toBe('KubeConfig');
    await expect(loadKubeconfigFast({ kubeconfig: tokenCa, context: 'nope' }, {})).rejects.toThrow('context "nope" not found');
  });
});
