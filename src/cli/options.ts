// Raw commander flags → validated run options. Bad input is a UsageError (exit 2) that says what
// was wrong and what is accepted.
import type { V1Node } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import { CHECK_IDS, type CheckDefinition, type Severity } from '../engine/types.js';
import { parseLabelSelector } from '../kube/selectors.js';
import { parseOutputTargets, type OutputTarget } from '../report/output-targets.js';

export interface RawFlags {
  kubeconfig?: string; context?: string; namespace?: string; allNamespaces?: boolean; selector?: string;
  requestTimeout: string; output: string[]; checks?: string; skip?: string; nodes?: string;
  failOn: Severity | 'none'; sampleInterval: string; ssh: boolean; sshUser?: string; sshIdentity?: string;
  sshPort?: string; sshConfig?: string; sshOption: string[]; sshJump?: string; sudo?: boolean;
  sshAddress: 'internal-ip' | 'external-ip' | 'hostname' | 'name'; sshConcurrency: string; nodeTimeout: string;
  snapshot?: string; saveSnapshot?: string;
}

export interface SshSettings {
  user?: string; identity?: string; port?: number; configFile?: string; options: string[]; jump?: string;
  sudo: boolean; address: RawFlags['sshAddress']; concurrency: number; nodeTimeoutSeconds: number;
  sampleIntervalSeconds: number;
}

export interface RunOptions {
  checks: CheckDefinition[];
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  labelSelector?: string;
  requestTimeoutMs: number;
  /** Where each rendering of the report goes (-o FORMAT[=FILE]); exactly one may be stdout. */
  output: OutputTarget[];
  failOn: Severity | 'none';
  sampleIntervalSeconds: number;
  nodeFilter?: (node: V1Node) => boolean;
  ssh: boolean;
  sshOptions: SshSettings;
  snapshot?: string;
  saveSnapshot?: string;
}

export function parseRunOptions(f: RawFlags, registry: readonly CheckDefinition[]): RunOptions {
  if (f.namespace && f.allNamespaces) throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');
  if (f.snapshot && f.saveSnapshot) throw new UsageError('--snapshot and --save-snapshot cannot be used together (a snapshot is already saved)');
  if (f.snapshot && (f.kubeconfig || f.context)) throw new UsageError('--snapshot evaluates a saved snapshot: --kubeconfig and --context do not apply');
  if (f.selector) parseLabelSelector(f.selector); // fail early on a malformed selector
  const sampleIntervalSeconds = number(f.sampleInterval, '--sample-interval', 0, 600);
  return {
    checks: selectChecks(registry, f.checks, f.skip),
    kubeconfig: f.kubeconfig,
    context: f.context,
    namespace: f.namespace,
    labelSelector: f.selector,
    requestTimeoutMs: parseDuration(f.requestTimeout),
    output: parseOutputTargets(f.output),
    failOn: f.failOn,
    sampleIntervalSeconds,
    nodeFilter: f.nodes ? parseNodeFilter(f.nodes) : undefined,
    ssh: f.ssh,
    sshOptions: {
      user: f.sshUser,
      identity: f.sshIdentity,
      port: f.sshPort === undefined ? undefined : integer(f.sshPort, '--ssh-port', 1, 65535),
      configFile: f.sshConfig,
      options: f.sshOption.map((o) => {
        if (!/^[A-Za-z][A-Za-z0-9]*=\S.*$/.test(o)) throw new UsageError(`--ssh-option ${o}: expected KEY=VALUE, e.g. ProxyCommand=… or ConnectTimeout=5`);
        return o;
      }),
      jump: f.sshJump,
      sudo: Boolean(f.sudo),
      address: f.sshAddress,
      concurrency: integer(f.sshConcurrency, '--ssh-concurrency', 1, 256),
      nodeTimeoutSeconds: number(f.nodeTimeout, '--node-timeout', 1, 3600),
      sampleIntervalSeconds,
    },
    snapshot: f.snapshot,
    saveSnapshot: f.saveSnapshot,
  };
}

export function selectChecks(registry: readonly CheckDefinition[], only?: string, skip?: string): CheckDefinition[] {
  const known = new Set(registry.map((c) => c.id as string));
  const parse = (flag: string, value: string) => value.split(',').map((s) => s.trim()).filter(Boolean).map((id) => {
    if (!known.has(id)) {
      const reserved = (CHECK_IDS as readonly string[]).includes(id) ? ` (reserved for a check not implemented in this version)` : '';
      throw new UsageError(`${flag}: unknown check "${id}"${reserved}; known checks: ${[...known].join(', ')}`);
    }
    return id;
  });
  const onlyIds = only !== undefined ? new Set(parse('--checks', only)) : undefined;
  const skipIds = new Set(skip !== undefined ? parse('--skip', skip) : []);
  if (onlyIds && onlyIds.size === 0) throw new UsageError('--checks: name at least one check');
  const selected = registry.filter((c) => (!onlyIds || onlyIds.has(c.id)) && !skipIds.has(c.id));
  if (!selected.length) throw new UsageError('no checks left to run after --checks/--skip');
  return selected;
}

/** kubectl's --request-timeout: "0" = none, a plain number = seconds, or a Go duration (500ms, 30s, 1m, 1h). */
export function parseDuration(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== s) {
    throw new UsageError(`--request-timeout ${s}: expected a duration like 30s, 1m or 500ms (0 = no timeout)`);
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * units[p[2]!]!, 0));
}

/** --nodes: a comma-separated list of names, or a label selector when it contains an operator. */
function parseNodeFilter(value: string): (node: V1Node) => boolean {
  if (/[=!()]|\s(in|notin)\s/.test(value)) {
    const matches = parseLabelSelector(value);
    return (node) => matches(node);
  }
  const names = new Set(value.split(',').map((s) => s.trim()).filter(Boolean));
  if (!names.size) throw new UsageError('--nodes: name at least one node');
  return (node) => names.has(node.metadata?.name ?? '');
}

function integer(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} ${value}: expected a whole number from ${min} to ${max}`);
  return number(value, flag, min, max);
}

function number(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag} ${value}: expected a number from ${min} to ${max}`);
  }
  return n;
}
