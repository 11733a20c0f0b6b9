// Runs one check through the real engine over inline objects and raw node output, for table tests.
import { memoryApiSource, memoryNodeSource, type ObjectsByKind, type RawNodes } from '../../src/engine/memory-source.js';
import { runChecks } from '../../src/engine/run.js';
import type { CheckDefinition, CheckResult, Finding } from '../../src/engine/types.js';

export interface CheckCase {
  objects?: ObjectsByKind;
  /** Raw probe output per node name (the node must also be in objects.Node). Omit for an API-only run. */
  nodes?: RawNodes;
  now?: Date;
  sampleIntervalSeconds?: number;
  unavailable?: NonNullable<Parameters<typeof memoryApiSource>[1]>['unavailable'];
  /** Kubelet endpoints (configz, stats/summary) per node, or one reason for all, e.g. 'forbidden'. */
  nodeProxy?: NonNullable<Parameters<typeof memoryApiSource>[1]>['nodeProxy'];
  /** The API server's /metrics, one text per scrape, or why it is unavailable (e.g. 'forbidden'). */
  metrics?: string[] | string;
  version?: string;
}

export async function runCheck(check: CheckDefinition, c: CheckCase): Promise<{ result: CheckResult; findings: Finding[] }> {
  const out = await runChecks({
    checks: [check],
    api: memoryApiSource(c.objects ?? {}, { now: c.now ?? new Date('2026-11-25T12:00:00Z'), unavailable: c.unavailable, nodeProxy: c.nodeProxy,
      metrics: c.metrics, cluster: c.version ? { version: c.version } : undefined }),
    nodes: c.nodes ? memoryNodeSource(c.nodes, c.sampleIntervalSeconds ?? 5) : undefined,
    scope: {},
    settings: { sampleIntervalSeconds: c.sampleIntervalSeconds ?? 5 },
  });
  return { result: out.results[0]!, findings: out.findings };
}
