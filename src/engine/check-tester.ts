// runCheck: one check through the real engine over in-memory objects, raw node probe output and
// kubelet endpoint answers — the table-test helper for built-in and external checks alike (ESLint's
// RuleTester). It validates the check first, as --plugin does, so a test fails where a load would.
import { memoryApiSource, memoryNodeSource, type ObjectsByKind, type RawNodes } from './memory-source.js';
import { runChecks } from './run.js';
import type { CheckDefinition, CheckResult, Finding, SettingValues } from './types.js';
import { validateCheck } from './validate.js';

export interface CheckCase {
  /** API objects by kind, e.g. { Pod: [...], Service: [...] }. */
  objects?: ObjectsByKind;
  /** Raw probe output per node name (the node must also be in objects.Node): a string is one sample's
   * stdout; a node given as a string is unreachable with that reason. Omit for an API-only run. */
  nodes?: RawNodes;
  /** "Now" as the cluster says (default 2026-11-25T12:00:00Z). */
  now?: Date;
  sampleIntervalSeconds?: number;
  /** Kinds whose list fails, with the reason (e.g. { Event: 'forbidden' }). */
  unavailable?: NonNullable<Parameters<typeof memoryApiSource>[1]>['unavailable'];
  /** Kubelet endpoints (configz, stats/summary) per node, or one reason for all, e.g. 'forbidden'. */
  nodeProxy?: NonNullable<Parameters<typeof memoryApiSource>[1]>['nodeProxy'];
  /** The API server's /metrics, one text per scrape, or why it is unavailable (e.g. 'forbidden'). */
  metrics?: string[] | string;
  /** The Kubernetes version the API server reports (e.g. 'v1.32.4'). */
  version?: string;
  /** The check's settings, as the config file would give them. */
  options?: SettingValues;
  /** -n: the namespace the run is restricted to. */
  namespace?: string;
}

export async function runCheck(check: CheckDefinition, c: CheckCase = {}): Promise<{ result: CheckResult; findings: Finding[] }> {
  validateCheck(check, { external: check.id.includes('/') });
  const out = await runChecks({
    checks: [check],
    api: memoryApiSource(c.objects ?? {}, { now: c.now ?? new Date('2026-11-25T12:00:00Z'), unavailable: c.unavailable, nodeProxy: c.nodeProxy,
      metrics: c.metrics, cluster: c.version ? { version: c.version } : undefined }),
    nodes: c.nodes ? memoryNodeSource(c.nodes, c.sampleIntervalSeconds ?? 5) : undefined,
    scope: { namespace: c.namespace },
    settings: { sampleIntervalSeconds: c.sampleIntervalSeconds ?? 5, namespace: c.namespace },
    checkOptions: c.options ? { [check.id]: c.options } : undefined,
  });
  return { result: out.results[0]!, findings: out.findings };
}
