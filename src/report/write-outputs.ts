// Renders the one report in every format asked for and writes each where it goes (DESIGN §2.6).
// Files are written to a temporary file beside the target and renamed over it, so a reader (a CI
// step, a file watcher) never sees half a report.
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    if (t.file !== undefined) writeAtomically(t.file, await renderOutput(t.format, report, ctx));
  }
  const toStdout = targets.find((t) => t.file === undefined);
  if (!toStdout) return;
  // A reader that leaves early (`-o json | head`, EPIPE) is handled once for all output in cli/main.ts.
  stdout.write(await renderOutput(toStdout.format, report, ctx, ctx.stdoutColorLevel));
}

export function writeAtomically(file: string, content: string): void {
  const path = resolve(file);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, content, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ConfigError(`cannot write ${file}: ${(err as Error).message}`);
  }
}
