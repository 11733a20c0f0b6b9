// The configuration file (DESIGN §2.7): `--config FILE`, else `.checkup.yaml` in the current
// directory, else none. Read in two steps so plugins can be loaded in between: `readConfigFile`
// parses and checks the shape (JSON schema, ajv) with line numbers kept (yaml's LineCounter);
// `resolveConfig` then checks what depends on the checks present (ids, per-check settings).
// A wrong type is an error naming file, line and key (exit 2); an unknown key is a warning naming the
// closest known key — a typo must not stop a pipeline, but it must not go unnoticed either.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../errors.js';
import type { CheckDefinition, SettingSpec, SettingValues, Severity } from '../engine/types.js';
import type { ReportWarning } from '../report/model.js';
import { didYouMean } from './closest.js';
import { formatRef, parseCheckRef, parseUntil, unknownCheckText, unknownRuleText, type CheckRef } from './refs.js';

export { DEFAULT_CONFIG_FILE, findConfigFile } from './config-file.js';
export const GLOB_FIELDS = ['namespace', 'name', 'kind', 'node', 'container'] as const;
export type GlobField = (typeof GLOB_FIELDS)[number];

const str = { type: 'string', minLength: 1 };
const SCHEMA = {
  type: 'object',
  properties: {
    apiVersion: { const: 'checkup.k8s.io/v1' },
    kind: { const: 'Config' },
    checks: {
      type: 'object',
      properties: { skip: { type: 'array', items: str }, only: { type: 'array', items: str } },
      additionalProperties: false,
    },
    settings: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: { type: ['number', 'boolean', 'string'] } },
    },
    severity: { type: 'object', additionalProperties: { enum: ['critical', 'warning', 'info'] } },
    plugins: { type: 'array', items: str },
    suppress: {
      type: 'array',
      items: {
        type: 'object',
        required: ['check', 'reason'],
        properties: {
          check: str,
          reason: str,
          until: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          ...Object.fromEntries(GLOB_FIELDS.map((f) => [f, str])),
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

interface RawConfig {
  apiVersion?: string;
  kind?: string;
  checks?: { skip?: string[]; only?: string[] };
  settings?: Record<string, Record<string, number | boolean | string>>;
  severity?: Record<string, Severity>;
  plugins?: string[];
  suppress?: ({ check: string; reason: string; until?: string } & Partial<Record<GlobField, string>>)[];
}

/** A config file that parsed and has the right shape; not yet checked against the checks present. */
export interface ConfigDocument {
  /** The path as the user gave it (or `.checkup.yaml`): messages name it this way. */
  file: string;
  data: RawConfig;
  /** Module specifiers from `plugins:`; relative paths resolved against the file's directory. */
  plugins: string[];
  warnings: ReportWarning[];
  /** "file:line" of a key path, for messages about what the file says. */
  where(path: (string | number)[]): string;
}

/** One `suppress:` entry. */
export interface SuppressRule {
  ref: CheckRef;
  globs: Partial<Record<GlobField, string>>;
  reason: string;
  until: string | null;
  /** "file:line" of the entry, so warnings about it can be found in the file. */
  where: string;
}

export interface ResolvedConfig {
  file: string;
  checks: { only?: string[]; skip?: string[] };
  /** Per check id, setting values (validated against the check's SettingSpecs). */
  settings: Record<string, SettingValues>;
  /** `check` or `check/rule` → severity; a rule's entry beats its check's. */
  severity: Map<string, Severity>;
  plugins: string[];
  suppress: SuppressRule[];
  warnings: ReportWarning[];
}

/** The config file to read: --config, else ./.checkup.yaml when it exists, else none. */

export function readConfigFile(file: string, cwd = process.cwd()): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new ConfigError(`config ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseConfig(text, file, cwd);
}

/** Parses and shape-checks config text (exported for tests; `file` only names it in messages). */
export function parseConfig(text: string, file: string, cwd = process.cwd()): ConfigDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${file}:${lines.linePos(e.pos[0]).line}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (path: (string | number)[]) => lines.linePos(offsetOf(doc, path)).line;
  const where = (path: (string | number)[]) => `${file}:${lineOf(path)}`;
  const data = (doc.toJS() ?? {}) as unknown;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${file}:1: the config file must be a mapping (apiVersion: checkup.k8s.io/v1, kind: Config, …)`);
  }

  const validate = new Ajv({ allErrors: true, verbose: true, strict: false }).compile(SCHEMA);
  const warnings: ReportWarning[] = [];
  const problems: string[] = [];
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const path = pointerToPath(e.instancePath);
      if (e.keyword === 'additionalProperties') {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        // In a suppress entry an ignored filter would widen what it hides: the entry is dropped instead.
        const effect = path[0] === 'suppress' ? 'the entry is not applied' : 'it is ignored';
        warnings.push({
          code: 'config-unknown-key',
          message: `${where([...path, key])}: unknown key ${showPath([...path, key])}${didYouMean(key, known)}; ${effect}`,
        });
      } else {
        problems.push(`${where(path)}: ${explain(e, path, data)}`);
      }
    }
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
  const raw = data as RawConfig;
  const base = dirname(resolve(cwd, file));
  // A relative module path means "next to the config file", as in other tools' config files.
  const plugins = (raw.plugins ?? []).map((p) => (p.startsWith('./') || p.startsWith('../') ? resolve(base, p) : p));
  return { file, data: raw, plugins, warnings, where };
}

