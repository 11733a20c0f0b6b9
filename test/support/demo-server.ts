// The bundled demo cluster (fixtures/demo-cluster) served over HTTPS with a bearer token by the test
// API server, for an e2e test file: started before the file's tests, closed after them, with a
// kubeconfig for it in a temporary folder the file may use too.
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.js';

export const DEMO = join(ROOT, 'fixtures', 'demo-cluster');
/** When the demo snapshot was taken: the server's clock, so ages in findings stay the same. */
export const DEMO_COLLECTED_AT = new Date(JSON.parse(readFileSync(join(DEMO, 'snapshot.json'), 'utf8')).collectedAt as string);

export interface DemoServer {
  readonly server: FakeApiServer;
  readonly kubeconfig: string;
  /** Removed after the file's tests. */
  readonly tmp: string;
}

export function serveDemoCluster(opts: { token: string; context: string; name: string }): DemoServer {
  const demo = { tmp: mkdtempSync(join(tmpdir(), `checkup-${opts.name}-`)) } as { server: FakeApiServer; kubeconfig: string; tmp: string };
  beforeAll(async () => {
    demo.server = await startFakeApiServer({ snapshotDir: DEMO, tls: true, token: opts.token, now: DEMO_COLLECTED_AT });
    demo.kubeconfig = join(demo.tmp, 'kubeconfig');
    demo.server.writeKubeconfig(demo.kubeconfig, { context: opts.context });
  });
  afterAll(async () => {
    await demo.server?.close();
    rmSync(demo.tmp, { recursive: true, force: true });
  });
  return demo;
}
