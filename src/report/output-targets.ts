// `-o/--output FORMAT[=FILE]` (DESIGN §2.6): which renderings of the one report go where. Parsing
// only; the files are written by write-outputs.ts once the report exists.
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';

export const OUTPUT_FORMATS = ['text', 'wide', 'json', 'yaml', 'junit', 'sarif', 'markdown', 'github'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputTarget {
  format: OutputFormat;
  /** Undefined = stdout. */
  file?: string;
}

/**
 * Each value is `FORMAT` (stdout) or `FORMAT=FILE`. At most one goes to stdout; when none does, the
 * text report still does, so a CI log shows what a file-only run found.
 */
export function parseOutputTargets(values: readonly string[]): OutputTarget[] {
  const targets = values.map(parseOne);
  const toStdout = targets.filter((t) => t.file === undefined);
  if (toStdout.length > 1) {
    throw new UsageError(`-o: ${toStdout.map((t) => t.format).join(' and ')} would both go to stdout; write all but one to a file with -o FORMAT=FILE, e.g. -o ${toStdout[1]!.format}=report.${extension(toStdout[1]!.format)}`);
  }
  const seen = new Set<string>();
  for (const t of targets) {
    if (t.file === undefined) continue;
    const path = resolve(t.file);
    if (seen.has(path)) throw new UsageError(`-o: ${t.file} is named twice; give each format its own file`);
    seen.add(path);
  }
  return toStdout.length ? targets : [{ format: 'text' }, ...targets];
}

function parseOne(value: string): OutputTarget {
  const eq = value.indexOf('=');
  const format = (eq < 0 ? value : value.slice(0, eq)).trim();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`-o ${value}: unknown format "${format}"; expected one of ${OUTPUT_FORMATS.join(', ')}, optionally with =FILE (e.g. -o sarif=checkup.sarif)`);
  }
  if (eq < 0) return { format: format as OutputFormat };
  const file = value.slice(eq + 1);
  if (!file.trim()) throw new UsageError(`-o ${value}: the file name after "=" is empty`);
  return { format: format as OutputFormat, file };
}

function extension(format: OutputFormat): string {
  const ext: Record<OutputFormat, string> = { text: 'txt', wide: 'txt', json: 'json', yaml: 'yaml', junit: 'xml', sarif: 'sarif', markdown: 'md', github: 'txt' };
  return ext[format];
}
