// One POSIX sh script per node (DESIGN §3.4): every probe a run needs, in one SSH session, each
// fragment framed by markers that carry a random nonce, so the output can be split per probe and a
// cut-off session costs only the probes that had not finished.
//
// Nothing from the cluster is spliced into the script as code (check-facts §0.4, §7.3). Probe inputs
// (e.g. hostPath paths) are embedded as octal escapes in a single-quoted printf format: the alphabet
// is `\` and 0-7, so no input can close the quote, expand a variable or start a command; printf is a
// builtin in every sh (dash, bash, busybox ash), so decoding needs no base64 binary on the node and
// cannot fail silently in the middle of a pipeline.
import { randomBytes } from 'node:crypto';
import type { RawSample } from './probe-types.js';
import { PROBES } from './probes.js';

/** The part of a probe definition the script needs. */
export interface ScriptProbe {
  script: string;
  sampled?: boolean;
  takesInput?: boolean;
}

export type ProbeRegistry = Readonly<Record<string, ScriptProbe>>;

export type ScriptInputs = Readonly<Record<string, readonly string[] | undefined>>;

export interface NodeScript {
  script: string;
  nonce: string;
  /** What the output must contain: each probe with the number of passes it runs. */
  sections: { probe: string; passes: number }[];
}

export interface SplitOutput {
  samples: Record<string, RawSample[]>;
  /** Probes whose output is incomplete, and why. They are absent from `samples`. */
  problems: { probe: string; reason: string }[];
  /** The script began (its start marker is in the output): the node was reached and ran it. */
  started: boolean;
  /** The script ran to its end. */
  complete: boolean;
}

const marker = (nonce: string) => `@@checkup-${nonce}`;

/** A string as a printf format that prints exactly its UTF-8 bytes (every byte as a \ooo escape). */
export function octalLiteral(data: string): string {
  let out = '';
  for (const byte of Buffer.from(data, 'utf8')) out += '\\' + byte.toString(8).padStart(3, '0');
  return `'${out}'`;
}

/** Input lines as the fragment reads them on stdin: one per line. A string with a newline becomes
 * two lines; probe owners validate what they accept before it gets here. */
function inputText(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

export function buildNodeScript(
  probes: readonly string[],
  intervalSeconds: number,
  inputs: ScriptInputs = {},
  registry: ProbeRegistry = PROBES,
): NodeScript {
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0) throw new RangeError(`invalid sample interval: ${intervalSeconds}`);
  const nonce = randomBytes(16).toString('hex');
  const names = [...new Set(probes)];
  for (const name of names) {
    if (!Object.hasOwn(registry, name)) throw new Error(`unknown probe: ${name}`);
    // Probe names appear in the marker lines; keep them to one safe word.
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`probe name not usable in a marker: ${JSON.stringify(name)}`);
  }
  const twoPasses = (name: string) => !!registry[name].sampled && intervalSeconds > 0;
  const sampled = names.filter((n) => registry[n].sampled);
  const others = names.filter((n) => !registry[n].sampled);

  const lines = [
    '# kubectl-checkup node probes: read-only. Generated per run; the nonce marks the sections.',
    'LC_ALL=C; export LC_ALL',
    `M='${marker(nonce)}'`,
    `printf '%s start\\n' "$M"`,
  ];
  const section = (name: string, pass: number) => {
    const def = registry[name];
    const lines2 = [`printf '%s begin ${name} ${pass}\\n' "$M"`];
    // stdin is never the script itself: a fragment that reads stdin would otherwise eat the rest of it.
    const feed = def.takesInput ? `printf ${octalLiteral(inputText(inputs[name] ?? []))} | ` : '';
    const stdin = def.takesInput ? '' : ' </dev/null';
    lines2.push(`${feed}(\n${def.script}\n)${stdin} 2>/dev/null`);
    // The newline keeps the marker on its own line whether or not the fragment ended its output with one.
    lines2.push(`printf '\\n%s end ${name} ${pass} %s\\n' "$M" "$?"`);
    return lines2;
  };
  // Sampled probes run around the sleep, mirrored (pass 1 in order, pass 2 reversed), so that the
  // slow ones (those measuring disks with input, e.g. du over hostPaths) sit outermost and the time
  // between a counter's two samples stays close to the interval the rates are divided by.
  const byCost = [...sampled.filter((n) => registry[n]!.takesInput), ...sampled.filter((n) => !registry[n]!.takesInput)];
  for (const name of byCost) lines.push(...section(name, 1));
  if (sampled.length && intervalSeconds > 0) {
    // Says the node is now only waiting: the SSH transport gives back its slot here (issue 14).
    lines.push(`printf '%s sleeping\\n' "$M"`);
    lines.push(`sleep ${Number.isInteger(intervalSeconds) ? intervalSeconds : intervalSeconds.toFixed(3)}`);
    for (const name of [...byCost].reverse()) lines.push(...section(name, 2));
  }
  for (const name of others) lines.push(...section(name, 1));
  lines.push(`printf '%s done\\n' "$M"`, '');

  return {
    script: lines.join('\n'),
    nonce,
    sections: [...sampled, ...others].map((probe) => ({ probe, passes: twoPasses(probe) ? 2 : 1 })),
  };
}

/** Splits what the script printed into samples per probe. Text outside the sections (a login
 * banner, a noisy shell profile) is ignored; a section without its end marker is not trusted. */
export function splitNodeOutput(stdout: string, plan: Pick<NodeScript, 'nonce' | 'sections'>): SplitOutput {
  const m = marker(plan.nonce);
  const started = atLineStart(stdout, `${m} start\n`) >= 0;
  const complete = atLineStart(stdout, `${m} done\n`) >= 0;
  const samples: Record<string, RawSample[]> = Object.create(null);
  const problems: { probe: string; reason: string }[] = [];

  for (const { probe, passes } of plan.sections) {
    const got: RawSample[] = [];
    let reason: string | null = null;
    for (let pass = 1; pass <= passes && !reason; pass++) {
      const begin = `${m} begin ${probe} ${pass}\n`;
      const b = atLineStart(stdout, begin);
      if (b < 0) {
        reason = pass === 1 ? 'output truncated: the session ended before this probe ran'
          : 'output truncated: the session ended before the second sample';
        break;
      }
      const from = b + begin.length;
      const endPrefix = `\n${m} end ${probe} ${pass} `;
      const e = stdout.indexOf(endPrefix, from);
      const tail = e < 0 ? null : /^(\d+)\n/.exec(stdout.slice(e + endPrefix.length));
      if (e < 0 || !tail) {
        reason = 'output truncated: the session ended while this probe ran';
        break;
      }
      // The script wrote one newline of its own before the end marker.
      got.push({ stdout: stdout.slice(from, e), exitCode: Number(tail[1]) });
    }
    if (reason) problems.push({ probe, reason });
    else samples[probe] = got;
  }
  return { samples, problems, started, complete };
}

function atLineStart(text: string, line: string): number {
  if (text.startsWith(line)) return 0;
  const i = text.indexOf(`\n${line}`);
  return i < 0 ? -1 : i + 1;
}
