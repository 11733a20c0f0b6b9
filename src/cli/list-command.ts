// `list` and `explain`: what the checks are, from the registry and the checks' READMEs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS } from '../../checks/index.js';
import { UsageError } from '../errors.js';
import { BUILTIN_CHECK_IDS, type CheckDefinition } from '../engine/types.js';

export function listChecks(format: 'text' | 'json'): string {
  const rows = CHECKS.map((c) => ({
    id: c.id,
    title: c.title,
    severity: c.severity,
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

export function explainCheck(id: string): string {
  const check = CHECKS.find((c) => c.id === id);
  if (!check) {
    const planned = (BUILTIN_CHECK_IDS as readonly string[]).includes(id) ? ` (${id} is a reserved check id, not implemented in this version)` : '';
    throw new UsageError(`unknown check "${id}"${planned}; known checks: ${CHECKS.map((c) => c.id).join(', ')}`);
  }
  const readme = findReadme(id);
  const header = `${check.id} — ${check.title}\nseverity up to: ${check.severity}\n\n`;
  return header + (readme ?? `${check.description}\n`);
}

function findReadme(id: string): string | undefined {
  // dist/src/cli → package root; src/cli (tests) → package root.
  for (const up of ['../../..', '../..']) {
    const file = join(import.meta.dirname, up, 'checks', id, 'README.md');
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  return undefined;
}
