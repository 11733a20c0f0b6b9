// Maps keyed by data from a node, a snapshot or the API. A plain `{}` inherits from Object.prototype:
// a key such as `__proto__` then rewrites the prototype (or Object.prototype itself, one level down),
// and a lookup of `constructor` or `toString` finds a function that nobody stored. Objects made here
// have no prototype, so every key is just a key.

/** An empty object without a prototype, for keys that come from outside. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `obj[key]` only when the object itself holds it (never an inherited `constructor`). */
export function own<T>(obj: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return obj != null && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** A plain object (not null, not an array): the shape every record read from outside is checked for. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
