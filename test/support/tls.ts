// A throwaway CA and a server certificate signed by it, made with the system openssl (toolchain §3.1).
// A separate CA (rather than one self-signed leaf) is what real clusters hand out, and it is the shape
// both Go's verifier (kubectl) and Node's accept: SANs on the leaf, CA:TRUE only on the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestCertificates(hosts: { ips?: string[]; dns?: string[] } = {}): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'checkup-tls-'));
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] }); };
  try {
    openssl('req', '-x509', ...EC, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '3650',
      '-subj', '/CN=fake-apiserver-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', '-new', ...EC, '-keyout', f('tls.key'), '-out', f('tls.csr'), '-subj', '/CN=kube-apiserver');
    const san = [...(hosts.ips ?? ['127.0.0.1']).map((ip) => `IP:${ip}`), ...(hosts.dns ?? ['localhost']).map((d) => `DNS:${d}`)];
    writeFileSync(f('ext.cnf'), [
      `subjectAltName=${san.join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
    ].join('\n') + '\n');
    openssl('x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-days', '3650', '-extfile', f('ext.cnf'), '-out', f('tls.crt'));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    caFile: f('ca.crt'),
    caPem: readFileSync(f('ca.crt'), 'utf8'),
    certPem: readFileSync(f('tls.crt'), 'utf8'),
    keyPem: readFileSync(f('tls.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
