// `list` and `explain`: what the checks are, from the registry and the checks' READMEs.
import { CHECKS } from '../../checks/index.js';
import { UsageError } from '../errors.js';
import { CHECK_IDS } from '../engine/types.js';
import { checkReadme } from '../report/check-readme.js';

export function listChecks(format: 'text' | 'json'): string {
  const rows = CHECKS.map((c) => ({
    id: c.id,
    title: c.title,
    severity: c.severity,
    needs: {
      api: (c.needs.api ?? []).map((n) => (typeof n === 'string' ? n : n.kind)),
      nodes: (c.needs.probes?.length ? (c.needs.probesOptional ? 'optional' : 'required') : 'no') as 'no' | 'optional' | 'required',
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

export function explainCheck(id: string): string {
  const check = CHECKS.find((c) => c.id === id);
  if (!check) {
    const planned = (CHECK_IDS as readonly string[]).includes(id) ? ` (${id} is a reserved check id, not implemented in this version)` : '';
    throw new UsageError(`unknown check "${id}"${planned}; known checks: ${CHECKS.map((c) => c.id).join(', ')}`);
  }
  const readme = checkReadme(id);
  const header = `${check.id} — ${check.title}\nseverity up to: ${check.severity}\n\n`;
  return header + (readme ?? `${check.description}\n`);
}
