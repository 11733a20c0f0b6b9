// How every format names a finding's target and rule, so the text, JUnit, SARIF, Markdown and
// GitHub outputs of one report agree.
import type { Finding, Target } from '../engine/types.js';

/** `Kind/namespace/name` (no namespace segment for cluster-scoped objects) plus ` container <c>`. */
export function targetLabel(t: Target): string {
  return `${t.kind}/${t.namespace ? `${t.namespace}/` : ''}${t.name}${t.container ? ` container ${t.container}` : ''}`;
}

/** `check/rule`; the check id alone for a finding that carries no rule (older reports, a check
 * without rule ids). */
export function ruleLabel(f: Pick<Finding, 'check' | 'rule'>): string {
  return f.rule ? `${f.check}/${f.rule}` : f.check;
}
