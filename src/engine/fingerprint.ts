// A finding's fingerprint (DESIGN §2.5): the same problem keeps it from run to run, so baselines,
// suppressions and SARIF code scanning can follow it. It hashes what identifies the problem — check,
// rule, cluster, target, container — and never message text, numbers or times.
import { createHash } from 'node:crypto';
import type { Target } from './types.js';

export function fingerprint(check: string, rule: string, cluster: string, target: Target): string {
  const key = [check, rule, cluster, target.kind, target.namespace ?? '', target.name, target.container ?? ''];
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32);
}
