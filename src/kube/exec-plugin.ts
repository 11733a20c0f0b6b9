// kubeconfig `exec` credential plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) run
// through client-node's ExecAuth, which spawns the plugin with no deadline and keeps all it prints.
// A plugin that hangs (waiting for a browser, a dead metadata server) would hang the run, and one that
// prints without end would fill memory. Here the spawn gets a deadline and an output cap, and the
// failure is told in words that never quote what the plugin printed (a token, half a credential).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { KubeConfig } from '@kubernetes/client-node';

export const EXEC_PLUGIN_TIMEOUT_MS = 60_000;
/** An ExecCredential is a few KB (a certificate chain at most); far more is not one. */
export const EXEC_PLUGIN_MAX_BYTES = 4 * 1024 * 1024;

interface PluginState { command?: string; killedFor?: string }

const states = new WeakMap<object, PluginState>();

type SpawnFn = (command: string, args: readonly string[] | undefined, opts: SpawnOptions) => ChildProcess;

/** Wraps the spawn of every exec authenticator of this KubeConfig (call before it is used). */
export function boundExecPlugins(kc: KubeConfig, limits: { timeoutMs?: number; maxBytes?: number } = {}): void {
  const timeoutMs = limits.timeoutMs ?? EXEC_PLUGIN_TIMEOUT_MS;
  const maxBytes = limits.maxBytes ?? EXEC_PLUGIN_MAX_BYTES;
  const state: PluginState = {};
  states.set(kc, state);
  // ExecAuth keeps its spawn function in `execFn` (a private field; the shape is checked, not assumed).
  const auths = (kc as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  for (const a of auths) {
    if (!a || typeof (a as { execFn?: unknown }).execFn !== 'function') continue;
    const bounded: SpawnFn = (command, args, opts) => {
      state.command = command;
      state.killedFor = undefined;
      const child = spawn(command, args ?? [], opts);
      const kill = (why: string) => {
        if (state.killedFor) return;
        state.killedFor = why;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => kill(`did not answer within ${timeoutMs / 1000}s`), timeoutMs);
      timer.unref();
      let bytes = 0;
      const count = (chunk: Buffer | string) => {
        bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        if (bytes > maxBytes) kill(`printed more than ${Math.round(maxBytes / 1024)} KiB`);
      };
      child.stdout?.on('data', count);
      child.stderr?.on('data', count);
      child.on('close', () => clearTimeout(timer));
      return child;
    };
    (a as { execFn: SpawnFn }).execFn = bounded;
  }
}

/** Why the credentials could not be obtained, without quoting the plugin's output. */
export function describeCredentialError(kc: object, err: unknown): string {
  const state = states.get(kc);
  const plugin = state?.command ? `the credential plugin ${JSON.stringify(state.command.slice(0, 80))}` : 'the credential plugin';
  if (state?.killedFor) return `${plugin} ${state.killedFor} and was stopped`;
  if (err instanceof SyntaxError) return `${plugin} printed something that is not an ExecCredential (not JSON)`;
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { code?: string })?.code === 'ENOENT') return `${plugin} was not found (is it installed and on PATH?)`;
  if (state?.command) {
    // ExecAuth rejects with the plugin's stderr: keep its last line, which is usually the reason.
    const last = message.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
    return `${plugin} failed${last ? `: ${last.length > 200 ? `${last.slice(0, 200)}…` : last}` : ''}`;
  }
  return message.split('\n')[0]!.slice(0, 200);
}
