// Renders the one report in every format asked for and writes each where it goes (DESIGN §2.6).
// Files are written to a temporary file beside the target and renamed over it, so a reader (a CI
// step, a file watcher) never sees half a report.
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { renderGithub } from './github.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';
import type { OutputFormat, OutputTarget } from './output-targets.js';
import { renderSarif, type SarifOptions } from './sarif.js';
import { renderText, type TextOptions } from './text.js';
import { renderYaml } from './yaml.js';

export interface RenderContext {
  text: Omit<TextOptions, 'colorLevel' | 'wide'>;
  sarif: SarifOptions;
  /** Colour level of stdout (files never get colour). */
  stdoutColorLevel: TextOptions['colorLevel'];
}

export function renderOutput(format: OutputFormat, report: Report, ctx: RenderContext, colorLevel: TextOptions['colorLevel'] = 0): string {
  switch (format) {
    case 'text': return renderText(report, { ...ctx.text, colorLevel });
    case 'wide': return renderText(report, { ...ctx.text, colorLevel, wide: true });
    case 'json': return renderJson(report);
    case 'yaml': return renderYaml(report);
    case 'junit': return renderJunit(report);
    case 'sarif': return renderSarif(report, ctx.sarif);
    case 'markdown': return renderMarkdown(report);
    case 'github': return renderGithub(report);
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
export function writeOutputs(targets: readonly OutputTarget[], report: Report, ctx: RenderContext, stdout: NodeJS.WritableStream): void {
  for (const t of targets) {
    if (t.file !== undefined) writeAtomically(t.file, renderOutput(t.format, report, ctx));
  }
  const toStdout = targets.find((t) => t.file === undefined);
  if (!toStdout) return;
  // `kubectl checkup -o json | head`: the reader leaving early is not an error of ours (no stack
  // trace); the exit code still reports the findings.
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  stdout.write(renderOutput(toStdout.format, report, ctx, ctx.stdoutColorLevel));
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
