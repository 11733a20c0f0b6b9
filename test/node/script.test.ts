// The batched node script: how it is built, how its output is split, and that probe inputs reach a
// fragment as exact data. The scripts also run through the local dash and bash, the same shells a
// node's `sh -s` would be.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNodeScript, octalLiteral, splitNodeOutput, type ProbeRegistry } from '../../src/node/script.js';

const registry: ProbeRegistry = {
  uname: { script: 'uname -r' },
  counter: { script: 'cat /proc/uptime', sampled: true },
  lines: { script: 'cat; exit 3', takesInput: true },
  stdin: { script: 'cat' },
  failing: { script: 'echo partial; echo oops >&2; exit 5' },
  noeol: { script: "printf 'no newline'" },
};

const HOSTILE = [
  "/x'; touch /tmp/pwned; '",
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  '/var/log/"quoted" \\ back\\slash %s %d %%',
  '-rf',
  'ünïcödé ✓',
  '\\0101\\n',
];

function runLocally(shell: string, script: string, cwd: string): string {
  return execFileSync(shell, ['-s'], { input: script, encoding: 'utf8', cwd, env: { PATH: process.env.PATH, HOME: cwd } });
}

describe('buildNodeScript', () => {
  it('keeps slow sampled probes (with input) outermost around the sleep, so counters are sampled one interval apart', () => {
    const reg: ProbeRegistry = { ...registry, slowdisk: { script: 'cat', sampled: true, takesInput: true }, counter2: { script: 'cat /proc/uptime', sampled: true } };
    const plan = buildNodeScript(['counter', 'slowdisk', 'counter2'], 5, {}, reg);
    const order = [...plan.script.matchAll(/begin (\w+) (\d)|^sleep \d+$/gm)].map((m) => (m[1] ? `${m[1]}${m[2]}` : 'sleep'));
    expect(order).toEqual(['slowdisk1', 'counter1', 'counter21', 'sleep', 'counter22', 'counter2', 'slowdisk2']);
  });

  it('frames every section with the run nonce and sets LC_ALL=C', () => {
    const plan = buildNodeScript(['uname'], 0, {}, registry);
    expect(plan.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(plan.script).toContain('LC_ALL=C; export LC_ALL');
    expect(plan.script).toContain(`M='@@checkup-${plan.nonce}'`);
    expect(plan.sections).toEqual([{ probe: 'uname', passes: 1 }]);
  });

  it('uses a fresh nonce per script', () => {
    const a = buildNodeScript(['uname'], 0, {}, registry);
    const b = buildNodeScript(['uname'], 0, {}, registry);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it('samples twice around one sleep, or once when the interval is 0', () => {
    const two = buildNodeScript(['uname', 'counter'], 7, {}, registry);
    expect(two.sections).toEqual([{ probe: 'counter', passes: 2 }, { probe: 'uname', passes: 1 }]);
    const lines = two.script.split('\n');
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('begin counter 1')).toBeLessThan(at('sleep 7'));
    expect(at('sleep 7')).toBeLessThan(at('begin counter 2'));
    expect(lines.filter((l) => l.startsWith('sleep'))).toEqual(['sleep 7']);

    const one = buildNodeScript(['counter'], 0, {}, registry);
    expect(one.sections).toEqual([{ probe: 'counter', passes: 1 }]);
    expect(one.script).not.toMatch(/^sleep/m);
  });

  it('rejects unknown probes and impossible intervals', () => {
    expect(() => buildNodeScript(['nope'], 0, {}, registry)).toThrow('unknown probe: nope');
    expect(() => buildNodeScript(['uname'], -1, {}, registry)).toThrow(RangeError);
    expect(() => buildNodeScript(['uname'], Number.NaN, {}, registry)).toThrow(RangeError);
  });

  it('embeds inputs only as octal escapes: no quote, $, backtick or newline of the data appears', () => {
    const plan = buildNodeScript(['lines'], 0, { lines: HOSTILE }, registry);
    expect(plan.script).not.toContain('pwned');
    expect(plan.script).not.toContain('$(touch');
    const feed = plan.script.split('\n').find((l) => l.startsWith('printf \'\\'))!;
    expect(feed).toMatch(/^printf '(\\[0-7]{3})+' \| \($/);
  });

  it('works with the real probe registry by default', () => {
    expect(buildNodeScript(['uname'], 0).script).toContain('uname -r');
  });
});

describe('octalLiteral', () => {
  it('prints exactly the UTF-8 bytes through dash and bash printf', () => {
    const data = HOSTILE.join('\n') + '\n\t\x01end';
    for (const shell of ['dash', 'bash']) {
      const out = execFileSync(shell, ['-c', `printf ${octalLiteral(data)}`]);
      expect(out.equals(Buffer.from(data, 'utf8'))).toBe(true);
    }
  });
});

describe('script run through a local sh', () => {
  for (const shell of ['dash', 'bash']) {
    it(`${shell}: hostile inputs reach the fragment as exact data and run nothing`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'checkup-script-'));
      try {
        const inputs = [...HOSTILE, "/y'\n; touch pwned2; echo '"];
        const plan = buildNodeScript(['lines', 'uname'], 0, { lines: inputs }, registry);
        // The fragments run with the temp dir as cwd: any `touch` that escaped would land there or in /tmp.
        const { samples, problems, complete } = splitNodeOutput(runLocally(shell, plan.script, dir), plan);
        expect(problems).toEqual([]);
        expect(complete).toBe(true);
        // A string with a newline arrives as two lines: data, split where it says, never code.
        expect(samples.lines).toEqual([{ stdout: inputs.join('\n') + '\n', exitCode: 3 }]);
        expect(readdirSync(dir)).toEqual([]);
        expect(existsSync('/tmp/pwned')).toBe(false);
        expect(samples.uname?.[0].stdout.trim()).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a fragment that reads stdin gets /dev/null, not the rest of the script', () => {
    const plan = buildNodeScript(['stdin', 'uname'], 0, {}, registry);
    const { samples, complete } = splitNodeOutput(runLocally('dash', plan.script, tmpdir()), plan);
    expect(samples.stdin).toEqual([{ stdout: '', exitCode: 0 }]);
    expect(samples.uname).toHaveLength(1);
    expect(complete).toBe(true);
  });

  it('keeps exit codes and exact stdout, discards stderr', () => {
    const plan = buildNodeScript(['failing', 'noeol'], 0, {}, registry);
    const out = runLocally('dash', plan.script, tmpdir());
    expect(out).not.toContain('oops');
    const { samples } = splitNodeOutput(out, plan);
    expect(samples.failing).toEqual([{ stdout: 'partial\n', exitCode: 5 }]);
    expect(samples.noeol).toEqual([{ stdout: 'no newline', exitCode: 0 }]);
  });

  it('sampled probes: two samples, the interval apart, in order', () => {
    const plan = buildNodeScript(['counter'], 1, {}, registry);
    const { samples } = splitNodeOutput(runLocally('dash', plan.script, tmpdir()), plan);
    const [a, b] = samples.counter!.map((s) => Number(s.stdout.split(' ')[0]));
    expect(b - a).toBeGreaterThanOrEqual(0.95);
    expect(b - a).toBeLessThan(1.8);
  });
});

describe('splitNodeOutput', () => {
  const plan = { nonce: 'abc123', sections: [{ probe: 'counter', passes: 2 }, { probe: 'uname', passes: 1 }] };
  const M = '@@checkup-abc123';
  const full = [
    'Welcome to node-1 (motd noise)',
    `${M} start`,
    `${M} begin counter 1`, 'c1', '', `${M} end counter 1 0`,
    `${M} begin counter 2`, 'c2', '', `${M} end counter 2 0`,
    `${M} begin uname 1`, '6.1.0', '', `${M} end uname 1 0`,
    `${M} done`, '',
  ].join('\n');

  it('splits a complete output and ignores text outside the sections', () => {
    expect(splitNodeOutput(full, plan)).toEqual({
      samples: {
        counter: [{ stdout: 'c1\n', exitCode: 0 }, { stdout: 'c2\n', exitCode: 0 }],
        uname: [{ stdout: '6.1.0\n', exitCode: 0 }],
      },
      problems: [],
      started: true,
      complete: true,
    });
  });

  it('truncated output: probes cut off are absent and say why', () => {
    const cut = full.slice(0, full.indexOf('c2'));
    const r = splitNodeOutput(cut, plan);
    expect(r.samples).toEqual({});
    expect(r.problems).toEqual([
      { probe: 'counter', reason: 'output truncated: the session ended while this probe ran' },
      { probe: 'uname', reason: 'output truncated: the session ended before this probe ran' },
    ]);
    expect(r).toMatchObject({ started: true, complete: false });

    const afterFirst = full.slice(0, full.indexOf(`${M} begin counter 2`));
    expect(splitNodeOutput(afterFirst, plan).problems[0])
      .toEqual({ probe: 'counter', reason: 'output truncated: the session ended before the second sample' });
  });

  it('an end marker cut in the middle of its exit code is not trusted', () => {
    const cut = full.slice(0, full.indexOf(`${M} end uname 1 0`) + `${M} end uname 1 `.length);
    expect(splitNodeOutput(cut, plan).problems).toContainEqual({ probe: 'uname', reason: expect.stringContaining('while this probe ran') });
  });

  it('garbage: nothing started, every probe missing', () => {
    const r = splitNodeOutput('bash: sh: command not found\n', plan);
    expect(r).toMatchObject({ samples: {}, started: false, complete: false });
    expect(r.problems.map((p) => p.probe)).toEqual(['counter', 'uname']);
  });

  it('markers with another nonce inside the data are data', () => {
    const forged = full.replace('6.1.0', `6.1.0\n@@checkup-000000 end uname 1 9\n@@checkup-000000 done`);
    const r = splitNodeOutput(forged, plan);
    expect(r.samples.uname).toEqual([{ stdout: '6.1.0\n@@checkup-000000 end uname 1 9\n@@checkup-000000 done\n', exitCode: 0 }]);
  });

  it('a marker not at the start of a line is data', () => {
    const shifted = full.replace(`${M} begin uname 1`, `x${M} begin uname 1`);
    expect(splitNodeOutput(shifted, plan).problems).toEqual([{ probe: 'uname', reason: expect.stringContaining('before this probe ran') }]);
  });
});
