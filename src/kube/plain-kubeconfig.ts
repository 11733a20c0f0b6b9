// Startup without client-node for the kubeconfigs most runs have: a bearer token or a client
// certificate, a CA, a server. Importing @kubernetes/client-node costs ~0.8 s of CPU (its config
// module pulls in every generated API model) — at 15k pods that was as long as fetching and parsing
// all the pods (cpu profile, issue 14). Anything else — exec plugins, auth providers, token files,
// impersonation, proxies, basic auth, in-cluster, or any error — goes to src/kube/kubeconfig.ts
// (client-node) unchanged, which also gives the error messages. Semantics follow that loader:
// KUBECONFIG=a:b, first file wins names and the current context; paths relative to their file.
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
// js-yaml, not yaml: it loads in a fifth of the time, and a kubeconfig needs no positions (issue 14).
import yaml from 'js-yaml';
import type { KubeconfigFlags, LoadedKubeconfig } from './kubeconfig.js';
import { redactUrl } from './redact-url.js';
import { isObject } from '../util/dict.js';

const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name']);
const USER_KEYS = new Set(['token', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data']);

type Entry = Record<string, unknown>;
interface Named { name: string; value: Entry; dir: string }

export async function loadKubeconfigFast(flags: KubeconfigFlags, env: NodeJS.ProcessEnv = process.env): Promise<LoadedKubeconfig> {
  const plain = tryPlain(flags, env);
  if (plain) return plain;
  const { loadKubeconfig } = await import('./kubeconfig.js');
  return loadKubeconfig(flags, env);
}

/** The plain case, or undefined for anything else (the full loader decides, and words the errors). */
export function tryPlain(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): LoadedKubeconfig | undefined {
  let files: string[];
  let origin: string;
  if (flags.kubeconfig) {
    files = [flags.kubeconfig];
    origin = flags.kubeconfig;
  } else if (env.KUBECONFIG) {
    files = env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f));
    origin = `KUBECONFIG=${env.KUBECONFIG}`;
  } else {
    files = [join(env.HOME ?? homedir(), '.kube', 'config')];
    origin = files[0]!;
  }
  if (!files.length || !files.every((f) => existsSync(f))) return undefined;

  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let current = '';
  for (const file of files) {
    let doc: unknown;
    // Duplicate keys throw (as kubectl refuses them): the full loader then words the error.
    try { doc = yaml.load(readFileSync(file, 'utf8'), { schema: yaml.CORE_SCHEMA, filename: file }); } catch { return undefined; }
    if (!isObject(doc)) return undefined;
    const dir = dirname(resolve(file));
    for (const [key, into, inner] of [['clusters', clusters, 'cluster'], ['users', users, 'user'], ['contexts', contexts, 'context']] as const) {
      const list = doc[key] ?? [];
      if (!Array.isArray(list)) return undefined;
      const here = new Set<string>();
      for (const item of list) {
        if (!isObject(item) || typeof item.name !== 'string' || !item.name || here.has(item.name)) return undefined;
        const value = item[inner] ?? {};
        if (!isObject(value)) return undefined;
        here.add(item.name);
        if (!into.has(item.name)) into.set(item.name, { name: item.name, value, dir });
      }
    }
    const cc = doc['current-context'];
    if (!current && typeof cc === 'string') current = cc;
  }

  const contextName = flags.context ?? current;
  const context = contexts.get(contextName)?.value;
  if (!contextName || !context) return undefined;
  const cluster = typeof context.cluster === 'string' ? clusters.get(context.cluster) : undefined;
  const user = typeof context.user === 'string' ? users.get(context.user) : undefined;
  if (!cluster || typeof cluster.value.server !== 'string' || !cluster.value.server) return undefined;
  if (!Object.keys(cluster.value).every((k) => CLUSTER_KEYS.has(k))) return undefined;
  if (user && !Object.keys(user.value).every((k) => USER_KEYS.has(k))) return undefined;
  // kubectl refuses a CA together with insecure-skip-tls-verify; let the full loader say what it says.
  const skip = cluster.value['insecure-skip-tls-verify'];
  if (skip !== undefined && typeof skip !== 'boolean') return undefined;
  if (skip && (cluster.value['certificate-authority'] || cluster.value['certificate-authority-data'])) return undefined;

  let tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  try {
    tls = {
      ca: material(cluster.value['certificate-authority-data'], cluster.value['certificate-authority'], cluster.dir),
      cert: user && material(user.value['client-certificate-data'], user.value['client-certificate'], user.dir),
      key: user && material(user.value['client-key-data'], user.value['client-key'], user.dir),
    };
  } catch {
    return undefined;
  }
  const token = user?.value.token;
  if (token !== undefined && typeof token !== 'string') return undefined;
  const servername = cluster.value['tls-server-name'];
  if (servername !== undefined && typeof servername !== 'string') return undefined;

  // One agent for the run (its TLS material is fixed at load); marked so the API client's pool can
  // recognise it without hashing the material per request (src/kube/kept-agents.ts).
  const agent = Object.assign(new https.Agent({ ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: skip ? false : undefined, servername }), { checkupFixed: true });
  return {
    context: contextName,
    // For people (reports, errors, snapshots) any user:password@ is removed; requests use it as given.
    server: redactUrl(cluster.value.server),
    requestUrl: cluster.value.server,
    origin,
    kc: {
      // What client-node's applyToHTTPSOptions sets for these fields, and an agent of its own.
      async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
        if (skip) opts.rejectUnauthorized = false;
        if (servername) opts.servername = servername;
        if (tls.ca) opts.ca = tls.ca;
        if (tls.cert) opts.cert = tls.cert;
        if (tls.key) opts.key = tls.key;
        opts.headers ??= {};
        if (token) (opts.headers as Record<string, string>).Authorization = `Bearer ${token}`;
        opts.agent = agent;
      },
    },
  };
}

/** Inline (*-data, base64) or a file relative to its kubeconfig; both at once is for the full loader. */
function material(data: unknown, file: unknown, dir: string): Buffer | undefined {
  if (data && file) throw new Error('both inline and a file');
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
  if (typeof file === 'string' && file) return readFileSync(isAbsolute(file) ? file : join(dir, file));
  if (data !== undefined || file !== undefined) throw new Error('not a string');
  return undefined;
}

