// Renders the one report in every format asked for and writes each where it goes (DESIGN §2.6).
// Files are written to a temporary file beside the target and renamed over it, so a reader (a CI
// step, a file watcher) never sees half a report.
import { accessSync, closeSync, constants, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import type { Report } from './model.js';
import type { OutputFormat, OutputTarget } from './output-targets.js';
import type { SarifOptions } from './sarif.js';
import type { TextOptions } from './text.js';

export interface RenderContext {
  text: Omit<TextOptions, 'colorLevel' | 'wide'>;
  sarif: SarifOptions;
  /** Colour level of stdout (files never get colour). */
  stdoutColorLevel: TextOptions['colorLevel'];
}

/** Each renderer is imported when its format is asked for: a JSON run does not load chalk, yaml or
 * the SARIF rules (startup, issue 14). */
export async function renderOutput(format: OutputFormat, report: Report, ctx: RenderContext, colorLevel: TextOptions['colorLevel'] = 0): Promise<string> {
  switch (format) {
    case 'text': return (await import('./text.js')).renderText(report, { ...ctx.text, colorLevel });
    case 'wide': return (await import('./text.js')).renderText(report, { ...ctx.text, colorLevel, wide: true });
    case 'json': return (await import('./json.js')).renderJson(report);
    case 'yaml': return (await import('./yaml.js')).renderYaml(report);
    case 'junit': return (await import('./junit.js')).renderJunit(report);
    case 'sarif': return (await import('./sarif.js')).renderSarif(report, ctx.sarif);
    case 'markdown': return (await import('./markdown.js')).renderMarkdown(report);
    case 'github': return (await import('./github.js')).renderGithub(report);
  }
}

/** Before the run: a file that cannot be written fails now, not after minutes of collection. */
export function checkOutputFiles(targets: readonly OutputTarget[]): void {
  for (const t of targets) {
    if (t.file === undefined) continue;
    const path = resolve(t.file);
    const dir = dirname(path);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch { /* reported below */ }
    if (!isDir) throw new UsageError(`-o ${t.format}=${t.file}: directory ${dir} does not exist`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new UsageError(`-o ${t.format}=${t.file}: directory ${dir} is not writable`);
    }
    try {
      if (statSync(path).isDirectory()) throw new UsageError(`-o ${t.format}=${t.file}: is a directory; name a file`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
    }
  }
}

/** Files first, stdout last: a failed file write (disk full) is an error before the report is shown. */
export async function writeOutputs(targets: readonly OutputTarget[], report: Report, ctx: RenderContext, stdout: NodeJS.WritableStream): Promise<void> {
  for (const t of targets) {
    if (t.file !== undefined) await writeAtomically(t.file, (sink) => emit(t.format, report, ctx, 0, sink));
  }
  const toStdout = targets.find((t) => t.file === undefined);
  if (!toStdout) return;
  // A reader that leaves early (`-o json | head`, EPIPE) is handled once for all output in cli/main.ts.
  await emit(toStdout.format, report, ctx, ctx.stdoutColorLevel, (chunk) => { stdout.write(chunk); });
}

/** One format into sink. JSON goes a piece at a time: at 150k pods the report is tens of MB, and as one
 * string (and the garbage of building it) it was the run's peak memory (issue 14). */
async function emit(format: OutputFormat, report: Report, ctx: RenderContext, colorLevel: TextOptions['colorLevel'], sink: (chunk: string) => void): Promise<void> {
  if (format === 'json') (await import('./json.js')).writeJson(report, sink);
  else sink(await renderOutput(format, report, ctx, colorLevel));
}

/** Writes what `produce` gives to a temporary file beside `file`, then renames it over `file`. */
export async function writeAtomically(file: string, produce: (sink: (chunk: string) => void) => void | Promise<void>): Promise<void> {
  const path = resolve(file);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    const out = fd;
    await produce((chunk) => { writeSync(out, chunk); });
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    // The file system's refusal (ENOSPC, EACCES…) is the user's to fix; anything else is a bug.
    if ((err as NodeJS.ErrnoException).syscall) throw new ConfigError(`cannot write ${file}: ${(err as Error).message}`);
    throw err;
  }
}
