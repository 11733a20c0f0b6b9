// An internal error is never exit 1 (1 means "findings" to a CI gate): an exception that escapes every
// handler — thrown from a callback after the report was written — exits 2 with a readable message and
// no raw escape sequence. The server URL loses its user:password@ wherever it is shown.
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/cli.js';
import { redactUrl } from '../../src/kube/kubeconfig.js';

describe('exit codes', () => {
  it('an exception escaping to the event loop exits 2, not 1, with nothing raw on stderr', async () => {
    // Preloaded into the CLI: the first write to stdout schedules a throw outside any handler.
    const preload = `data:text/javascript,${encodeURIComponent(
      "const w = process.stdout.write.bind(process.stdout); let once = false; process.stdout.write = (...a) => { if (!once) { once = true; setImmediate(() => { throw new Error('boom \\u001b[2J'); }); } return w(...a); };",
    )}`;
    const r = await execa('node', ['--import', preload, join(ROOT, 'dist', 'src', 'cli', 'main.js'), '--snapshot', join(ROOT, 'fixtures', 'demo-cluster'), '--fail-on', 'none'], { reject: false, env: { NO_COLOR: '1' }, timeout: 60_000 });
    expect(r.stderr).toMatch(/internal error \(a bug — please report it with this output\):\nError: boom \\x1b\[2J/);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.exitCode).toBe(2);
  });
});

describe('a reader that leaves early (EPIPE)', () => {
  /** Runs the CLI with its stdout pipe closed before it writes: every write gets EPIPE. */
  const runClosed = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('node', [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stderr }));
  });

  it.each([
    [['--help'], 0],
    [['list'], 0],
    // Findings at or above --fail-on still decide the exit code.
    [['--snapshot', join(ROOT, 'fixtures', 'demo-cluster'), '-o', 'json'], 1],
    [['--snapshot', join(ROOT, 'fixtures', 'demo-cluster'), '-o', 'json', '--fail-on', 'none'], 0],
  ])('%j: no internal error, exit %i', async (args, code) => {
    const r = await runClosed(args);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(code);
  }, 60_000);
});

describe('redactUrl', () => {
  it.each([
    ['https://admin:pw@host:6443', 'https://host:6443'],
    ['https://token@host/k8s/clusters/c-1', 'https://host/k8s/clusters/c-1'],
    ['https://host:6443', 'https://host:6443'],
    ['https://host:6443/', 'https://host:6443/'],
    ['http://u:p@127.0.0.1:8080/prefix/', 'http://127.0.0.1:8080/prefix/'],
    ['weird://u:p@[::1', 'weird://[::1'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
