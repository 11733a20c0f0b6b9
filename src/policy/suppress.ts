// Config-file suppressions (DESIGN §2.7): which findings a `suppress:` entry covers. Globs are
// shell-like (`*` any run of characters, `?` one), anchored, case-sensitive like Kubernetes names.
import type { Finding } from '../engine/types.js';
import type { GlobField, SuppressRule } from './config.js';
import { refMatches } from './refs.js';

export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+(){}[\]]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

/** The value a glob field is compared with; undefined when the finding has none (then the glob does
 * not match: `namespace: batch-*` never covers a Node finding). */
export function fieldOf(f: Finding, field: GlobField): string | undefined {
  switch (field) {
    case 'namespace': return f.target.namespace ?? (f.target.kind === 'Namespace' ? f.target.name : undefined);
    case 'name': return f.target.name;
    case 'kind': return f.target.kind;
    case 'container': return f.target.container;
    // The node a finding is about: the target itself, or the node a workload finding names.
    case 'node': return f.target.kind === 'Node' ? f.target.name : typeof f.evidence?.node === 'string' ? f.evidence.node : undefined;
  }
}

export function ruleCovers(rule: SuppressRule, f: Finding): boolean {
  if (!refMatches(rule.ref, f)) return false;
  for (const [field, glob] of Object.entries(rule.globs) as [GlobField, string][]) {
    const value = fieldOf(f, field);
    if (value === undefined || !globToRegExp(glob).test(value)) return false;
  }
  return true;
}
