// One SSH session to one node through the system OpenSSH client (DESIGN §3.4), so users get their
// ~/.ssh/config, agent, bastions and known_hosts. The script goes on stdin to `sh -s`; the remote
// command line is fixed text, never built from cluster data (check-facts §0.4).
import { execa } from 'execa';

/** The CLI maps its --ssh-* flags onto these 1:1. Unset means "not passed": the user's ssh config decides. */
export interface SshOptions {
  user?: string;
  identity?: string;
  port?: number;
  configFile?: string;
  /** KEY=VALUE, each passed as -o. */
  options?: string[];
  jump?: string;
  sudo?: boolean;
  address?: 'internal-ip' | 'external-ip' | 'hostname' | 'name';
  /** Sessions at work at once (default 16): handshake, login and probes. A session sleeping out the
   * sample interval on its node no longer counts (src/node/ssh-source.ts). */
  concurrency?: number;
  /** Per node, not counting the sample interval (default 30). */
  nodeTimeoutSeconds?: number;
  sampleIntervalSeconds?: number;
}

export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_NODE_TIMEOUT_SECONDS = 30;
/** What one node may send back. Probe output is a few hundred KB (the kernel log is cut to 500 lines);
 * a node sending more is broken or hostile, and 16 of them at once must not fill the memory. */
export const MAX_NODE_OUTPUT_BYTES = 32 * 1024 * 1024;
const MAX_STDERR_BYTES = 1024 * 1024;
/** Connecting is a small part of a node's budget; a dead host should not use all of it. */
const MAX_CONNECT_TIMEOUT_SECONDS = 10;

export interface SessionResult {
  stdout: string;
  /** Undefined when the session was killed. */
  exitCode: number | undefined;
  /** Human reason when ssh or the remote shell failed; null when the remote script ran to its end. */
  failure: string | null;
  timedOut: boolean;
}

/** Why an address cannot be given to ssh, or null. An address comes from the cluster: it must stay
 * a destination, never become an option (`-oProxyCommand=…`), a user (`x@host`) or a second argument. */
export function unsafeDestination(host: string): string | null {
  if (host.length === 0) return 'empty address';
  if (host.length > 253) return 'address too long';
  if (host.startsWith('-')) return 'address starts with "-"';
  if (!/^[A-Za-z0-9._:-]+$/.test(host)) return 'address contains characters not allowed in a host name or IP';
  return null;
}

export function connectTimeoutSeconds(opts: SshOptions): number {
  return Math.max(1, Math.min(MAX_CONNECT_TIMEOUT_SECONDS, Math.ceil(opts.nodeTimeoutSeconds ?? DEFAULT_NODE_TIMEOUT_SECONDS)));
}

/** The ssh argv for one session. For -o, ssh keeps the first value it sees: BatchMode goes first so
 * nothing can make ssh prompt; the user's -o come before our defaults so theirs win. */
export function sshArgs(host: string, opts: SshOptions): string[] {
  const problem = unsafeDestination(host);
  if (problem) throw new Error(`unsafe ssh destination ${JSON.stringify(host)}: ${problem}`);
  const args = ['-T', '-o', 'BatchMode=yes'];
  if (opts.configFile !== undefined) args.push('-F', opts.configFile);
  if (opts.user !== undefined) args.push('-l', opts.user);
  if (opts.identity !== undefined) args.push('-i', opts.identity);
  if (opts.port !== undefined) args.push('-p', String(opts.port));
  if (opts.jump !== undefined) args.push('-J', opts.jump);
  for (const o of opts.options ?? []) args.push('-o', o);
  // LogLevel ERROR keeps the messages the failure mapping reads (a config with QUIET would hide them).
  args.push('-o', `ConnectTimeout=${connectTimeoutSeconds(opts)}`, '-o', 'LogLevel=ERROR');
  // `--` ends ssh's options: without it ssh parses options after the destination too.
  args.push('--', host, opts.sudo ? 'sudo -n sh -s' : 'sh -s');
  return args;
}

