// Kubeconfig loading that behaves like kubectl, where client-node does not (toolchain §2):
// - KUBECONFIG=a:b → the FIRST file that sets current-context wins (client-node: the last);
// - a name defined in two files is merged, first file wins (client-node: throws "Duplicate context");
// - no kubeconfig at all → a clear error (client-node: a silent http://localhost:8080 context).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { ConfigError } from '../errors.js';
import { redactUrl } from './redact-url.js';

export { redactUrl };
import { boundExecPlugins } from './exec-plugin.js';

export interface KubeconfigFlags {
  kubeconfig?: string;
  context?: string;
}

export interface LoadedKubeconfig {
  /** Credentials per request: client-node's KubeConfig, or the plain loader's stand-in
   * (src/kube/plain-kubeconfig.ts), which needs no client-node at startup. */
  kc: Pick<KubeConfig, 'applyToHTTPSOptions'>;
  context: string;
  /** The server URL for people: reports, errors, snapshots (any user:password@ removed). */
  server: string;
  /** The server URL as configured, for requests only. */
  requestUrl: string;
  /** Where the configuration came from, for error messages. */
  origin: string;
}

export function loadKubeconfig(flags: KubeconfigFlags, env: NodeJS.ProcessEnv = process.env): LoadedKubeconfig {
  const kc = new KubeConfig();
  boundExecPlugins(kc);
  let origin: string;
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig)) throw new ConfigError(`kubeconfig ${flags.kubeconfig}: no such file`);
    loadFiles(kc, [flags.kubeconfig]);
    origin = flags.kubeconfig;
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f));
    if (!files.length) throw new ConfigError(`KUBECONFIG=${env.KUBECONFIG}: none of these files exists`);
    loadFiles(kc, files);
    origin = `KUBECONFIG=${env.KUBECONFIG}`;
  } else {
    const home = join(env.HOME ?? homedir(), '.kube', 'config');
    if (existsSync(home)) {
      loadFiles(kc, [home]);
      origin = home;
    } else if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
      kc.loadFromCluster(); // running in a pod: use its service account, as kubectl does
      origin = 'in-cluster service account';
    } else {
      throw new ConfigError(`no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ${home}`);
    }
  }

  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigError(`context "${flags.context}" not found in ${origin}` +
        (known.length ? ` (contexts: ${known.join(', ')})` : ' (it defines no contexts)'));
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getCurrentContext();
  if (!context || !kc.getContextObject(context)) {
    throw new ConfigError(`no current context in ${origin}: pass --context` +
      (kc.getContexts().length ? ` (contexts: ${kc.getContexts().map((c) => c.name).join(', ')})` : ''));
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new ConfigError(`context "${context}" in ${origin} names no cluster with a server`);
  return { kc, context, server: redactUrl(cluster.server), requestUrl: cluster.server, origin };
}

/** Merges files the way kubectl does: first definition of a name wins, first current-context wins. */
function loadFiles(kc: KubeConfig, files: string[]): void {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const file of files) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file); // also resolves relative certificate paths against the file's folder
    } catch (err) {
      throw new ConfigError(`kubeconfig ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    for (const c of one.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of one.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && one.getCurrentContext()) currentContext = one.getCurrentContext();
  }
  kc.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  });
}