/** Checks what the file says against the checks present (built-in and loaded plugins). */
export function resolveConfig(cfg: ConfigDocument, registry: readonly CheckDefinition[]): ResolvedConfig {
  const ids = registry.map((c) => c.id as string);
  const warnings = [...cfg.warnings];
  const errors: string[] = [];
  const d = cfg.data;

  const checkList = (key: 'skip' | 'only'): string[] | undefined => {
    const list = d.checks?.[key];
    if (!list) return undefined;
    return list.filter((id, i) => {
      if (ids.includes(id)) return true;
      warnings.push({ code: 'config-unknown-check', message: `${cfg.where(['checks', key, i])}: checks.${key}: unknown check "${id}"${didYouMean(id, ids)}; it is ignored` });
      return false;
    });
  };

  const settings: Record<string, SettingValues> = {};
  for (const [id, values] of Object.entries(d.settings ?? {})) {
    const def = registry.find((c) => c.id === id);
    if (!def) {
      warnings.push({ code: 'config-unknown-key', message: `${cfg.where(['settings', id])}: settings: unknown check "${id}"${didYouMean(id, ids)}; its settings are ignored` });
      continue;
    }
    const specs = def.settings ?? {};
    const out: SettingValues = {};
    for (const [key, value] of Object.entries(values)) {
      const spec = specs[key];
      if (!spec) {
        const known = Object.keys(specs);
        const has = known.length ? `; ${id} has: ${known.join(', ')}` : `; ${id} has no settings`;
        warnings.push({ code: 'config-unknown-key', message: `${cfg.where(['settings', id, key])}: settings.${id}: unknown setting "${key}"${didYouMean(key, known)}${has}; it is ignored` });
        continue;
      }
      const wrong = checkSetting(spec, value);
      if (wrong) errors.push(`${cfg.where(['settings', id, key])}: settings.${id}.${key}: ${wrong}, got ${JSON.stringify(value)}`);
      else out[key] = value;
    }
    settings[id] = out;
  }

  const severity = new Map<string, Severity>();
  for (const [key, level] of Object.entries(d.severity ?? {})) {
    const ref = parseCheckRef(key, ids);
    if (!ref.known) {
      warnings.push({ code: 'config-unknown-key', message: `${cfg.where(['severity', key])}: severity: ${unknownCheckText(ref, ids)}; it is ignored` });
      continue;
    }
    const badRule = unknownRuleText(ref, registry);
    if (badRule) {
      warnings.push({ code: 'config-unknown-key', message: `${cfg.where(['severity', key])}: severity: ${badRule}; it is ignored` });
      continue;
    }
    severity.set(formatRef(ref), level);
  }

  const suppress: SuppressRule[] = [];
  const entryKeys = new Set(['check', 'reason', 'until', ...GLOB_FIELDS]);
  (d.suppress ?? []).forEach((s, i) => {
    if (Object.keys(s).some((k) => !entryKeys.has(k))) return; // warned in parseConfig
    const ref = parseCheckRef(s.check, ids);
    const where = cfg.where(['suppress', i]);
    if (!ref.known) warnings.push({ code: 'config-unknown-check', message: `${where}: suppress[${i}].check: ${unknownCheckText(ref, ids)}; the entry matches nothing` });
    const badRule = unknownRuleText(ref, registry);
    if (badRule) warnings.push({ code: 'config-unknown-check', message: `${where}: suppress[${i}].check: ${badRule}; the entry matches nothing` });
    if (s.until !== undefined && !parseUntil(s.until).ok) errors.push(`${cfg.where(['suppress', i, 'until'])}: suppress[${i}].until: "${s.until}" is not a calendar date (YYYY-MM-DD)`);
    if (!s.reason.trim()) errors.push(`${cfg.where(['suppress', i, 'reason'])}: suppress[${i}].reason: say why the finding is accepted`);
    const globs: Partial<Record<GlobField, string>> = {};
    for (const f of GLOB_FIELDS) if (s[f] !== undefined) globs[f] = s[f];
    suppress.push({ ref: { check: ref.check, ...(ref.rule !== undefined ? { rule: ref.rule } : {}) }, globs, reason: s.reason.trim(), until: s.until ?? null, where });
  });
  if (errors.length) throw new ConfigError(errors.join('\n'));
  const checks = { only: checkList('only'), skip: checkList('skip') };
  // In the order of the file, so they read top to bottom next to it.
  const lineOf = (w: ReportWarning) => Number(w.message.slice(cfg.file.length + 1).match(/^(\d+):/)?.[1] ?? 0);
  warnings.sort((a, b) => lineOf(a) - lineOf(b));

  return {
    file: cfg.file,
    checks,
    settings,
    severity,
    plugins: cfg.plugins,
    suppress,
    warnings,
  };
}