/** Runs the script on the host. Never throws for ssh or remote failures: they come back as `failure`. */
export async function runSshSession(host: string, script: string, opts: SshOptions & {
  /** Whole session budget in seconds (node timeout + sample interval). */
  timeoutSeconds: number;
  /** Marker the script prints last: its presence means the remote side ran to the end. */
  doneMarker?: string;
  /** A marker line the script prints, and what to call once it arrived (the SSH source: the script
   * is sleeping out the sample interval). */
  started?: { marker: string; then: () => void };
  cancelSignal?: AbortSignal;
  /** Cap on stdout (default MAX_NODE_OUTPUT_BYTES): past it the session is stopped. */
  maxOutputBytes?: number;
}): Promise<SessionResult> {
  const sub = execa('ssh', sshArgs(host, opts), {
    reject: false,
    input: script,
    timeout: Math.round(opts.timeoutSeconds * 1000),
    killSignal: 'SIGKILL',
    cancelSignal: opts.cancelSignal,
    stripFinalNewline: false,
    maxBuffer: { stdout: opts.maxOutputBytes ?? MAX_NODE_OUTPUT_BYTES, stderr: MAX_STDERR_BYTES },
    // The user's environment carries their agent socket (SSH_AUTH_SOCK); LC_ALL=C keeps ssh's own
    // messages in English for the failure mapping.
    env: { LC_ALL: 'C' },
  });
  if (opts.started) watchForStart(sub.stdout, opts.started);
  const r = await sub;
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  if (r.timedOut) return { stdout, exitCode: undefined, failure: `timed out after ${opts.timeoutSeconds}s`, timedOut: true };
  if (r.isCanceled) return { stdout, exitCode: undefined, failure: 'cancelled', timedOut: false };
  // execa stopped the session at the cap: what arrived before it stays usable, the rest is a gap.
  if (r.isMaxBuffer) {
    const cap = opts.maxOutputBytes ?? MAX_NODE_OUTPUT_BYTES;
    const what = stdout.length >= cap ? `more than ${Math.round(cap / 1024 / 1024)} MiB of output` : `more than ${MAX_STDERR_BYTES / 1024 / 1024} MiB on stderr`;
    return { stdout, exitCode: undefined, failure: `the node sent ${what}; the session was stopped`, timedOut: false };
  }
  const ranToEnd = opts.doneMarker !== undefined && stdout.includes(opts.doneMarker);
  const failure = ranToEnd && r.exitCode === 0 ? null : describeSshFailure(r.exitCode, stderr, host, opts);
  return { stdout, exitCode: r.exitCode, failure, timedOut: false };
}

/** Calls `then` once `marker` has been seen at the start of a line of the stream (a login banner may
 * come first). Reads alongside execa's own buffering; stops looking after 64 KiB or when found. */
function watchForStart(stream: NodeJS.ReadableStream | null, started: { marker: string; then: () => void }): void {
  if (!stream) return;
  let head = '';
  const onData = (chunk: Buffer | string) => {
    head += chunk.toString();
    if (head.startsWith(started.marker) || head.includes(`\n${started.marker}`)) {
      stream.off('data', onData);
      started.then();
    } else if (head.length > 64 * 1024) {
      stream.off('data', onData);
    }
  };
  stream.on('data', onData);
}

/** ssh's exit status and stderr → one short reason a person on call can act on. */
export function describeSshFailure(exitCode: number | undefined, stderr: string, host: string, opts: SshOptions = {}): string {
  const s = stderr;
  if (exitCode === 255) {
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/i.test(s)) {
      return `HOST KEY CHANGED for ${host} — possible man-in-the-middle; not connecting`;
    }
    if (/Host key verification failed|No \S+ host key is known/i.test(s)) {
      return 'host key verification failed: unknown host key (add it to known_hosts)';
    }
    const denied = /Permission denied \(([^)]*)\)/.exec(s);
    if (denied) return `permission denied (${denied[1]})`;
    if (/Connection refused/i.test(s)) return 'connection refused';
    if (/Connection timed out|Operation timed out/i.test(s)) {
      // The user's -o ConnectTimeout comes first on the command line, so it is the one ssh used.
      const theirs = (opts.options ?? []).map((o) => /^\s*ConnectTimeout\s*=\s*(\d+)\s*$/i.exec(o)?.[1]).find(Boolean);
      return `connection timed out after ${theirs ?? connectTimeoutSeconds(opts)}s`;
    }
    if (/Could not resolve hostname|Name or service not known|nodename nor servname/i.test(s)) return 'could not resolve hostname';
    if (/No route to host/i.test(s)) return 'no route to host';
    if (/Network is unreachable/i.test(s)) return 'network is unreachable';
    if (/Too many authentication failures/i.test(s)) return 'too many authentication failures (limit the keys offered, e.g. --ssh-identity)';
    if (/kex_exchange_identification|Connection reset by peer|Connection closed by/i.test(s)) {
      return 'connection closed by the node before login (sshd MaxStartups or a firewall?)';
    }
    if (/closed by remote host|Broken pipe|client_loop/i.test(s)) return 'connection lost during the session';
  }
  if (opts.sudo && /a password is required|a terminal is required|askpass/i.test(s)) {
    return 'sudo needs a password (use passwordless sudo or connect as root)';
  }
  if (opts.sudo && /is not in the sudoers file|not allowed to execute/i.test(s)) return 'sudo refused: the ssh user may not run sh as root';
  if (exitCode === 127 || /\bnot found\b/i.test(s)) {
    const what = opts.sudo && /sudo/.test(s) ? 'sudo' : 'sh';
    return `${what} not found on the node`;
  }
  const last = lastLine(s);
  if (exitCode === undefined) return last ? `ssh failed: ${last}` : 'ssh failed';
  return `ssh exited with ${exitCode}${last ? `: ${last}` : ''}`;
}

/** The last stderr line, without control characters (it may come from the node's shell) and short. */
function lastLine(s: string): string {
  const lines = s.split(/\r?\n/).map((l) => l.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim()).filter(Boolean);
  const line = lines.at(-1) ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
