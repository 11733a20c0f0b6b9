// The shape every Kubernetes object must have before the engine and the checks see it, whether it
// came from the API server or from a snapshot file. Only what code outside the checks relies on is
// checked (a check that trips over a deeper oddity becomes status `error`, the run goes on); an
// object that fails here is a bad record, reported where it was read.
import type { KubeObject } from './resources.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where pod specs sit: a Pod, a workload's template, a CronJob's job template. */
const POD_SPECS = [['spec'], ['spec', 'template', 'spec'], ['spec', 'jobTemplate', 'spec', 'template', 'spec']];

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
  // Invariants the API server's own types guarantee, which code outside any one check relies on: a
  // record that breaks them did not come from an API server as sent (a corrupt or crafted file).
  if (meta !== undefined && Array.isArray(meta.ownerReferences)) {
    for (const r of meta.ownerReferences) {
      if (!isObject(r) || typeof r.kind !== 'string' || typeof r.name !== 'string') return 'metadata.ownerReferences has an entry without a string kind and name';
    }
  }
  for (const path of POD_SPECS) {
    const spec = path.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), obj);
    if (spec === undefined || spec === null) continue;
    if (!isObject(spec)) return `${path.join('.')} is not an object`;
    for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
      const cs = spec[list];
      if (cs === undefined || cs === null) continue;
      if (!Array.isArray(cs)) return `${path.join('.')}.${list} is not a list`;
      for (const c of cs) {
        if (!isObject(c) || typeof c.name !== 'string') return `${path.join('.')}.${list} has an entry without a string name`;
        for (const key of ['env', 'ports', 'command', 'args']) {
          if (c[key] !== undefined && c[key] !== null && !Array.isArray(c[key])) return `${path.join('.')}.${list}[${c.name.slice(0, 40)}].${key} is not a list`;
        }
      }
    }
  }
  if (kind === 'ConfigMap' && obj.data !== undefined && obj.data !== null) {
    if (!isObject(obj.data) || !Object.values(obj.data).every((v) => typeof v === 'string')) return 'data is not a map of strings';
  }
  if (kind === 'Service') {
    const ports = (obj.spec as Record<string, unknown> | undefined)?.ports;
    if (ports !== undefined && ports !== null && (!Array.isArray(ports) || !ports.every(isObject))) return 'spec.ports is not a list of ports';
  }
  if (kind === 'Node') {
    const spec = obj.spec as Record<string, unknown> | undefined;
    if (spec?.podCIDR !== undefined && spec.podCIDR !== null && typeof spec.podCIDR !== 'string') return 'spec.podCIDR is not a string';
    if (spec?.podCIDRs !== undefined && spec.podCIDRs !== null && (!Array.isArray(spec.podCIDRs) || !spec.podCIDRs.every((c) => typeof c === 'string'))) return 'spec.podCIDRs is not a list of strings';
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
