// The built CLI against an API server that misbehaves (test/support/misbehaving-apiserver.ts): each
// case ends within its deadline, with the list as a gap (exit 0, the checks that needed it skipped)
// or with exit 2 when the server cannot be used at all — never a hang, never exit 1 for a crash,
// never anything but GET.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { runCli } from '../support/cli.js';
import { startMisbehavingServer, type Misbehaviour, type MisbehavingServer } from '../support/misbehaving-apiserver.js';
import { KubeApiClient } from '../../src/kube/api-client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { resourceInfo } from '../../src/kube/resources.js';
import { ResourceUnavailable } from '../../src/engine/source.js';

const tmp = mkdtempSync(join(tmpdir(), 'checkup-misbehave-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

async function run(mode: Misbehaviour, extra: string[] = []) {
  server = await startMisbehavingServer(mode);
  const kc = join(tmp, `kc-${mode}`);
  server.writeKubeconfig(kc);
  const t0 = Date.now();
  const r = await runCli(['--kubeconfig', kc, '--no-ssh', '--checks', 'evicted-pods', '--request-timeout', '2s', '-o', 'json', ...extra], { timeoutMs: 60_000 });
  const seconds = (Date.now() - t0) / 1000;
  expect(new Set(server.methods)).toEqual(new Set(['GET']));
  // Whatever the server sent, nothing raw reaches the terminal.
  expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.exec(r.stdout + r.stderr)?.[0]).toBeUndefined();
  return { ...r, seconds, report: r.code === 0 ? JSON.parse(r.stdout) : undefined };
}

/** The pods list is a gap with this reason and evicted-pods (which needs it) is skipped. */
function expectPodsGap(r: Awaited<ReturnType<typeof run>>, reason: RegExp) {
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  const gap = r.report.gaps.find((g: { resource?: string }) => g.resource === 'pods');
  expect(gap?.reason).toMatch(reason);
  expect(r.report.checks[0]).toMatchObject({ id: 'evicted-pods', status: 'skip' });
}

describe('a misbehaving API server', () => {
  it('drip feed: the request deadline covers the whole answer, not only silence', async () => {
    const r = await run('drip');
    expectPodsGap(r, /^timed out after 2s$/);
    expect(r.seconds).toBeLessThan(15);
  });

  it('hang after headers: cut off at the deadline', async () => {
    const r = await run('hang-after-headers');
    expectPodsGap(r, /^timed out after 2s$/);
    expect(r.seconds).toBeLessThan(15);
  });

  it('the same continue token again: a gap, not an endless loop', async () => {
    const r = await run('repeat-continue');
    expectPodsGap(r, /same continue token twice/);
    expect(server!.paths.filter((p) => p.includes('/pods')).length).toBeLessThanOrEqual(3);
  });

  it('empty pages with ever new continue tokens: a gap after a bounded number of pages', async () => {
    const r = await run('endless-empty');
    expectPodsGap(r, /empty pages in a row/);
    expect(server!.paths.filter((p) => p.includes('/pods')).length).toBeLessThan(30);
  });

  it('a body declared larger than the cap is refused before it is read', async () => {
    const r = await run('oversized-declared');
    expectPodsGap(r, /larger than 128 MiB/);
  });

  it('a body that never ends is cut off at the size cap (or the deadline), memory bounded', async () => {
    const r = await run('oversized-stream', ['--request-timeout', '20s']);
    expectPodsGap(r, /larger than 128 MiB|timed out after 20s/);
    expect(r.seconds).toBeLessThan(40);
  });

  it('a list of the wrong shape, and one that is not JSON: gaps naming what is wrong', async () => {
    expectPodsGap(await run('wrong-types'), /malformed list: item 0: not an object \(null\)/);
    await server!.close(); server = undefined;
    expectPodsGap(await run('not-json'), /not JSON/);
  });

  it('/version that hangs: exit 2 with one line naming the context, within the deadline', async () => {
    const r = await run('version-hang');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: cannot reach the API server of context "bad" \(http:\/\/127\.0\.0\.1:\d+\): timed out after 2s/);
    expect(r.seconds).toBeLessThan(15);
  });

  it('/version with wrong types: the run goes on, the version unknown', async () => {
    server = await startMisbehavingServer('version-wrong-types');
    const kc = join(tmp, 'kc-vwt');
    server.writeKubeconfig(kc);
    const r = await runCli(['--kubeconfig', kc, '--no-ssh', '--checks', 'evicted-pods', '-o', 'json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).cluster.version).toBeNull();
    // The 500 with an object as its message is a gap with the status, not a crash.
    expect(JSON.parse(r.stdout).gaps.find((g: { resource?: string }) => g.resource === 'pods').reason).toBe('HTTP 500');
  });
});

describe('random list shapes from the API server', () => {
  /** A client of a server that answers every list with the shape last set. */
  const shapeServer = async (name: string) => {
    const state: { shape: unknown } = { shape: undefined };
    server = await startMisbehavingServer('wrong-types', { get wrongShape() { return state.shape; } } as never);
    const kc = join(tmp, name);
    server.writeKubeconfig(kc);
    return { state, client: new KubeApiClient(loadKubeconfig({ kubeconfig: kc }), { requestTimeoutMs: 5000, retries: 0 }) };
  };

  it('the client yields pages of objects or throws ResourceUnavailable, nothing else', async () => {
    const { state, client } = await shapeServer('kc-random');
    const json = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ items: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }), metadata: fc.oneof(fc.constant({}), fc.record({ continue: fc.jsonValue({ maxDepth: 1 }) })) }));
    await fc.assert(fc.asyncProperty(json, async (value) => {
      state.shape = value;
      try {
        for await (const page of client.list({ info: resourceInfo('Pod') })) {
          for (const o of page) expect(typeof o === 'object' && o !== null && !Array.isArray(o)).toBe(true);
          break; // a valid continue token would ask again for the same random shape
        }
      } catch (err) {
        if (!(err instanceof ResourceUnavailable)) throw err;
      }
    }), { numRuns: 100, interruptAfterTimeLimit: 4000 });
  });

  it('a pod with a wrongly typed field a check reads: the list is refused naming the field, never handed to a check', async () => {
    const { state, client } = await shapeServer('kc-deep');
    const wrong = fc.oneof(fc.integer(), fc.boolean(), fc.constant({ toString: [] }), fc.array(fc.integer(), { maxLength: 2 }));
    // [field a gap must name, a container or pod status that carries the wrong value there].
    const placed = fc.oneof(
      wrong.map((v) => ['command', { containers: [{ name: 'app', command: ['java', v] }] }] as const),
      wrong.map((v) => ['value', { containers: [{ name: 'app', env: [{ name: 'JAVA_OPTS', value: v }] }] }] as const),
      wrong.map((v) => ['name', { containers: [{ name: 'app', ports: [{ name: v, containerPort: 80 }] }] }] as const),
      wrong.filter((v) => !Array.isArray(v)).map((v) => ['containerStatuses', { containers: [{ name: 'app' }] }, { containerStatuses: v }] as const),
    );
    await fc.assert(fc.asyncProperty(placed, async ([field, spec, status]) => {
      state.shape = { items: [{ metadata: { name: 'ok', namespace: 'a' }, spec: { containers: [{ name: 'app', command: ['java'] }] } }, { metadata: { name: 'p', namespace: 'a' }, spec, status }] };
      const pages = (async () => { for await (const page of client.list({ info: resourceInfo('Pod') })) void page; })();
      await expect(pages).rejects.toThrow(ResourceUnavailable);
      await expect(pages).rejects.toThrow(new RegExp(`item 1: .*${field}`));
    }), { numRuns: 50, interruptAfterTimeLimit: 4000 });
  });
});
