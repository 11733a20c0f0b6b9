// Property tests over every probe parser: random text, and real node output (the demo cluster's)
// mutated the ways a node, a network or an attacker mangles it — lines dropped, doubled, cut, hostile
// tokens, huge numbers, control characters, a 1 MB line. A parser either returns a value or throws a
// ProbeError (a gap for that probe); nothing else escapes, no prototype changes, and the node script's
// splitter ignores any noise outside its sections. Bounded: each property stops after a few seconds.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROBES, type ProbeName } from '../../src/node/probes.js';
import { ProbeError, type RawSample } from '../../src/node/probe-types.js';
import { parseNodeCollection } from '../../src/node/parse-collection.js';
import { buildNodeScript, splitNodeOutput } from '../../src/node/script.js';
import { parseCidr, parseIp } from '../../src/node/parsers/cidr.js';
import { parseKernelLogLine, synFloodLine } from '../../src/node/parsers/kernel-log.js';
import { DEMO_DIR } from '../support/demo-cluster.js';
import { HOSTILE_KEYS, expectPrototypesIntact, prototypeState } from './prototype-guard.js';

const LIMIT = { numRuns: 300, interruptAfterTimeLimit: 3000 };

/** Real outputs per probe, from every demo node. */
const REAL = new Map<ProbeName, string[]>();
for (const file of readdirSync(join(DEMO_DIR, 'nodes')).filter((f) => !f.endsWith('.api.json'))) {
  const doc = JSON.parse(readFileSync(join(DEMO_DIR, 'nodes', file), 'utf8'));
  for (const [probe, samples] of Object.entries(doc.samples ?? {}) as [ProbeName, RawSample[]][]) {
    REAL.set(probe, [...(REAL.get(probe) ?? []), ...samples.map((s) => s.stdout)]);
  }
}

const hostileToken = fc.oneof(
  fc.constantFrom(...HOSTILE_KEYS, '-1', '99999999999999999999999', 'NaN', 'Infinity', '1e309', '0x10', '', ' ', '@@ end', '@@ ', '@@ file /proc/net/netstat',
    '\u001b[2J', '\u009b31m', '\r', '\u2028', '\u202e', '\u0000', '../../etc/passwd', "x'; touch /tmp/pwned; '", 'é'.repeat(3)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer().map(String),
  fc.bigInt().map(String),
);

type Mutation = (lines: string[]) => string[];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i): Mutation => (l) => l.filter((_, j) => j !== i % Math.max(l.length, 1))),
  fc.nat().map((i): Mutation => (l) => { const j = i % Math.max(l.length, 1); return [...l.slice(0, j + 1), ...l.slice(j)]; }),
  fc.tuple(fc.nat(), fc.array(hostileToken, { minLength: 1, maxLength: 4 })).map(([i, toks]): Mutation => (l) => {
    const j = i % (l.length + 1);
    return [...l.slice(0, j), toks.join(' '), ...l.slice(j)];
  }),
  fc.tuple(fc.nat(), fc.nat(), hostileToken).map(([i, w, tok]): Mutation => (l) => l.map((line, j) => {
    if (j !== i % Math.max(l.length, 1)) return line;
    const words = line.split(' ');
    words[w % words.length] = tok;
    return words.join(' ');
  })),
  fc.nat().map((n): Mutation => (l) => { const text = l.join('\n'); return text.slice(0, n % (text.length + 1)).split('\n'); }),
  fc.constant<Mutation>((l) => [...l, 'x'.repeat(1024 * 1024)]),
);

/** A real output of this probe, mutated; or random text. */
function outputs(probe: ProbeName): fc.Arbitrary<string> {
  const real = REAL.get(probe) ?? [];
  const mutated = real.length
    ? fc.tuple(fc.constantFrom(...real), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([text, ms]) => ms.reduce((l, m) => m(l), text.split('\n')).join('\n'))
    : fc.string();
  return fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }) }, { weight: 1, arbitrary: fc.array(hostileToken).map((t) => t.join('\n')) });
}

