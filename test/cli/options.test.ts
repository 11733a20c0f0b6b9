import { describe, expect, it } from '@jest/globals';
import { parseDuration, parseRunOptions, selectChecks, type RawFlags } from '../../src/cli/options.js';
import { defineCheck } from '../../src/engine/types.js';
import { UsageError } from '../../src/errors.js';

const check = (id: 'missing-probes' | 'evicted-pods' | 'syn-backlog') =>
  defineCheck({ id, title: id, severity: 'warning', description: '', rules: { r: { description: 'd' } }, needs: {}, create: () => ({}) });
const registry = [check('evicted-pods'), check('missing-probes'), check('syn-backlog')];
const base: RawFlags = {
  requestTimeout: '30s', output: [], failOn: 'critical', sampleInterval: '5', ssh: true, sshOption: [],
  sshAddress: 'internal-ip', sshConcurrency: '16', nodeTimeout: '30',
};

describe('selectChecks', () => {
  it('runs everything by default, narrows with --checks and --skip', () => {
    expect(selectChecks(registry).map((c) => c.id)).toEqual(['evicted-pods', 'missing-probes', 'syn-backlog']);
    expect(selectChecks(registry, 'syn-backlog, evicted-pods').map((c) => c.id)).toEqual(['evicted-pods', 'syn-backlog']);
    expect(selectChecks(registry, undefined, 'syn-backlog').map((c) => c.id)).toEqual(['evicted-pods', 'missing-probes']);
  });

  it('rejects unknown ids, naming the known ones', () => {
    expect(() => selectChecks(registry, 'nope')).toThrow(/unknown check "nope".*known checks: evicted-pods, missing-probes, syn-backlog/);
    // An external check's id is unknown until its module is loaded.
    expect(() => selectChecks(registry, 'acme/limits')).toThrow(/unknown check "acme\/limits"/);
    expect(() => selectChecks(registry, 'syn-backlog', 'syn-backlog')).toThrow(/no checks left/);
  });
});

describe('parseRunOptions', () => {
  it('parses numbers, durations and selectors', () => {
    const o = parseRunOptions({ ...base, requestTimeout: '1m30s', sampleInterval: '0', nodes: 'role=worker', sshPort: '2222' }, registry);
    expect(o.requestTimeoutMs).toBe(90_000);
    expect(o.sampleIntervalSeconds).toBe(0);
    expect(o.sshOptions.port).toBe(2222);
    expect(o.nodeFilter!({ metadata: { name: 'a', labels: { role: 'worker' } } })).toBe(true);
    expect(o.nodeFilter!({ metadata: { name: 'b', labels: { role: 'db' } } })).toBe(false);
    const byName = parseRunOptions({ ...base, nodes: 'n1,n2' }, registry);
    expect(byName.nodeFilter!({ metadata: { name: 'n2' } })).toBe(true);
    expect(byName.nodeFilter!({ metadata: { name: 'n3' } })).toBe(false);
  });

  it.each([
    [{ namespace: 'a', allNamespaces: true }, /cannot be used together/],
    [{ snapshot: 'x', saveSnapshot: 'y' }, /cannot be used together/],
    [{ sampleInterval: '-1' }, /--sample-interval -1: expected a number from 0 to 600/],
    [{ sampleInterval: 'five' }, /--sample-interval five/],
    [{ requestTimeout: '30 seconds' }, /--request-timeout 30 seconds: expected a duration/],
    [{ sshOption: ['StrictHostKeyChecking'] }, /expected KEY=VALUE/],
    [{ sshConcurrency: '0' }, /--ssh-concurrency 0/],
    [{ sshPort: '22.5' }, /--ssh-port 22.5: expected a whole number/],
    [{ sshConcurrency: '1.5' }, /--ssh-concurrency 1.5: expected a whole number/],
    [{ selector: 'app in (a' }, /invalid label selector/],
  ] as [Partial<RawFlags>, RegExp][])('rejects %j', (flags, message) => {
    expect(() => parseRunOptions({ ...base, ...flags }, registry)).toThrow(UsageError);
    expect(() => parseRunOptions({ ...base, ...flags }, registry)).toThrow(message);
  });
});

