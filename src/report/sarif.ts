// `-o sarif` (DESIGN §2.6): SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. One rule
// per check rule (`check/rule`), results with the finding's level and stable fingerprint. Code
// scanning shows only results with a physical location, i.e. findings about manifests; findings about
// cluster objects carry a logical location (Kind/namespace/name) that other viewers can show.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Finding, Severity } from '../engine/types.js';
import type { Report, SuppressedFinding } from './model.js';
import { targetLabel } from './finding-names.js';
import { sanitizeDeep } from './sanitize.js';

/** What a SARIF rule says about its check (from the registry and checks/<id>/README.md). */
export interface CheckDoc {
  title: string;
  description: string;
  readme?: string;
  /** The check's declared rules: a rule's own description is its SARIF short description. */
  rules?: Record<string, { description: string }>;
}

export interface SarifOptions {
  /** Per check id; a check without one gets its title from the report. */
  checkDocs?: (checkId: string) => CheckDoc | undefined;
  /** Manifest paths are made relative to this directory (the repository root in CI). */
  cwd?: string;
}

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', warning: 'warning', info: 'note' };

export function renderSarif(input: Report, opts: SarifOptions = {}): string {
  const report = sanitizeDeep(input);
  const cwd = opts.cwd ?? process.cwd();
  const all: (Finding | SuppressedFinding)[] = [...report.findings, ...report.suppressed];

  const rules: object[] = [];
  const ruleIndex = new Map<string, number>();
  for (const f of all) {
    const id = sarifRuleId(f);
    if (ruleIndex.has(id)) continue;
    ruleIndex.set(id, rules.length);
    rules.push(ruleFor(f, id, report, opts.checkDocs?.(f.check)));
  }

  const results = all.map((f) => {
    const id = sarifRuleId(f);
    const suppression = 'suppression' in f ? f.suppression : undefined;
    return {
      ruleId: id,
      ruleIndex: ruleIndex.get(id)!,
      level: LEVEL[f.severity],
      message: { text: `${f.message}${/[.!?]$/.test(f.message) ? '' : '.'} Fix: ${f.remediation.summary}` },
      locations: [location(f, cwd)],
      // No fingerprint → none at all: a made-up one would merge or split alerts across runs.
      ...(f.fingerprint ? { partialFingerprints: { 'checkupFingerprint/v1': f.fingerprint } } : {}),
      ...(suppression ? {
        suppressions: [{
          // An annotation sits on the object itself, the nearest thing a cluster has to "in source".
          kind: suppression.by === 'annotation' ? 'inSource' : 'external',
          status: 'accepted',
          justification: suppression.reason,
          properties: { by: suppression.by, until: suppression.until },
        }],
      } : {}),
      properties: {
        severity: f.severity,
        target: f.target,
        ...(f.expected !== undefined ? { expected: f.expected } : {}),
        ...(f.actual !== undefined ? { actual: f.actual } : {}),
        ...(f.evidence ? { evidence: f.evidence } : {}),
        remediation: f.remediation,
      },
    };
  });

  const started = new Date(report.startedAt);
  const notifications = [
    ...report.checks.filter((c) => c.status === 'error').map((c) => ({
      level: 'error', message: { text: `check ${c.id} failed: ${c.reason ?? 'unknown error'}` }, properties: { check: c.id },
    })),
    ...report.gaps.map((g) => ({
      level: 'warning',
      message: { text: `not collected: ${g.source === 'api' ? `api ${g.resource}` : `ssh ${g.node}${g.probe ? ` [${g.probe}]` : ''}`}: ${g.reason}` },
    })),
    ...report.warnings.map((w) => ({ level: 'warning', message: { text: `${w.code}: ${w.message}` } })),
  ];

  const log = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'kubectl-checkup',
          version: report.tool.version,
          semanticVersion: report.tool.version,
          informationUri: 'https://www.npmjs.com/package/kubectl-checkup',
          rules,
        },
      },
      invocations: [{
        executionSuccessful: true,
        startTimeUtc: started.toISOString(),
        endTimeUtc: new Date(started.getTime() + report.durationMs).toISOString(),
        ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
      }],
      results,
      properties: { cluster: report.cluster, source: report.source, summary: report.summary, checks: report.checks },
    }],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

/** `check/rule`; a finding without a rule is `<check>/<check>` so ids keep one shape. */
export function sarifRuleId(f: Pick<Finding, 'check' | 'rule'>): string {
  return `${f.check}/${f.rule ?? f.check}`;
}

function ruleFor(f: Finding, id: string, report: Report, doc: CheckDoc | undefined): object {
  const title = doc?.title ?? report.checks.find((c) => c.id === f.check)?.title ?? f.check;
  const helpUri = [...report.findings, ...report.suppressed].find((x) => sarifRuleId(x) === id && x.docs && /^https?:\/\//.test(x.docs))?.docs;
  const help = doc?.readme ?? doc?.description ?? title;
  return {
    id,
    name: pascal(f.rule ?? f.check),
    shortDescription: { text: (f.rule && doc?.rules?.[f.rule]?.description) || (f.rule ? `${title} (${f.rule})` : title) },
    fullDescription: { text: doc?.description ?? title },
    ...(helpUri ? { helpUri } : {}),
    help: { text: help, markdown: help },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: { tags: ['kubernetes', f.check] },
  };
}

function location(f: Finding, cwd: string): object {
  const t = f.target;
  const object = `${t.kind}/${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
  const logical = {
    // The object (Kind/namespace/name), then the container within it when the finding is about one.
    logicalLocations: [
      { name: t.name, fullyQualifiedName: object, kind: 'object' },
      ...(t.container ? [{ name: t.container, fullyQualifiedName: `${object}/${t.container}`, kind: 'member' }] : []),
    ],
    message: { text: targetLabel(t) },
  };
  const loc = f.location;
  if (!loc) return logical;
  if (loc.file !== '<stdin>') {
    return { physicalLocation: { artifactLocation: { uri: fileUri(loc.file, cwd) }, region: { startLine: Math.max(1, loc.line) } }, ...logical };
  }
  // Manifests from stdin (helm template | kubectl checkup -f -): the template the Helm `# Source:`
  // comment names is the file to fix; the line in the rendered stream means nothing there.
  if (loc.source) return { physicalLocation: { artifactLocation: { uri: fileUri(loc.source, cwd) } }, ...logical };
  return logical;
}

/** A repository-relative URI reference, or a file: URI for a path outside the working directory. */
function fileUri(file: string, cwd: string): string {
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  const outside = isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`);
  const encoded = (outside ? abs : rel).split(sep).map((seg) => encodeURIComponent(seg)).join('/');
  return outside ? `file://${encoded.startsWith('/') ? '' : '/'}${encoded}` : encoded;
}

function pascal(id: string): string {
  return id.split(/[^A-Za-z0-9]+/).filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}
