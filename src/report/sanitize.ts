// Strings from the cluster (names, messages, event text, probe output) are attacker-controlled:
// anyone who can create a pod picks its name and its event messages. Before they reach a terminal,
// escape sequences and other control characters are made visible instead of interpreted.

// C0 controls except \n and \t, DEL, and C1 controls (0x80–0x9f, e.g. the 8-bit CSI 0x9b).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function sanitize(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** For one-line fields: newlines and tabs are made visible too. */
export function sanitizeLine(s: string): string {
  return sanitize(s).replace(/\n/g, '\\n').replace(/\t/g, ' ');
}

/** Deep copy with every string sanitised (for JSON output, where control chars would be escaped by
 * JSON anyway but still reach a terminal when a user pipes the report through `jq -r`). */
export function sanitizeDeep<T>(value: T): T {
  if (typeof value === 'string') return sanitize(value) as T;
  if (Array.isArray(value)) return value.map(sanitizeDeep) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [sanitize(k), sanitizeDeep(v)])) as T;
  }
  return value;
}
