// Secrets never reach a saved snapshot, the report or stderr: a cluster (the fake API server, TLS and a
// token) whose pods and workloads carry passwords in env values, JVM options, exec probes and probe
// headers, reached through a server URL with user:password@, is saved with the built CLI; then every
// file of the snapshot folder is searched for every secret. The snapshot still replays to the same
// findings (the redaction keeps what the checks compare). Exec credential plugins: a deadline, and
// failures that never quote what the plugin printed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { KubeApiClient } from '../../src/kube/api-client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { boundExecPlugins } from '../../src/kube/exec-plugin.js';
import { ConfigError } from '../../src/errors.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { Redactor } from '../../src/snapshot/redact.js';

const SECRETS = ['hunter2-env-secret', 'ks-secret-42', 'redis-secret-99', 'c2VjcmV0LWhlYWRlcg', 'cli-token-77', 'url-pass-55', 'tok-fake-1'];

const container = {
  name: 'app', image: 'eclipse-temurin:21',
  command: ['java', '-Xmx512m', '--db-password=cli-token-77', '-jar', 'app.jar'],
  env: [
    { name: 'DB_PASSWORD', value: 'hunter2-env-secret' },
    { name: 'JAVA_OPTS', value: '-XX:MaxRAMPercentage=75 -Djavax.net.ssl.keyStorePassword=ks-secret-42' },
    { name: 'LOG_LEVEL', value: 'debug' },
  ],
  ports: [{ containerPort: 8080 }],
  resources: { limits: { memory: '1Gi' } },
  livenessProbe: { exec: { command: ['redis-cli', '-a', 'redis-secret-99', 'ping'] } },
  readinessProbe: { exec: { command: ['redis-cli', '-a', 'redis-secret-99', 'ping'] } },
  startupProbe: { httpGet: { path: '/health', port: 8080, httpHeaders: [{ name: 'Authorization', value: 'Basic c2VjcmV0LWhlYWRlcg==' }] } },
};
const labels = { app: 'web' };
const objects = {
  Deployment: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', uid: 'd1' }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } } }],
  Pod: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', labels, uid: 'p1' }, spec: { nodeName: 'n1', containers: [container] }, status: { phase: 'Running' } }],
  Service: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } }],
};

const tmp = mkdtempSync(join(tmpdir(), 'checkup-secrets-'));
let server: FakeApiServer;
const kc = join(tmp, 'kubeconfig');
beforeAll(async () => {
  server = await startFakeApiServer({ objects: objects as never, tls: true, token: 'tok-fake-1' });
  server.writeKubeconfig(kc, { context: 'prod' });
  // Basic-auth credentials in the server URL: used for the request, never shown or saved.
  writeFileSync(kc, readFileSync(kc, 'utf8').replace(/server: "https:\/\/(127\.0\.0\.1:\d+)"/, 'server: "https://admin:url-pass-55@$1"'));
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('secrets', () => {
  it('a saved snapshot holds none of them (grep every file), and the report and stderr neither', async () => {
    const snap = join(tmp, 'snap');
    const checks = ['--checks', 'missing-probes,jvm-container-memory', '--no-ssh', '--fail-on', 'none', '-o', 'json'];
    const live = await runCli(['--kubeconfig', kc, ...checks, '--save-snapshot', snap]);
    expect(live.stderr).not.toMatch(/error/);
    expect(live.code).toBe(0);
    const files = allFiles(snap);
    expect(files.some((f) => f.endsWith('Pod.jsonl'))).toBe(true);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const s of SECRETS) expect({ file, found: text.includes(s) ? s : null }).toEqual({ file, found: null });
    }
    for (const s of SECRETS) {
      expect(live.stdout).not.toContain(s);
      expect(live.stderr).not.toContain(s);
    }
    // What is not secret stays, and the redacted values say that they were.
    const pods = readFileSync(join(snap, 'api', 'Pod.jsonl'), 'utf8');
    expect(pods).toContain('"value":"debug"');
    expect(pods).toContain('-XX:MaxRAMPercentage=75 -Djavax.net.ssl.keyStorePassword=<redacted:');
    expect(pods).toContain('"command":["redis-cli","<redacted:');
    const meta = JSON.parse(readFileSync(join(snap, 'snapshot.json'), 'utf8'));
    expect(meta.cluster.server).toBe(server.url);
    expect(JSON.parse(live.stdout).cluster.server).toBe(server.url);

    // The replay judges the same: the checks that compare probes and read heap flags still can.
    const replay = await runCli(['--snapshot', snap, ...checks]);
    const strip = (doc: { findings: { check: string; rule?: string; target: unknown; message: string; severity: string }[] }) =>
      doc.findings.map((f) => ({ check: f.check, rule: f.rule, target: f.target, message: f.message, severity: f.severity }));
    const liveFindings = strip(JSON.parse(live.stdout));
    expect(liveFindings.length).toBeGreaterThan(0);
    expect(strip(JSON.parse(replay.stdout))).toEqual(liveFindings);
  });

  it('the text report header shows the server without user:password@', async () => {
    const r = await runCli(['--kubeconfig', kc, '--checks', 'missing-probes', '--no-ssh', '--fail-on', 'none']);
    expect(r.stdout.split('\n')[0]).toContain(`context prod (${server.url})`);
    expect(r.stdout).not.toContain('url-pass-55');
  });
});

