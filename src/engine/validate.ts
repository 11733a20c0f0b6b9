// A check definition is checked before it runs: external modules are code we did not write, and a
// wrong id, an unknown kind or probe, or a missing rule table would otherwise fail late and obscurely.
import { API_KINDS } from '../kube/resources.js';
import { PROBE_NAMES } from '../node/probe-names.js';
import { FACT_SOURCES } from './node-facts.js';
import { BUILTIN_CHECK_IDS, type CheckDefinition } from './types.js';

/** What makes a check unusable; the message lists every problem found. */
export class CheckValidationError extends Error {
  constructor(readonly checkId: string, readonly problems: string[]) {
    super(`check ${JSON.stringify(checkId)}: ${problems.join('; ')}`);
  }
}

export const EXTERNAL_ID = /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/;
const RULE_ID = /^[a-z][A-Za-z0-9]*$/;
const SEVERITIES = ['critical', 'warning', 'info'];
const FACTS = Object.keys(FACT_SOURCES);

export function validateCheck(value: unknown, opts: { external: boolean }): asserts value is CheckDefinition {
  const def = (value ?? {}) as Partial<Record<keyof CheckDefinition, unknown>>;
  const id = typeof def.id === 'string' ? def.id : String(def.id);
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => { if (!ok) problems.push(problem); };

  if (typeof value !== 'object' || value === null) throw new CheckValidationError(id, ['not an object (export default defineCheck({...}))']);
  if (opts.external) need(typeof def.id === 'string' && EXTERNAL_ID.test(def.id), `id must be "<scope>/<name>" in lowercase letters, digits and dashes (e.g. "acme/sidecar-limits")`);
  else need((BUILTIN_CHECK_IDS as readonly string[]).includes(id), 'not a built-in check id (DESIGN §2.4)');
  need(typeof def.title === 'string' && def.title.trim() !== '', 'title is missing');
  need(typeof def.description === 'string', 'description is missing');
  need(SEVERITIES.includes(def.severity as string), `severity must be one of ${SEVERITIES.join(', ')}`);
  need(typeof def.create === 'function', 'create(ctx) is missing');

  const rules = def.rules as Record<string, unknown> | undefined;
  if (typeof rules !== 'object' || rules === null || !Object.keys(rules).length) problems.push('rules is missing: declare every rule the check reports, e.g. rules: { noLimits: { description: "…" } }');
  else for (const [rule, meta] of Object.entries(rules)) {
    need(RULE_ID.test(rule), `rule id "${rule}" is not camelCase`);
    need(typeof (meta as { description?: unknown })?.description === 'string', `rule ${rule} has no description`);
  }

  const needs = (def.needs ?? {}) as Record<string, unknown>;
  if (typeof def.needs !== 'object' || def.needs === null) problems.push('needs is missing (e.g. needs: { api: ["Pod"] })');
  else {
    const known = new Set(['api', 'probes', 'nodeFacts', 'apiserverMetrics']);
    for (const key of Object.keys(needs)) need(known.has(key), `needs.${key} is not known (${[...known].join(', ')})`);
    for (const n of list(needs.api)) {
      const kind = typeof n === 'string' ? n : (n as { kind?: unknown })?.kind;
      need((API_KINDS as readonly unknown[]).includes(kind), `needs an unknown API kind ${JSON.stringify(kind)} (known: ${API_KINDS.join(', ')})`);
    }
    for (const n of list(needs.probes)) {
      const probe = typeof n === 'string' ? n : (n as { probe?: unknown })?.probe;
      need((PROBE_NAMES as readonly unknown[]).includes(probe), `needs an unknown probe ${JSON.stringify(probe)} (known: ${PROBE_NAMES.join(', ')})`);
    }
    for (const n of list(needs.nodeFacts)) {
      const fact = typeof n === 'string' ? n : (n as { fact?: unknown })?.fact;
      need(FACTS.includes(fact as string), `needs an unknown node fact ${JSON.stringify(fact)} (known: ${FACTS.join(', ')})`);
    }
    const metrics = needs.apiserverMetrics as { families?: unknown } | undefined;
    if (metrics !== undefined) need(Array.isArray(metrics?.families) && metrics.families.every((f) => typeof f === 'string'), 'needs.apiserverMetrics.families must list metric family names');
    if (!list(needs.api).length && !list(needs.probes).length && !list(needs.nodeFacts).length && !metrics) problems.push('needs names no data (api, probes, nodeFacts or apiserverMetrics)');
  }

  for (const [key, spec] of Object.entries((def.settings ?? {}) as Record<string, { type?: unknown; default?: unknown; description?: unknown }>)) {
    need(['number', 'boolean', 'string'].includes(spec?.type as string) && typeof spec.default === spec.type, `setting ${key}: type must be number, boolean or string, and default of that type`);
    need(typeof spec?.description === 'string', `setting ${key} has no description`);
  }
  if (problems.length) throw new CheckValidationError(id, problems);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}
