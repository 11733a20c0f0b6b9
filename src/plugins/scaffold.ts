// `kubectl checkup new-check <scope>/<name>`: a folder with a working external check, its README and
// its test, to start from. test/e2e/external-checks.test.ts runs what this writes, so it stays right.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { EXTERNAL_ID } from '../engine/validate.js';

export function scaffoldCheck(id: string, dir: string | undefined, version: string): { dir: string; files: string[] } {
  if (!EXTERNAL_ID.test(id)) throw new UsageError(`new-check ${id}: an external check id is "<scope>/<name>" in lowercase letters, digits and dashes, e.g. acme/memory-limits`);
  const name = id.split('/')[1]!;
  const target = resolve(dir ?? name);
  if (existsSync(target) && readdirSync(target).length) throw new UsageError(`new-check: ${target} exists and is not empty; give another folder with --dir`);
  mkdirSync(target, { recursive: true });
  const files: Record<string, string> = {
    'package.json': JSON.stringify({
      name: `checkup-${name}`, version: '0.1.0', private: true, type: 'module', main: 'index.js',
      scripts: { test: 'node --test' }, devDependencies: { 'kubectl-checkup': `^${version}` },
    }, null, 2) + '\n',
    'index.js': indexJs(id),
    'index.test.js': testJs(),
    'README.md': readme(id),
  };
  for (const [file, text] of Object.entries(files)) writeFileSync(join(target, file), text);
  return { dir: target, files: Object.keys(files) };
}

const indexJs = (id: string) => `// ${id}: an external check for kubectl-checkup. Guide: docs/writing-checks.md in kubectl-checkup.
// Run it: kubectl checkup --plugin ./index.js --checks ${id}
import { defineCheck, describeWorkload, reporter } from 'kubectl-checkup/check';

/** @typedef {{ workload: import('kubectl-checkup/check').WorkloadRef, container: string }} Missing */

// Each rule: a stable id, one sentence for \`explain\` and SARIF, and the words of its findings.
const rules = {
  noMemoryLimit: {
    description: 'A container of a Deployment has no memory limit.',
    /** @param {Missing} d */
    message: (d) => ({
      message: \`\${describeWorkload(d.workload)}: container \${d.container} has no memory limit, so it can take its node's memory\`,
      expected: 'resources.limits.memory set',
      actual: 'no memory limit',
      remediation: {
        summary: \`Set a memory limit on container \${d.container}\`,
        steps: [\`kubectl -n \${d.workload.namespace} set resources deployment/\${d.workload.name} -c \${d.container} --limits=memory=512Mi (size it from its usage: kubectl top pods)\`],
      },
    }),
  },
};

export default defineCheck({
  id: '${id}',
  title: 'Containers of Deployments have a memory limit',
  severity: 'warning',
  description: 'Reads Deployments and reports every container without resources.limits.memory.',
  rules,
  needs: { api: ['Deployment'] },
  create(ctx) {
    const say = reporter(ctx, rules);
    return {
      // Called once per Deployment as the pages stream in: keep only what the decision needs.
      Deployment(d) {
        const workload = { kind: 'Deployment', namespace: d.metadata?.namespace ?? 'default', name: d.metadata?.name ?? '' };
        for (const c of d.spec?.template?.spec?.containers ?? []) {
          if (c.resources?.limits?.memory) continue;
          say('noMemoryLimit', {
            severity: 'warning',
            target: { kind: 'Deployment', namespace: workload.namespace, name: workload.name, container: c.name },
            evidence: { requests: c.resources?.requests ?? null },
          }, { workload, container: c.name });
        }
      },
    };
  },
});
`;

const testJs = () => `// Table tests with runCheck: the check runs through kubectl-checkup's real engine on in-memory objects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCheck } from 'kubectl-checkup/check';
import check from './index.js';

const deployment = (name, memory) => ({
  metadata: { namespace: 'shop', name },
  spec: { selector: {}, template: { spec: { containers: [{ name: 'app', image: 'app:1', resources: memory ? { limits: { memory } } : {} }] } } },
});

test('reports a container without a memory limit, on its Deployment', async () => {
  const { result, findings } = await runCheck(check, { objects: { Deployment: [deployment('web'), deployment('api', '256Mi')] } });
  assert.equal(result.status, 'fail');
  assert.deepEqual(findings.map((f) => [f.rule, f.target.name, f.target.container]), [['noMemoryLimit', 'web', 'app']]);
});

test('passes when every container has a limit', async () => {
  const { result, findings } = await runCheck(check, { objects: { Deployment: [deployment('api', '256Mi')] } });
  assert.equal(result.status, 'pass');
  assert.equal(findings.length, 0);
});
`;

const readme = (id: string) => `# ${id}

## What it checks
Every container of every Deployment has \`resources.limits.memory\`.

## Rules
| rule | what it finds |
|---|---|
| \`noMemoryLimit\` | A container of a Deployment has no memory limit. |

## Why it matters
A container without a memory limit can use all of its node's memory; the kernel then kills whatever it picks.

## How to fix
Set \`resources.limits.memory\` from the container's observed usage.

## False positives
Containers whose memory is bounded another way (a LimitRange default) are reported too.
`;
