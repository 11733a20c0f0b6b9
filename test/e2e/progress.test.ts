// Progress goes to stderr, and only on a terminal: run the CLI under a pseudo-terminal (`script`)
// and check what a person would see there, while stdout still carries a clean report.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, ROOT } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { describeReal } from '../support/real.js';

const DEMO = join(ROOT, 'fixtures', 'demo-cluster');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describeReal('progress on a terminal', { commands: ['script', 'stty'] }, () => {
  let server: FakeApiServer;
  let tmp: string;
  let kubeconfig: string;

  beforeAll(async () => {
    server = await startFakeApiServer({ snapshotDir: DEMO, tls: true, token: 't', delayMs: 150 });
    tmp = mkdtempSync(join(tmpdir(), 'checkup-tty-'));
    kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'tty' });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs the CLI in a pty of the given width; stdout goes to a file, the pty shows stderr. */
  const inTerminal = (cols: number, args: string[]) => {
    const out = join(tmp, `out-${cols}.json`);
    const cmd = `stty cols ${cols}; ${q(BIN)} ${args.map(q).join(' ')} > ${q(out)}`;
    return execa('script', ['-qec', cmd, '/dev/null'], { reject: false, timeout: 60_000, env: { CI: undefined, NO_COLOR: '1' }, extendEnv: true })
      .then((r) => ({ screen: String(r.stdout), timedOut: r.timedOut, report: JSON.parse(readFileSync(out, 'utf8')) as { kind: string } }));
  };

  it('shows what it is listing while it works, and the report on stdout stays clean JSON', async () => {
    const r = await inTerminal(100, ['--kubeconfig', kubeconfig, '--no-ssh', '-o', 'json', '--fail-on', 'none']);
    expect(r.timedOut).toBe(false);
    // Which kinds are on screen depends on timing: each kind's first page is fetched while the one
    // before it is evaluated, so a one-page kind may pass between two spinner frames.
    expect(r.screen).toMatch(/listing [A-Z][A-Za-z]+ … \d+/);
    expect(r.report.kind).toBe('Report');
  });

  it('a terminal that reports zero columns gets no spinner (and the run ends)', async () => {
    const r = await inTerminal(0, ['--snapshot', DEMO, '--no-ssh', '-o', 'json', '--fail-on', 'none']);
    expect(r.timedOut).toBe(false);
    expect(r.screen).not.toMatch(/listing|connecting/);
    expect(r.report.kind).toBe('Report');
  });
});
