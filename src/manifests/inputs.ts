// -f PATH → the texts to parse, the way kubectl reads them: a file as named (any extension), a folder's
// .yaml/.yml/.json files (its subfolders too with -R), `-` for stdin. Files are named by the path as
// given, joined with the path inside the folder, so a finding points where the user looks.
import { lstatSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { UsageError } from '../errors.js';
import type { ManifestProblem } from './parse.js';

/** A rendered chart with its CRDs runs to a few MiB; anything past this is not a manifest set. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
export const STDIN_NAME = '<stdin>';

export interface ManifestInput { file: string; text: string }

export interface ReadInputs {
  inputs: ManifestInput[];
  problems: ManifestProblem[];
}

/** Reads stdin up to a limit: a stream that never ends, or is huge, is refused, not buffered whole. */
export type StdinReader = (limit: number) => Promise<Buffer | 'too-large'>;

export async function readInputs(paths: string[], recursive: boolean, stdin: StdinReader): Promise<ReadInputs> {
  const out: ReadInputs = { inputs: [], problems: [] };
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('-f -: stdin can be read only once');
  for (const path of paths) {
    if (path === '-') {
      const buf = await stdin(MAX_INPUT_BYTES);
      if (buf === 'too-large') out.problems.push({ code: 'manifest-too-large', file: STDIN_NAME, message: `input is over ${MAX_INPUT_BYTES / 1024 / 1024} MiB; not read` });
      else addText(out, STDIN_NAME, buf);
      continue;
    }
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch (err) {
      // A path the user named that is not there is a typo in the pipeline, not bad input to skip.
      throw new UsageError(`-f ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : describe(err)}`);
    }
    if (stats.isDirectory()) readFolder(path, recursive, out);
    else readFile(path, stats, out);
  }
  return out;
}

function readFolder(dir: string, recursive: boolean, out: ReadInputs): void {
  const before = out.inputs.length + out.problems.length;
  let skippedFolders = 0;
  const walk = (folder: string) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      out.problems.push({ code: 'manifest-unreadable', file: folder, message: `cannot read the folder: ${describe(err)}` });
      return;
    }
    for (const e of entries) {
      const path = join(folder, e.name);
      if (e.isDirectory()) {
        if (recursive) walk(path);
        else skippedFolders++;
        continue;
      }
      if (!EXTENSIONS.has(extname(e.name).toLowerCase())) continue;
      let stats: Stats;
      try {
        // Symlinks to files are read; symlinks to folders are not followed (like kubectl: no loops).
        stats = e.isSymbolicLink() ? statSync(path) : lstatSync(path);
      } catch (err) {
        out.problems.push({ code: 'manifest-unreadable', file: path, message: describe(err) });
        continue;
      }
      if (stats.isFile()) readFile(path, stats, out);
    }
  };
  walk(dir);
  if (out.inputs.length + out.problems.length === before) {
    const hint = skippedFolders ? ` (it has ${skippedFolders} subfolder${skippedFolders > 1 ? 's' : ''}: add -R to read them)` : '';
    out.problems.push({ code: 'manifest-empty', file: dir, message: `no .yaml, .yml or .json files in this folder${hint}` });
  }
}

function readFile(path: string, stats: Stats, out: ReadInputs): void {
  if (stats.size > MAX_INPUT_BYTES) {
    out.problems.push({ code: 'manifest-too-large', file: path, message: `file is ${Math.round(stats.size / 1024 / 1024)} MiB, over the ${MAX_INPUT_BYTES / 1024 / 1024} MiB limit; not read` });
    return;
  }
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    out.problems.push({ code: 'manifest-unreadable', file: path, message: `cannot read: ${describe(err)}` });
    return;
  }
  addText(out, path, buf);
}

function addText(out: ReadInputs, file: string, buf: Buffer): void {
  const text = decodeText(buf);
  if (text === undefined) {
    out.problems.push({ code: 'manifest-unreadable', file, message: 'not a text file (binary content, or not UTF-8); not read' });
    return;
  }
  out.inputs.push({ file, text });
}

/** UTF-8 text without its BOM, or undefined for binary content (NUL bytes or invalid UTF-8). */
function decodeText(buf: Buffer): string | undefined {
  if (buf.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES') return 'permission denied';
  return e.message ?? String(err);
}

/** process.stdin, read to its end or to the limit. */
export const readProcessStdin: StdinReader = async (limit) => {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of process.stdin) {
    const b = typeof part === 'string' ? Buffer.from(part) : (part as Buffer);
    size += b.length;
    if (size > limit) {
      process.stdin.destroy();
      return 'too-large';
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
};