/** Why a value does not fit its setting's spec, or undefined when it does. */
function checkSetting(spec: SettingSpec, value: unknown): string | undefined {
  const range = spec.min !== undefined && spec.max !== undefined ? ` from ${spec.min} to ${spec.max}`
    : spec.min !== undefined ? ` of at least ${spec.min}` : spec.max !== undefined ? ` of at most ${spec.max}` : '';
  if (spec.type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number${range}`;
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) return `expected a number${range}`;
    return undefined;
  }
  return typeof value === spec.type ? undefined : `expected a ${spec.type}`;
}

/** A message per ajv error, in the file's words ("expected a list", "missing key reason"). */
function explain(e: ErrorObject, path: (string | number)[], data: unknown): string {
  const at = showPath(path);
  const value = valueAt(data, path);
  const got = value === null || value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : JSON.stringify(value);
  switch (e.keyword) {
    case 'required':
      return `${at || 'entry'}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'type': {
      const t = String((e.params as { type: string }).type).split(',').map((x) => (x === 'array' ? 'a list' : x === 'object' ? 'a mapping' : `a ${x}`));
      return `${at}: expected ${t.join(' or ')}, got ${got}`;
    }
    case 'enum':
      return `${at}: expected one of ${((e.params as { allowedValues: unknown[] }).allowedValues).join(', ')}, got ${got}`;
    case 'const':
      return `${at}: expected ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}, got ${got}`;
    case 'pattern':
      return `${at}: expected a date YYYY-MM-DD, got ${got}`;
    case 'minLength':
      return `${at}: must not be empty`;
    default:
      return `${at}: ${e.message ?? 'invalid'}`;
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `suppress[0].until`, `settings.evicted-pods.burstPerHour`. */
function showPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let v = data;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

/** The source offset of the deepest node on `path` (the key of a mapping entry, so the line shown is
 * where the key is written even when its value is empty or on the next lines). */
function offsetOf(doc: Document, path: (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: [number] } | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: [number] } | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as { range?: [number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
