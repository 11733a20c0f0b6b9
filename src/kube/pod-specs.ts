// Where pod specs sit in the objects that carry one: a Pod's spec, a workload's spec.template.spec,
// a CronJob's spec.jobTemplate.spec.template.spec. Shape checks and snapshot redaction walk the same.
import { isObject } from '../util/dict.js';

export const POD_SPEC_PATHS: readonly (readonly string[])[] = [['spec'], ['spec', 'template', 'spec'], ['spec', 'jobTemplate', 'spec', 'template', 'spec']];

/** The value at `path` below `obj`, or undefined where a step is not an object. */
export function valueAt(obj: unknown, path: readonly string[]): unknown {
  let o = obj;
  for (const k of path) o = isObject(o) ? o[k] : undefined;
  return o;
}