describe('parseDuration', () => {
  it('accepts kubectl forms', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('5')).toBe(5000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
  });
});

describe('--node-access', () => {
  it('ssh by default; none is --no-ssh; pod takes the probe flags with their defaults', () => {
    expect(parseRunOptions(base, registry)).toMatchObject({ nodeAccess: 'ssh', ssh: true });
    expect(parseRunOptions({ ...base, nodeAccess: 'none' }, registry)).toMatchObject({ nodeAccess: 'none', ssh: false });
    expect(parseRunOptions({ ...base, ssh: false }, registry)).toMatchObject({ nodeAccess: 'none', ssh: false });
    expect(parseRunOptions({ ...base, nodeAccess: 'pod' }, registry)).toMatchObject({
      nodeAccess: 'pod', ssh: true, podAccess: { namespace: 'default', image: 'busybox:1.36', dryRun: false },
    });
    expect(parseRunOptions({ ...base, nodeAccess: 'pod', probeNamespace: 'kube-system', probeImage: 'registry.local/busybox:1.36', dryRun: true }, registry).podAccess)
      .toEqual({ namespace: 'kube-system', image: 'registry.local/busybox:1.36', dryRun: true });
  });

  it('refuses contradictions and flags that would silently do nothing', () => {
    expect(() => parseRunOptions({ ...base, ssh: false, nodeAccess: 'pod' }, registry)).toThrow(/--no-ssh and --node-access pod cannot be used together/);
    expect(() => parseRunOptions({ ...base, dryRun: true }, registry)).toThrow('--dry-run applies only to --node-access pod');
    expect(() => parseRunOptions({ ...base, probeImage: 'x' }, registry)).toThrow('--probe-image applies only to --node-access pod');
    expect(() => parseRunOptions({ ...base, nodeAccess: 'none', probeNamespace: 'x' }, registry)).toThrow('--probe-namespace applies only to --node-access pod');
    expect(() => parseRunOptions({ ...base, nodeAccess: 'pod', probeNamespace: 'Not_A_Namespace' }, registry)).toThrow(/not a valid namespace name/);
    expect(() => parseRunOptions({ ...base, nodeAccess: 'pod', probeImage: 'busybox; rm -rf /' }, registry)).toThrow(/expected an image reference/);
    expect(() => parseRunOptions({ ...base, nodeAccess: 'pod', dryRun: true, snapshot: 'dir' }, registry)).toThrow(/does not apply to --snapshot/);
  });
});

describe('-o/--output', () => {
  it('defaults to text on stdout; FORMAT=FILE splits at the first "="; text goes to stdout when every -o is a file', () => {
    expect(parseRunOptions(base, registry).output).toEqual([{ format: 'text' }]);
    expect(parseRunOptions({ ...base, output: ['github', 'sarif=out=1.sarif'] }, registry).output).toEqual([{ format: 'github' }, { format: 'sarif', file: 'out=1.sarif' }]);
    expect(parseRunOptions({ ...base, output: ['junit=r.xml'] }, registry).output).toEqual([{ format: 'text' }, { format: 'junit', file: 'r.xml' }]);
  });

  it('refuses unknown formats, two to stdout, and one file twice (however it is spelled)', () => {
    expect(() => parseRunOptions({ ...base, output: ['jsonl'] }, registry)).toThrow(UsageError);
    expect(() => parseRunOptions({ ...base, output: ['text', 'wide'] }, registry)).toThrow(/text and wide would both go to stdout/);
    expect(() => parseRunOptions({ ...base, output: ['json=r', 'yaml=./r'] }, registry)).toThrow(/named twice/);
  });
});
