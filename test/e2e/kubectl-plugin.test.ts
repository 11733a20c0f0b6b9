// kubectl finds plugins as kubectl-<name> executables on PATH: prove `kubectl checkup` dispatches to
// bin/kubectl-checkup through the real kubectl.
import { expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeReal } from '../support/real.js';
import { ROOT } from '../support/cli.js';

describeReal('kubectl plugin dispatch', { commands: ['kubectl'] }, () => {
  it('`kubectl checkup --help` and `kubectl checkup list` run the plugin', async () => {
    const home = mkdtempSync(join(tmpdir(), 'checkup-plugin-'));
    try {
      const env = { PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`, HOME: home, NO_COLOR: '1' };
      const help = await execa('kubectl', ['checkup', '--help'], { env, reject: false });
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain('Usage: kubectl-checkup [flags]');
      expect(help.stdout).toContain('--fail-on <severity>');
      const list = await execa('kubectl', ['checkup', 'list'], { env, reject: false });
      expect(list.exitCode).toBe(0);
      expect(list.stdout).toMatch(/^ID\s+SEVERITY/);
      const plugins = await execa('kubectl', ['plugin', 'list'], { env, reject: false });
      expect(plugins.stdout).toContain(join(ROOT, 'bin', 'kubectl-checkup'));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
