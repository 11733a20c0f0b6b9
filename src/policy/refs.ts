// What a suppression or severity override names: a check (`missing-probes`) or one rule of it
// (`missing-probes/noLivenessProbe`). External checks have `<scope>/<name>` ids, so the split is made
// against the known ids, not at the first slash.
import type { CheckDefinition, Finding } from '../engine/types.js';
import { didYouMean } from './closest.js';

export interface CheckRef {
  check: string;
  rule?: string;
}

/** Parses `check` or `check/rule`. `known` is false when no known check matches (a typo, or a check of
 * a plugin that is not loaded): the ref then matches nothing, and the caller warns. */
export function parseCheckRef(text: string, knownIds: readonly string[]): CheckRef & { known: boolean } {
  const s = text.trim();
  if (knownIds.includes(s)) return { check: s, known: true };
  // Longest known id first: `acme/web` before a hypothetical `acme`.
  const owner = [...knownIds].sort((a, b) => b.length - a.length).find((id) => s.startsWith(`${id}/`));
  if (owner) return { check: owner, rule: s.slice(owner.length + 1), known: true };
  const parts = s.split('/');
  // Unknown: `<scope>/<name>/<rule>` or `<check>/<rule>`, the most likely reading for the warning.
  if (parts.length >= 3) return { check: parts.slice(0, 2).join('/'), rule: parts.slice(2).join('/'), known: false };
  if (parts.length === 2) return { check: parts[0]!, rule: parts[1]!, known: false };
  return { check: s, known: false };
}

export function refMatches(ref: CheckRef, f: Pick<Finding, 'check' | 'rule'>): boolean {
  return ref.check === f.check && (ref.rule === undefined || ref.rule === f.rule);
}

export function formatRef(ref: CheckRef): string {
  return ref.rule === undefined ? ref.check : `${ref.check}/${ref.rule}`;
}

/** The warning text for a ref naming no known check. */
export function unknownCheckText(ref: CheckRef, knownIds: readonly string[]): string {
  return `unknown check "${ref.check}"${didYouMean(ref.check, knownIds)}`;
}

/** `until` dates: YYYY-MM-DD, a real calendar day. */
export function parseUntil(s: string): { ok: true; endMs: number } | { ok: false } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return { ok: false };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const start = Date.UTC(y, mo - 1, d);
  const check = new Date(start);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return { ok: false };
  // The suppression holds through that whole day (UTC): it ends at the next midnight.
  return { ok: true, endMs: Date.UTC(y, mo - 1, d + 1) };
}

/** True once `until` (already validated) has passed at `now`. */
export function isExpired(until: string | null, now: Date): boolean {
  if (until === null) return false;
  const u = parseUntil(until);
  return u.ok && now.getTime() >= u.endMs;
}

/** When the check declares its rules (CheckDefinition.rules) and the ref names another: the warning
 * text, with the closest rule. Undefined when the rule is known, or the check lists no rules. */
export function unknownRuleText(ref: CheckRef, registry: readonly CheckDefinition[]): string | undefined {
  if (ref.rule === undefined) return undefined;
  const rules = (registry.find((c) => c.id === ref.check) as { rules?: Record<string, unknown> } | undefined)?.rules;
  if (!rules || Object.hasOwn(rules, ref.rule)) return undefined;
  return `check ${ref.check} has no rule "${ref.rule}"${didYouMean(ref.rule, Object.keys(rules))}`;
}
