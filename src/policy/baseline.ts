// --baseline FILE (DESIGN §2.9): an earlier JSON report. Its fingerprints — from findings[] and from
// suppressed[], so this run's report can be the next run's baseline — are the problems already known.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export interface Baseline {
  file: string;
  /** When the baseline report was made (its startedAt), for the suppression reason. */
  startedAt: string | null;
  /** fingerprint → the check that reported it (to tell "fixed" from "not checked this time"). */
  fingerprints: Map<string, string>;
}

export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--baseline ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseBaseline(text, file);
}

export function parseBaseline(text: string, file: string): Baseline {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`--baseline ${file}: not JSON (${err instanceof Error ? err.message : String(err)}); use a report written with -o json`);
  }
  const r = doc as { apiVersion?: unknown; kind?: unknown; findings?: unknown; suppressed?: unknown; startedAt?: unknown };
  if (typeof doc !== 'object' || doc === null || r.apiVersion !== 'checkup.k8s.io/v1' || r.kind !== 'Report') {
    throw new ConfigError(`--baseline ${file}: not a kubectl-checkup report (expected apiVersion checkup.k8s.io/v1, kind Report; use a report written with -o json)`);
  }
  if (!Array.isArray(r.findings) || (r.suppressed !== undefined && !Array.isArray(r.suppressed))) {
    throw new ConfigError(`--baseline ${file}: findings (and suppressed, when present) must be lists`);
  }
  const entries = [...r.findings, ...((r.suppressed as unknown[] | undefined) ?? [])] as { check?: unknown; fingerprint?: unknown }[];
  const fingerprints = new Map<string, string>();
  let without = 0;
  for (const f of entries) {
    if (typeof f?.fingerprint === 'string' && f.fingerprint) fingerprints.set(f.fingerprint, typeof f.check === 'string' ? f.check : '');
    else without++;
  }
  // A report from a version before fingerprints would silently match nothing and fail every finding.
  if (without && !fingerprints.size) {
    throw new ConfigError(`--baseline ${file}: its findings have no fingerprints (written by an older kubectl-checkup); write a new baseline with -o json`);
  }
  return { file, startedAt: typeof r.startedAt === 'string' ? r.startedAt : null, fingerprints };
}
