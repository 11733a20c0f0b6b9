// `list` and `explain`: what the checks are, from the registry and the checks' READMEs.
import { CHECKS } from '../../checks/index.js';
import { UsageError } from '../errors.js';
import type { CheckDefinition } from '../engine/types.js';
import { checkReadme } from '../report/check-readme.js';

/** The built-in checks and those of the given --plugin modules. */
export async function registryWith(plugins: readonly string[]): Promise<CheckDefinition[]> {
  if (!plugins.length) return [...CHECKS];
  const { loadPlugins } = await import('../plugins/load.js');
  return [...CHECKS, ...await loadPlugins(plugins, CHECKS)];
}

export function listChecks(format: 'text' | 'json', registry: readonly CheckDefinition[] = CHECKS): string {
  const rows = registry.map((c) => ({
    id: c.id,
    title: c.title,
    severity: c.severity,
    rules: Object.keys(c.rules),
    external: c.id.includes('/'),
    needs: {
      api: (c.needs.api ?? []).map((n) => (typeof n === 'string' ? n : n.kind)),
      nodes: nodeData(c),
    },
  }));
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const w = Math.max(...rows.map((r) => r.id.length));
  const data = { no: 'api', optional: 'api+ssh', required: 'ssh' } as const;
  const lines = rows.map((r) => `${r.id.padEnd(w)}  ${r.severity.padEnd(8)}  ${data[r.needs.nodes].padEnd(7)}  ${r.title}`);
  return [`${'ID'.padEnd(w)}  SEVERITY  DATA     TITLE`, ...lines, '',
    'DATA: api = Kubernetes API only; ssh = reads the nodes over SSH (skipped with --no-ssh);',
    '      api+ssh = decides from the API, and adds node evidence when SSH is available.',
    'Run `kubectl checkup explain <id>` for details.', ''].join('\n');
}

/** Whether a check reads the nodes themselves: it cannot judge without them (a required probe), adds
 * node evidence when it can (optional probes, node facts with their SSH fallback), or never does. */
function nodeData(c: CheckDefinition): 'no' | 'optional' | 'required' {
  const probes = (c.needs.probes ?? []).map((p) => (typeof p === 'string' ? { probe: p } : p));
  if (probes.some((p) => !p.optional)) return 'required';
  const facts = (c.needs.nodeFacts ?? []).filter((f) => typeof f === 'string' || !f.apiOnly);
  return probes.length || facts.length ? 'optional' : 'no';
}

export function explainCheck(id: string, registry: readonly CheckDefinition[] = CHECKS): string {
  const check = registry.find((c) => c.id === id);
  if (!check) {
    const hint = id.includes('/') ? ' (an external check: give its module with --plugin)' : '';
    throw new UsageError(`unknown check "${id}"${hint}; known checks: ${registry.map((c) => c.id).join(', ')}`);
  }
  const header = `${check.id} — ${check.title}\nseverity up to: ${check.severity}\n\n`;
  // Built-in READMEs list their rules; an external check's text may not, so they are appended.
  const readme = check.id.includes('/') ? check.readme : checkReadme(id);
  if (readme && !check.id.includes('/')) return header + readme;
  const rules = Object.entries(check.rules).map(([rule, r]) => `  ${rule}: ${r.description}`).join('\n');
  return header + (readme ? readme.trimEnd() : check.description) + `\n\nRules (${check.id}/<rule>):\n${rules}\n`;
}
