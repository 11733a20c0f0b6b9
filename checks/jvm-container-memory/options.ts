// Gathers a container's JVM memory flags from every place the JVM or its start script reads them,
// in the order HotSpot applies them: JAVA_TOOL_OPTIONS, then JDK_JAVA_OPTIONS (prepended to the
// launcher's arguments), then start-script variables and the command line, then _JAVA_OPTIONS,
// which overrides everything. Env values from ConfigMaps are resolved when the ConfigMap was read;
// otherwise (and for Secrets, which are never read) the source is unknown, never guessed.
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { applyJvmTokens, applyUnknownSource, emptySettings, jvmTokens, type JvmSettings } from './jvm-flags.js';

/** ConfigMaps as the check keeps them: per key, only the -X… tokens of the value. */
export type ConfigMapStore = Map<string, Map<string, string[]>>;

/** Env var the JVM reads itself (first two in order; _JAVA_OPTIONS is applied last). */
const JVM_READ_FIRST = ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS'];
const JVM_READ_LAST = '_JAVA_OPTIONS';
/** Conventions of start scripts (catalina.sh, Elasticsearch, Kafka, Cassandra, Solr, Jenkins…). */
const SCRIPT_VARS = new Set(['JAVA_OPTS', 'JAVA_OPTIONS', 'CATALINA_OPTS', 'JVM_OPTS', 'ES_JAVA_OPTS', 'KAFKA_HEAP_OPTS', 'KAFKA_OPTS', 'SOLR_JAVA_MEM', 'JENKINS_JAVA_OPTS']);
const JAVA_ENV_HINTS = new Set([...JVM_READ_FIRST, JVM_READ_LAST, 'JAVA_OPTS', 'JAVA_HOME', 'CATALINA_OPTS', 'JAVA_VERSION']);

type EnvValue = { tokens: string[]; origin: string } | { unknown: string };

export interface ContainerOptions {
  settings: JvmSettings;
  /** Env names present, for recognising Java containers. */
  envNames: Set<string>;
}

export function gatherOptions(c: V1Container, namespace: string, configMaps: ConfigMapStore, configMapsListed: boolean): ContainerOptions {
  const env = resolveEnv(c, namespace, configMaps, configMapsListed);
  const commandLine = [...(c.command ?? []), ...(c.args ?? [])];
  const referenced = referencedVars(commandLine);
  const settings = emptySettings();
  const apply = (name: string) => {
    const v = env.values.get(name);
    if (!v) return;
    if ('unknown' in v) applyUnknownSource(settings, `${name} ${v.unknown}`);
    else applyJvmTokens(settings, v.tokens, v.origin);
  };

  for (const reason of env.unknownEnvFrom) applyUnknownSource(settings, reason);
  JVM_READ_FIRST.forEach(apply);
  for (const name of env.values.keys()) {
    if (JVM_READ_FIRST.includes(name) || name === JVM_READ_LAST) continue;
    if (SCRIPT_VARS.has(name) || referenced.has(name) || /JAVA|JVM|HEAP/.test(name)) apply(name);
  }
  applyJvmTokens(settings, commandLine.flatMap(jvmTokens), c.command?.length ? 'command' : 'args');
  apply(JVM_READ_LAST);
  return { settings, envNames: new Set(env.values.keys()) };
}

export function isJavaEnv(names: Set<string>): string | undefined {
  return [...names].find((n) => JAVA_ENV_HINTS.has(n));
}

interface ResolvedEnv {
  values: Map<string, EnvValue>;
  /** envFrom ConfigMaps that could not be read: they may define any variable. */
  unknownEnvFrom: string[];
}

function resolveEnv(c: V1Container, namespace: string, configMaps: ConfigMapStore, listed: boolean): ResolvedEnv {
  const values = new Map<string, EnvValue>();
  const unknownEnvFrom: string[] = [];
  const notRead = (name: string) => (listed ? `ConfigMap ${name} was not found` : `ConfigMap ${name} could not be read`);
  // envFrom first, later sources win; then env entries, which win over envFrom.
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef;
    if (!ref?.name) continue; // secretRef: Secrets are never read (see README, False positives)
    const cm = configMaps.get(`${namespace}/${ref.name}`);
    if (!cm) {
      if (!(ref.optional && listed)) unknownEnvFrom.push(`envFrom: ${notRead(ref.name)}`);
      continue;
    }
    for (const [key, tokens] of cm) values.set(`${from.prefix ?? ''}${key}`, { tokens, origin: `ConfigMap ${ref.name} (key ${key})` });
  }
  const literal = new Map<string, string>();
  for (const e of c.env ?? []) {
    const v = envValue(e, namespace, configMaps, listed, literal, notRead);
    if (v === undefined) values.delete(e.name);
    else values.set(e.name, v);
  }
  return { values, unknownEnvFrom };
}

function envValue(e: V1EnvVar, namespace: string, configMaps: ConfigMapStore, listed: boolean, literal: Map<string, string>,
  notRead: (name: string) => string): EnvValue | undefined {
  if (e.valueFrom?.configMapKeyRef) {
    const { key, optional } = e.valueFrom.configMapKeyRef;
    const name = e.valueFrom.configMapKeyRef.name ?? '';
    const cm = configMaps.get(`${namespace}/${name}`);
    const tokens = cm?.get(key);
    if (tokens) return { tokens, origin: `ConfigMap ${name} (key ${key})` };
    if (optional && listed) return undefined; // an optional key that is absent leaves the variable unset
    return { unknown: cm ? `comes from ConfigMap ${name}, which has no key ${key}` : `comes from ${notRead(name)}` };
  }
  if (e.valueFrom?.secretKeyRef) return { unknown: `comes from Secret ${e.valueFrom.secretKeyRef.name}, which is never read` };
  if (e.valueFrom) return { unknown: 'comes from a field reference' };
  // $(VAR) refers to variables defined earlier in the list (Kubernetes expands it; $$ escapes).
  const value = (typeof e.value === 'string' ? e.value : '').replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name?: string) =>
    m === '$$' ? '$' : literal.get(name!) ?? m);
  literal.set(e.name, value);
  return { tokens: jvmTokens(value), origin: `env ${e.name}` };
}

/** Variables a command line refers to: $(VAR) (Kubernetes), $VAR and ${VAR} (a shell in the command). */
function referencedVars(commandLine: string[]): Set<string> {
  const names = new Set<string>();
  for (const m of commandLine.join(' ').matchAll(/\$(?:\(|\{)?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return names;
}