describe('exec credential plugins', () => {
  const plugin = (name: string, body: string) => {
    const path = join(tmp, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    const file = join(tmp, `kc-${name}`);
    writeFileSync(file, readFileSync(kc, 'utf8').replace(/users:[\s\S]*?contexts:/, [
      'users:', '- name: "fake-user"', '  user:', '    exec:', '      apiVersion: client.authentication.k8s.io/v1', `      command: ${JSON.stringify(path)}`, '      interactiveMode: Never', 'contexts:',
    ].join('\n')));
    return file;
  };

  it('a plugin that hangs is stopped at its deadline: one clear error, the process gone', async () => {
    const pidFile = join(tmp, 'plugin.pid');
    const cfg = loadKubeconfig({ kubeconfig: plugin('hang', `echo $$ > ${pidFile}; exec sleep 600`) });
    boundExecPlugins(cfg.kc as KubeConfig, { timeoutMs: 1500 });
    const t0 = Date.now();
    const err = await new KubeApiClient(cfg, { requestTimeoutMs: 5000 }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/credential plugin ".*hang" did not answer within 1\.5s and was stopped/);
    expect(Date.now() - t0).toBeLessThan(8000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow(); // killed, not left behind
  });

  it('a plugin that prints something else than an ExecCredential: the error does not quote it', async () => {
    const cfg = loadKubeconfig({ kubeconfig: plugin('garbage', 'echo "tok-fake-1 not json at all"') });
    const err = await new KubeApiClient(cfg, { requestTimeoutMs: 5000 }).open().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/printed something that is not an ExecCredential \(not JSON\)/);
    expect((err as Error).message).not.toContain('tok-fake-1');
  });

  it('a plugin that fails: its last stderr line, without escape sequences, through the CLI', async () => {
    const file = plugin('fails', "printf 'progress\\n\\033[31mlogin required: run sso login\\033[0m\\n' >&2; exit 1");
    const r = await runCli(['--kubeconfig', file, '--no-ssh', '--checks', 'missing-probes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/credential plugin ".*fails" failed: \\x1b\[31mlogin required: run sso login\\x1b\[0m/);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr).not.toContain('progress');
    expect(statSync(file).isFile()).toBe(true);
  });
});

describe('redaction of hostile env values', () => {
  it('runs in linear time on megabyte values built to make a pattern backtrack', () => {
    const r = new Redactor();
    for (const text of ['password'.repeat(130_000), `${'xpassword'.padEnd(60, 'a')}`.repeat(17_000), `${'a'.repeat(1_000_000)}=`, `token=${'"'.repeat(500_000)}`]) {
      const t0 = performance.now();
      const out = r.inline(text);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(typeof out).toBe('string');
    }
    expect(r.inline('--db-password="a b" -Xmx1g')).toMatch(/^--db-password=<redacted:[0-9a-f]{8}> -Xmx1g$/);
  });
});
