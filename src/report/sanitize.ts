// Strings from the cluster (names, messages, event text, probe output) are attacker-controlled:
// anyone who can create a pod picks its name and its event messages. Before they reach a terminal,
// escape sequences and other control characters are made visible instead of interpreted, and so is
// everything that could start a line of its own (a forged "fix:" line under a finding) or reorder
// what a reader sees (bidi overrides, "Trojan Source").

// C0 controls except \n and \t, DEL, C1 controls (0x80–0x9f, e.g. the 8-bit CSI 0x9b and NEL 0x85),
// the Unicode line and paragraph separators, bidi marks, embeddings, overrides and isolates, and the
// byte-order mark.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Anything sanitizeLine changes (CONTROL plus \n and \t): most strings have none, and one test is
 * cheaper than three replaces (tens of thousands of findings on a big cluster, issue 14). */
const UNSAFE_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/** For text whose line breaks are the tool's own: only \n and \t survive. */
export function sanitize(s: string): string {
  return s.replace(CONTROL, escape);
}

/** For one-line fields (anything from the cluster): newlines are made visible, tabs become spaces. */
export function sanitizeLine(s: string): string {
  if (!UNSAFE_IN_LINE.test(s)) return s;
  return sanitize(s).replace(/\n/g, '\\n').replace(/\t/g, ' ');
}

/** Deeper than this, evidence is not data a person reads: it is cut off instead of blowing the stack. */
export const MAX_DEPTH = 32;
export const TOO_DEEP = '[nested too deep]';

/** True when a copy would differ: a key or string that sanitizeLine changes, or nesting that would be
 * cut off. Most report elements have none, and looking is cheaper than copying (issue 14). */
function needsSanitizing(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return UNSAFE_IN_LINE.test(value);
  if (value === null || typeof value !== 'object') return false;
  // An object with toJSON (a Date) is copied field by field by sanitizeDeep, not serialised by itself.
  if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsSanitizing(value[i], depth + 1)) return true;
    return false;
  }
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    if (UNSAFE_IN_LINE.test(k) || needsSanitizing((value as Record<string, unknown>)[k], depth + 1)) return true;
  }
  return false;
}

/** The value with every string made one-line safe (for JSON and YAML output: their escaping keeps a
 * newline inside the string, but `jq -r` and friends print it raw, and a forged line is as good as a
 * real one to whoever reads it). Cut off below MAX_DEPTH; keys are sanitised too. A deep copy when
 * anything changes; the value itself (read-only to the caller) when nothing would. */
export function sanitizeDeep<T>(value: T, depth = 0): T {
  return needsSanitizing(value, depth) ? sanitizedCopy(value, depth) : value;
}

function sanitizedCopy<T>(value: T, depth: number): T {
  if (typeof value === 'string') return sanitizeLine(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return TOO_DEEP as T;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = sanitizedCopy(value[i], depth + 1);
    return out as T;
  }
  // Object.fromEntries defines properties, so a key named `__proto__` stays an ordinary key.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [sanitizeLine(k), sanitizedCopy(v, depth + 1)])) as T;
}
