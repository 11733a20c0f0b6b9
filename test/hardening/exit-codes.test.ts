// An internal error is never exit 1 (1 means "findings" to a CI gate): an exception that escapes every
// handler — thrown from a callback after the report was written — exits 2 with a readable message and
// no raw escape sequence. The server URL loses its user:password@ wherever it is shown.
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
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