describe('probe parsers under random and mangled output', () => {
  const before = prototypeState();

  it.each(Object.keys(PROBES) as ProbeName[])('%s returns a value or throws ProbeError, nothing else', (probe) => {
    expect(REAL.get(probe)?.length ?? 0).toBeGreaterThan(0); // every probe has real output to mutate
    let values = 0;
    fc.assert(fc.property(fc.array(outputs(probe), { minLength: 1, maxLength: 2 }), fc.integer({ min: 0, max: 255 }), fc.double(), (stdouts, exitCode, interval) => {
      const samples = stdouts.map((stdout) => ({ stdout, exitCode }));
      try {
        PROBES[probe].parse(samples, interval);
        values++;
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        // A gap reason is one line a person reads: short, and never raw output.
        expect(err.message.length).toBeLessThan(400);
      }
      const reduce = (PROBES[probe] as { reduce?: (s: string) => string }).reduce;
      if (reduce) expect(typeof reduce(stdouts[0]!)).toBe('string');
    }), LIMIT);
    expectPrototypesIntact(before);
    // The real outputs themselves parse: the property is not only exercising the error path (how many
    // mutated ones stay valid depends on the machine's speed within the time limit, so it is not asserted).
    let realValues = 0;
    for (const stdout of REAL.get(probe) ?? []) {
      try { PROBES[probe].parse([{ stdout, exitCode: 0 }, { stdout, exitCode: 0 }], 5); realValues++; } catch (err) { if (!(err instanceof ProbeError)) throw err; }
    }
    expect(realValues).toBeGreaterThan(0);
  });

  it('no parser backtracks: long lines built against each pattern parse in linear time', () => {
    // A quadratic pattern takes minutes on these (a df line of 100,000 spaces took 100 s before the fix).
    const N = 100_000;
    const bodies = ['1 '.repeat(N), 'a:'.repeat(N), `${' '.repeat(N)}x`, '9'.repeat(N), `${'a '.repeat(N)}5%`, '/'.repeat(N), '1\t'.repeat(N), '[1'.repeat(N),
      ':1'.repeat(N), '"type": "'.repeat(N / 8), 'FLANNEL_A='.repeat(N / 8), `P /x\nS 0 1 ${'1'.repeat(N)}`, `F ${'1 '.repeat(N)}`, `${'x'.repeat(N)} possible SYN flooding on port`];
    const wraps = (b: string) => [b, `@@ file /proc/net/netstat\n${b}\n@@ end\n`, `@@ source dmesg\n@@ uptime 5\n[1] ${b}\n@@ end\n`,
      `@@ source journalctl\n2026-11-25T10:00:00+0000 h kernel: ${b}\n@@ end\n`, `@@ df /var/lib/kubelet\n${b}\n@@ end\n`, `@@ ss\n${b}\n@@ exit 0\n@@ end\n`,
      `@@ cgroup 2\n@@ group kubepods\n${b}\n@@ end\n`, `@@ json\n${b}\n@@ end\n`, `@@ oneline\n5: cni0 inet ${b}\n@@ exit 0\n@@ end\n`,
      `@@ pid 1\n@@ file /x\n${b}\n@@ endfile\n@@ end\n`, `@@ file\n${b}\n@@ end\n`, `${b}\nE\n`];
    const slow: string[] = [];
    for (const [name, probe] of Object.entries(PROBES)) {
      for (const b of bodies) {
        for (const stdout of wraps(b)) {
          const t0 = performance.now();
          try { probe.parse([{ stdout, exitCode: 0 }], 5); } catch (err) { if (!(err instanceof ProbeError)) throw err; }
          const ms = performance.now() - t0;
          if (ms > 1500) slow.push(`${name} ${Math.round(ms)} ms on ${JSON.stringify(stdout.slice(0, 40))}`);
        }
      }
    }
    const line = parseKernelLogLine(`2026-11-25T10:00:00+0000 h kernel: ${'a:'.repeat(N)}`, 'journalctl');
    const t0 = performance.now();
    synFloodLine(line);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(slow).toEqual([]);
  }, 120_000);

  it('parseNodeCollection never throws, whatever the samples hold', () => {
    const probes = Object.keys(PROBES) as ProbeName[];
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...probes, ...HOSTILE_KEYS), fc.array(fc.record({ stdout: fc.string({ unit: 'binary' }), exitCode: fc.integer() }), { maxLength: 2 })), (samples) => {
      const out = parseNodeCollection({ node: 'n', reached: true, intervalSeconds: 5, samples: samples as never }, probes);
      for (const p of probes) expect(out.probes[p]).toBeDefined();
    }), LIMIT);
    expectPrototypesIntact(before);
  });

  it('addresses, CIDRs and kernel log lines: undefined or ProbeError for garbage, never a crash', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.ipV4(), fc.ipV6(), fc.tuple(fc.ipV6(), fc.nat(200)).map(([ip, p]) => `${ip}/${p}`)), (s) => {
      parseIp(s);
      parseCidr(s);
      for (const source of ['journalctl', 'dmesg-iso', 'dmesg'] as const) {
        try { parseKernelLogLine(s, source, 100); } catch (err) { if (!(err instanceof ProbeError)) throw err; }
      }
    }), LIMIT);
  });

  it('noise outside the script sections (banners, profiles, fake markers) never changes the samples', () => {
    const plan = buildNodeScript(['uname', 'sysctls'], 0, {});
    const clean = [`@@checkup-${plan.nonce} start`, `@@checkup-${plan.nonce} begin uname 1`, '5.10.0', `@@checkup-${plan.nonce} end uname 1 0`,
      `@@checkup-${plan.nonce} begin sysctls 1`, '@@ end', `@@checkup-${plan.nonce} end sysctls 1 0`, `@@checkup-${plan.nonce} done`, ''].join('\n');
    const expected = splitNodeOutput(clean, plan);
    expect(expected.samples.uname).toEqual([{ stdout: '5.10.0', exitCode: 0 }]);
    // Anything a login banner or a shell profile can print, including other scripts' markers.
    const noise = fc.array(fc.oneof(fc.string(), fc.constantFrom('@@checkup-00000000 start', '@@checkup-deadbeef begin uname 1', '@@ end', 'Last login: …')), { maxLength: 5 })
      .map((l) => l.map((x) => x.replace(/\n/g, ' ')).filter((x) => !x.includes(plan.nonce)).join('\n'));
    fc.assert(fc.property(noise, (banner) => {
      const got = splitNodeOutput(`${banner}\n${clean}`, plan);
      expect(got.samples).toEqual(expected.samples);
    }), LIMIT);
  });
});
