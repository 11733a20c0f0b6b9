// --help, --version, list and explain answer without loading the Kubernetes client (issue 2): they
// must stay instant and work with no cluster and no kubeconfig.
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { runCli, ROOT } from '../support/cli.js';

const deny = { NODE_OPTIONS: `--import=${join(ROOT, 'test', 'support', 'deny-client-node.mjs')}` };

describe('startup without the Kubernetes client', () => {
  it.each([[['--help']], [['--version']], [['list']], [['explain', 'syn-backlog']], [['--snapshot', join(ROOT, 'fixtures', 'demo-cluster'), '--no-ssh', '--fail-on', 'none']]])('%j', async (args) => {
    const r = await runCli(args, { env: deny });
    expect(r.stderr).not.toContain('client-node was loaded');
    expect(r.code).toBe(0);
  });

  it('the guard works: a live run does load the client', async () => {
    const r = await runCli(['--kubeconfig', '/nonexistent', '--no-ssh'], { env: deny });
    expect(r.stderr).toContain('@kubernetes/client-node was loaded');
  });
});
