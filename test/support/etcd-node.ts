// A real etcd member (Debian's etcd-server 3.4) on a test node, laid out like kubeadm's: PKI under
// /etc/kubernetes/pki/etcd (CA, server pair with client auth, healthcheck-client pair), a static pod
// manifest at /etc/kubernetes/manifests/etcd.yaml naming them, client TLS on 2379, plain-HTTP metrics
// on 127.0.0.1:2381 — all inside the node's own network namespace, so the standard ports are free.
// The member runs as a process we started (by PID) in the node's namespaces, with the manifest's flags.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestNodes } from './test-nodes.js';

const PKI = '/etc/kubernetes/pki/etcd';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface EtcdLayout {
  /** Files for TestNodeSpec.files: the PKI and the manifest. */
  files: Record<string, string>;
  flags: string[];
  /** Host directory where the certificates were made (removed by stop()). */
  dir: string;
}

/** kubeadm-like certificates and manifest for a member on `address`, with a backend quota. */
export function etcdLayout(name: string, address: string, quotaBytes: number): EtcdLayout {
  const dir = mkdtempSync(join(tmpdir(), 'checkup-etcd-'));
  const f = (n: string) => join(dir, n);
  const openssl = (...args: string[]) => { execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] }); };
  openssl('req', '-x509', ...EC, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=etcd-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (n: string, cn: string, ext: string[]) => {
    openssl('req', '-new', ...EC, '-keyout', f(`${n}.key`), '-out', f(`${n}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(f(`${n}.ext`), ext.join('\n') + '\n');
    openssl('x509', '-req', '-in', f(`${n}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${n}.ext`), '-out', f(`${n}.crt`));
  };
  // kubeadm's etcd server certificate is also a client certificate; the healthcheck client is client-only.
  leaf('server', name, [`subjectAltName=IP:127.0.0.1,IP:${address},DNS:localhost,DNS:${name}`, 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth']);
  leaf('healthcheck-client', 'kube-etcd-healthcheck-client', ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth']);
  const data = '/var/lib/etcd'; // give the node a tmpfs there (TestNodeSpec.tmpfs)
  const flags = [
    `--advertise-client-urls=https://${address}:2379`,
    `--cert-file=${PKI}/server.crt`,
    '--client-cert-auth=true',
    `--data-dir=${data}`,
    `--initial-advertise-peer-urls=http://${address}:2380`,
    `--initial-cluster=${name}=http://${address}:2380`,
    `--key-file=${PKI}/server.key`,
    `--listen-client-urls=https://127.0.0.1:2379,https://${address}:2379`,
    '--listen-metrics-urls=http://127.0.0.1:2381',
    `--listen-peer-urls=http://${address}:2380`,
    `--name=${name}`,
    `--quota-backend-bytes=${quotaBytes}`,
    '--snapshot-count=10000',
    `--trusted-ca-file=${PKI}/ca.crt`,
  ];
  const manifest = [
    'apiVersion: v1', 'kind: Pod', 'metadata:', '  annotations:', `    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://${address}:2379`,
    '  labels:', '    component: etcd', '    tier: control-plane', '  name: etcd', '  namespace: kube-system', 'spec:', '  containers:', '  - command:', '    - etcd',
    ...flags.map((x) => `    - ${x}`),
    '    image: registry.k8s.io/etcd:3.4.23-0', '    name: etcd', '  hostNetwork: true', '  priorityClassName: system-node-critical',
  ].join('\n') + '\n';
  const files: Record<string, string> = { '/etc/kubernetes/manifests/etcd.yaml': manifest };
  for (const n of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'healthcheck-client.crt', 'healthcheck-client.key']) files[`${PKI}/${n}`] = readFileSync(f(n), 'utf8');
  return { files, flags, dir };
}

export interface RunningEtcd {
  etcdctl(args: string[], input?: string): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Writes values of `valueBytes` until the db reaches `ratio` of the quota, or until etcd refuses (NOSPACE). */
  fill(opts: { quotaBytes: number; ratio?: number; valueBytes?: number }): Promise<{ dbSize: number; refused: boolean }>;
  stop(): Promise<void>;
}

/** Starts the member in the node's namespaces and waits until it is healthy. */
export async function startEtcd(nodes: TestNodes, node: string, layout: EtcdLayout): Promise<RunningEtcd> {
  const holder = nodes.node(node).holderPid;
  const child: ChildProcess = spawn('nsenter', ['-t', String(holder), '-m', '-u', '-n', '--', 'etcd', ...layout.flags, '--logger=zap', `--log-outputs=stderr`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stderr!.on('data', (c: Buffer) => { if (chunks.length < 2000) chunks.push(c); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tls = [`--cacert=${PKI}/ca.crt`, `--cert=${PKI}/healthcheck-client.crt`, `--key=${PKI}/healthcheck-client.key`, '--endpoints=https://127.0.0.1:2379'];
  const etcdctl = (args: string[], input?: string) => nodes.exec(node, ['env', 'ETCDCTL_API=3', 'etcdctl', ...tls, ...args], { input });
  const stop = async () => {
    if (child.exitCode === null && child.pid) child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 5000); })]);
    clearTimeout(timer);
    if (child.exitCode === null && child.pid) { child.kill('SIGKILL'); await exited; }
    rmSync(layout.dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await nodes.exec(node, ['curl', '-s', '--max-time', '1', 'http://127.0.0.1:2381/health']);
    if (r.stdout.includes('"health":"true"')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const text = Buffer.concat(chunks).toString('utf8').slice(-2000);
      await stop();
      throw new Error(`etcd on ${node} did not become healthy: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const dbSize = async () => {
    const r = await etcdctl(['endpoint', 'status', '-w', 'json']);
    return Number(/"dbSize":(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  };
  return {
    etcdctl,
    stop,
    async fill({ quotaBytes, ratio, valueBytes = 400_000 }) {
      // Incompressible values (etcd does not compress, but be honest anyway), given on stdin: over
      // 128 KiB an argument hits "Argument list too long" (toolchain §5).
      for (let i = 0; i < 1000; i++) {
        const value = randomText(valueBytes, i);
        const r = await etcdctl(['put', `/registry/configmaps/filler/k${i}`], value);
        if (r.exitCode !== 0) {
          if (/database space exceeded/.test(r.stderr + r.stdout)) return { dbSize: await dbSize(), refused: true };
          throw new Error(`etcdctl put failed: ${r.stderr}`);
        }
        const size = await dbSize();
        if (ratio !== undefined && size >= ratio * quotaBytes) return { dbSize: size, refused: false };
      }
      throw new Error('etcd never filled up');
    },
  };
}

function randomText(bytes: number, seed: number): string {
  let x = (seed + 1) * 2654435761;
  let s = '';
  while (s.length < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += x.toString(36);
  }
  return s.slice(0, bytes);
}
