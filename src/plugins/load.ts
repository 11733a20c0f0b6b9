// External checks (DESIGN §2.11): ES modules whose default export is a check, or an array of them,
// loaded with --plugin or the config file's `plugins:`. A module that cannot be loaded or whose
// checks do not validate stops the run (exit 2) with the module and the reason: running without a
// check the user asked for would be a silent pass.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { CheckValidationError, validateCheck } from '../engine/validate.js';
import type { CheckDefinition } from '../engine/types.js';

export class PluginError extends ConfigError {}

let hooked = false;

/** Loads every module in order and returns their checks, validated, with no id twice. */
export async function loadPlugins(specs: readonly string[], builtins: readonly CheckDefinition[], baseDir = process.cwd()): Promise<CheckDefinition[]> {
  if (!specs.length) return [];
  if (!hooked) {
    register(new URL('./resolve-hooks.js', import.meta.url), { data: { checkUrl: new URL('../check.js', import.meta.url).href } });
    hooked = true;
  }
  const taken = new Map<string, string>(builtins.map((c) => [c.id, 'a built-in check']));
  const loaded: CheckDefinition[] = [];
  const files = new Set<string>();
  for (const spec of specs) {
    const file = locate(spec, baseDir);
    // The same module named twice (in the config file and with --plugin) is loaded once.
    if (files.has(file)) continue;
    files.add(file);
    let mod: { default?: unknown };
    try {
      mod = await import(pathToFileURL(file).href) as { default?: unknown };
    } catch (err) {
      throw new PluginError(`--plugin ${spec}: could not load ${file}: ${firstLine(err)}`);
    }
    if (mod.default === undefined) throw new PluginError(`--plugin ${spec}: no default export (export default defineCheck({...}) or an array of checks)`);
    const checks = Array.isArray(mod.default) ? mod.default : [mod.default];
    if (!checks.length) throw new PluginError(`--plugin ${spec}: the default export is an empty array`);
    for (const check of checks) {
      const id = typeof (check as { id?: unknown })?.id === 'string' ? (check as { id: string }).id : undefined;
      if (id && taken.has(id)) throw new PluginError(`--plugin ${spec}: check id "${id}" is already used by ${taken.get(id)}`);
      try {
        validateCheck(check, { external: true });
      } catch (err) {
        if (!(err instanceof CheckValidationError)) throw err;
        throw new PluginError(`--plugin ${spec}: ${err.message}`);
      }
      taken.set(check.id, `--plugin ${spec}`);
      loaded.push(check);
    }
  }
  return loaded;
}

/** A path (relative to baseDir) or an installed package name, resolved as Node would from baseDir. */
function locate(spec: string, baseDir: string): string {
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec) || /\.[cm]?[jt]s$/.test(spec);
  if (looksLikePath) {
    const file = resolvePath(baseDir, spec);
    if (/\.[cm]?ts$/.test(file)) throw new PluginError(`--plugin ${spec}: TypeScript is not loaded directly; compile it to JavaScript (tsc) and give the .js file`);
    if (!existsSync(file)) throw new PluginError(`--plugin ${spec}: no such file (${file})`);
    if (statSync(file).isDirectory()) throw new PluginError(`--plugin ${spec}: is a folder; give the module file (e.g. ${join(spec, 'index.js')})`);
    return file;
  }
  try {
    return createRequire(join(baseDir, 'noop.js')).resolve(spec);
  } catch {
    // require.resolve does not know the `import` condition of ESM-only packages: read their exports.
    const file = esmEntry(spec, baseDir);
    if (file) return file;
    throw new PluginError(`--plugin ${spec}: no file or installed package of that name (looked from ${baseDir}; npm install ${spec})`);
  }
}

/** The ESM entry of an installed package (exports "." with import/default, else main), searched in
 * the node_modules folders from baseDir upwards. */
function esmEntry(spec: string, baseDir: string): string | undefined {
  const name = /^(@[^/]+\/[^/]+|[^/@][^/]*)$/.exec(spec)?.[1];
  if (!name) return undefined;
  for (let dir = resolvePath(baseDir); ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) {
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
      const target = pick(typeof pkg.exports === 'object' && pkg.exports !== null && '.' in pkg.exports ? (pkg.exports as Record<string, unknown>)['.'] : pkg.exports) ?? pkg.main ?? 'index.js';
      return join(pkgDir, target);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function pick(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  return pick(e.import) ?? pick(e.node) ?? pick(e.default);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
