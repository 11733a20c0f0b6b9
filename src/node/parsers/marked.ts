// Probe fragments frame their output with "@@ " marker lines so a parser can tell a missing file from
// an empty one, and a complete run from one cut off mid-way (the last line is always "@@ end").
import { ProbeError } from '../probe-types.js';

export const MARK = '@@ ';

/** sh that prints each file framed by markers: "@@ file <path>" + its lines, or "@@ missing <path>" /
 * "@@ unreadable <path>" / "@@ failed <path>"; then "@@ end". Paths are constants of the probe. */
export function catFilesScript(paths: readonly string[]): string {
  return [
    `for f in ${paths.join(' ')}; do`,
    `  if [ ! -e "$f" ]; then echo "${MARK}missing $f"`,
    `  elif [ ! -r "$f" ]; then echo "${MARK}unreadable $f"`,
    `  else echo "${MARK}file $f"; cat "$f" || echo "${MARK}failed $f"; fi`,
    'done',
    `echo "${MARK}end"`,
  ].join('\n');
}

export interface Marked {
  /** Marker lines in order, without the "@@ " prefix, each with the data lines that followed it. */
  sections: { marker: string; lines: string[] }[];
}

/** Splits framed output; throws ProbeError when the "@@ end" line is missing (truncated output) or
 * data appears before the first marker (not our fragment's output). */
export function splitMarked(stdout: string, what: string): Marked {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const sections: Marked['sections'] = [];
  let ended = false;
  for (const line of lines) {
    if (ended) {
      if (line.trim() !== '') throw new ProbeError(`${what}: unexpected output after the end marker`);
      continue;
    }
    if (line.startsWith(MARK)) {
      const marker = line.slice(MARK.length).trim();
      if (marker === 'end') { ended = true; continue; }
      sections.push({ marker, lines: [] });
    } else if (sections.length) {
      sections.at(-1)!.lines.push(line);
    } else if (line.trim() !== '') {
      throw new ProbeError(`${what}: unexpected output ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  if (!ended) throw new ProbeError(`${what}: output is truncated (no end marker)`);
  return { sections };
}

export type FileRead = { state: 'ok'; lines: string[] } | { state: 'missing' | 'unreadable' | 'failed' };

/** The per-file results of catFilesScript output. */
export function readFiles(stdout: string, what: string): Map<string, FileRead> {
  const out = new Map<string, FileRead>();
  for (const { marker, lines } of splitMarked(stdout, what).sections) {
    const m = /^(file|missing|unreadable|failed) (\S+)$/.exec(marker);
    if (!m) throw new ProbeError(`${what}: unexpected marker ${JSON.stringify(marker.slice(0, 80))}`);
    const [, state, path] = m as unknown as [string, string, string];
    if (state === 'file') out.set(path, { state: 'ok', lines });
    else out.set(path, { state: state as 'missing' | 'unreadable' | 'failed' });
  }
  return out;
}

/** A human reason for a file that could not be read. */
export function unreadableReason(path: string, read: FileRead | undefined): string {
  if (!read) return `${path}: not in the output`;
  switch (read.state) {
    case 'missing': return `${path} does not exist`;
    case 'unreadable': return `${path}: permission denied (use --sudo)`;
    case 'failed': return `${path} could not be read`;
    default: return `${path}: read`;
  }
}
