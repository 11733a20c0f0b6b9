// Runs the built CLI (dist/) as a user would: a child process, its stdout, stderr and exit code.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'kubectl-checkup');

export interface CliResult { code: number; stdout: string; stderr: string }

export async function runCli(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const r = await execa(BIN, args, {
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    // A clean environment: no colour, no CI spinner decisions, no kubeconfig of the developer's.
    env: { NO_COLOR: '1', HOME: ROOT + '/nonexistent-home', KUBECONFIG: undefined, ...opts.env },
    extendEnv: true,
    stdin: 'ignore',
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
