// Tests against real components (sshd in network namespaces, kubectl, etcd) need root and system
// packages. On a laptop without them they skip with a printed reason; in CI (CHECKUP_REQUIRE_REAL=1,
// set by .ci/run) a missing prerequisite fails the run instead of silently skipping.
import { describe, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';

export function missingPrerequisite(opts: { root?: boolean; commands?: string[] }): string | null {
  if (opts.root && process.getuid?.() !== 0) return 'needs root';
  for (const cmd of opts.commands ?? []) {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
    } catch {
      return `needs ${cmd} on PATH`;
    }
  }
  return null;
}

/** describe() when the prerequisites are there; otherwise skip with a reason, or fail under CI. */
export function describeReal(name: string, prereq: { root?: boolean; commands?: string[] }, fn: () => void): void {
  const missing = missingPrerequisite(prereq);
  if (!missing) return describe(name, fn);
  if (process.env.CHECKUP_REQUIRE_REAL === '1') {
    return describe(name, () => {
      it('has its prerequisites', () => {
        throw new Error(`real-component test cannot run: ${missing} (CHECKUP_REQUIRE_REAL=1)`);
      });
    });
  }
  console.warn(`skipping "${name}": ${missing}`);
  describe.skip(name, fn);
}
