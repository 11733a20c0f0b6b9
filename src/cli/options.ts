// Raw commander flags → validated run options. Bad input is a UsageError (exit 2) that says what
// was wrong and what is accepted.
import type { V1Node } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import type { CheckDefinition, Severity } from '../engine/types.js';
import { parseLabelSelector } from '../kube/selectors.js';
import { manifestPaths } from '../manifests/flags.js';
import { DEFAULT_PROBE_IMAGE, DEFAULT_PROBE_NAMESPACE } from '../node/probe-pod.js';
import { parseOutputTargets, type OutputTarget } from '../report/output-targets.js';

export interface RawFlags {
  kubeconfig?: string; context?: string; namespace?: string; allNamespaces?: boolean; selector?: string;
  requestTimeout: string; output: string[]; checks?: string; skip?: string; nodes?: string;
  failOn: Severity | 'none'; sampleInterval: string; ssh: boolean; sshUser?: string; sshIdentity?: string;
  sshPort?: string; sshConfig?: string; sshOption: string[]; sshJump?: string; sudo?: boolean;
  sshAddress: 'internal-ip' | 'external-ip' | 'hostname' | 'name'; sshConcurrency: string; nodeTimeout: string;
  snapshot?: string; saveSnapshot?: string; plugin?: string[]; filename?: string[]; recursive?: boolean;
  config?: string; baseline?: string; annotationSuppressions?: boolean; failOnGaps?: boolean;
  nodeAccess?: 'ssh' | 'pod' | 'none'; probeImage?: string; probeNamespace?: string; dryRun?: boolean;
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
  /** -f/-R: evaluate these manifests instead of a cluster (DESIGN §2.10). */
  manifests?: { paths: string[]; recursive: boolean };
  /** --fail-on-gaps: exit 1 when something could not be looked at (DESIGN §2.1). */
  failOnGaps: boolean;
  /** Module specifiers from the config's `plugins:` (loaded by the plugin loader, DESIGN §2.11). */
  plugins: string[];
  /** How nodes are reached (DESIGN §2.12); `ssh` above is true unless this is 'none'. */
  nodeAccess: 'ssh' | 'pod' | 'none';
  podAccess: PodAccessSettings;
}

export interface PodAccessSettings { namespace: string; image: string; dryRun: boolean }

/** What the config file says about which checks run (flags beat it). */
export interface ConfigSelection { only?: string[]; skip?: string[] }

export function parseRunOptions(f: RawFlags, registry: readonly CheckDefinition[], config?: { checks: ConfigSelection; plugins: string[] }): RunOptions {
  if (f.namespace && f.allNamespaces) throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');
  if (f.snapshot && f.saveSnapshot) throw new UsageError('--snapshot and --save-snapshot cannot be used together (a snapshot is already saved)');
  if (f.snapshot && (f.kubeconfig || f.context)) throw new UsageError('--snapshot evaluates a saved snapshot: --kubeconfig and --context do not apply');
  const manifests = manifestPaths(f);
  if (f.selector) parseLabelSelector(f.selector); // fail early on a malformed selector
  const sampleIntervalSeconds = number(f.sampleInterval, '--sample-interval', 0, 600);
  return {
    checks: selectChecks(registry, f.checks, f.skip, config?.checks),
    kubeconfig: f.kubeconfig,
    context: f.context,
    namespace: f.namespace,
    labelSelector: f.selector,
    requestTimeoutMs: parseDuration(f.requestTimeout),
    output: parseOutputTargets(f.output),
    failOn: f.failOn,
    sampleIntervalSeconds,
    nodeFilter: f.nodes ? parseNodeFilter(f.nodes) : undefined,
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
    manifests,
    failOnGaps: Boolean(f.failOnGaps),
    plugins: config?.plugins ?? [],
    ...nodeAccessOptions(f),
  };
}

/** --node-access ssh|pod|none (none = --no-ssh), and the flags that only mean something for pods. */
export function nodeAccessOptions(f: RawFlags): Pick<RunOptions, 'ssh' | 'nodeAccess' | 'podAccess'> {
  const given = f.nodeAccess;
  if (given === 'pod' && !f.ssh) throw new UsageError('--no-ssh and --node-access pod cannot be used together (--no-ssh means --node-access none)');
  const nodeAccess = !f.ssh ? 'none' : (given ?? 'ssh');
  if (nodeAccess !== 'pod') {
    for (const [flag, set] of [['--probe-image', f.probeImage], ['--probe-namespace', f.probeNamespace], ['--dry-run', f.dryRun]] as const) {
      if (set !== undefined && set !== false) throw new UsageError(`${flag} applies only to --node-access pod`);
    }
  }
  const namespace = f.probeNamespace ?? DEFAULT_PROBE_NAMESPACE;
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new UsageError(`--probe-namespace ${namespace}: not a valid namespace name`);
  const image = f.probeImage ?? DEFAULT_PROBE_IMAGE;
  if (!/^[^\s]+$/.test(image)) throw new UsageError(`--probe-image ${JSON.stringify(image)}: expected an image reference like busybox:1.36 or registry.local/tools/busybox:1.36`);
  if (f.dryRun && f.snapshot) throw new UsageError('--dry-run prints the probe pods a live run would create: it does not apply to --snapshot');
  if (f.dryRun && f.saveSnapshot) throw new UsageError('--dry-run collects nothing from the nodes: it cannot be used with --save-snapshot');
  return { ssh: nodeAccess !== 'none', nodeAccess, podAccess: { namespace, image, dryRun: Boolean(f.dryRun) } };
}


/** --checks/--skip, else the config file's checks.only/skip (a flag replaces the file's list; --checks
 * alone also drops the file's skip: the checks named on the command line are the ones wanted). */
export function selectChecks(registry: readonly CheckDefinition[], only?: string, skip?: string, config?: ConfigSelection): CheckDefinition[] {
  const known = new Set(registry.map((c) => c.id as string));
  const parse = (flag: string, value: string) => value.split(',').map((s) => s.trim()).filter(Boolean).map((id) => {
    if (!known.has(id)) {
      throw new UsageError(`${flag}: unknown check "${id}"; known checks: ${[...known].join(', ')}`);
    }
    return id;
  });
  const onlyIds = only !== undefined ? new Set(parse('--checks', only)) : config?.only ? new Set(config.only) : undefined;
  const skipIds = new Set(skip !== undefined ? parse('--skip', skip) : only === undefined ? config?.skip ?? [] : []);
  if (onlyIds && onlyIds.size === 0) throw new UsageError(`${only !== undefined ? '--checks' : 'config checks.only'}: name at least one check`);
  const selected = registry.filter((c) => (!onlyIds || onlyIds.has(c.id)) && !skipIds.has(c.id));
  if (!selected.length) throw new UsageError(`no checks left to run after --checks/--skip${config ? ' and the config file\'s checks' : ''}`);
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
