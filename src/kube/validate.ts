// The shape every Kubernetes object must have before the engine and the checks see it, whether it
// came from the API server or from a snapshot file. Only what code outside the checks relies on is
// checked (a check that trips over a deeper oddity becomes status `error`, the run goes on); an
// object that fails here is a bad record, reported where it was read.
import type { KubeObject } from './resources.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Null when the object is usable; else what is wrong with it, in a few words. */
export function objectProblem(obj: unknown, kind?: string): string | null {
  if (!isObject(obj)) return `not an object (${obj === null ? 'null' : Array.isArray(obj) ? 'an array' : typeof obj})`;
  const meta = obj.metadata;
  if (meta !== undefined) {
    if (!isObject(meta)) return 'metadata is not an object';
    for (const key of ['name', 'namespace', 'uid'] as const) {
      if (meta[key] !== undefined && typeof meta[key] !== 'string') return `metadata.${key} is not a string`;
    }
    for (const key of ['labels', 'annotations'] as const) {
      const m = meta[key];
      if (m === undefined || m === null) continue;
      if (!isObject(m)) return `metadata.${key} is not a map`;
      for (const v of Object.values(m)) if (typeof v !== 'string') return `metadata.${key} has a value that is not a string`;
    }
    if (meta.ownerReferences !== undefined && meta.ownerReferences !== null && !Array.isArray(meta.ownerReferences)) return 'metadata.ownerReferences is not a list';
  }
  for (const key of ['spec', 'status'] as const) {
    if (obj[key] !== undefined && obj[key] !== null && !isObject(obj[key])) return `${key} is not an object`;
  }
  if (kind === 'Node') {
    // The engine reads node addresses itself (SSH destinations), outside any check.
    const addresses = (obj.status as Record<string, unknown> | undefined)?.addresses;
    if (addresses !== undefined && addresses !== null) {
      if (!Array.isArray(addresses)) return 'status.addresses is not a list';
      for (const a of addresses) {
        if (!isObject(a) || typeof a.type !== 'string' || typeof a.address !== 'string') return 'status.addresses has an entry without a string type and address';
      }
    }
  }
  return null;
}

export function isKubeObject(obj: unknown, kind?: string): obj is KubeObject {
  return objectProblem(obj, kind) === null;
}
