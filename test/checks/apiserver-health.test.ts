import { describe, expect, it } from '@jest/globals';
import check from '../../checks/apiserver-health/index.js';
import { histogramQuantile } from '../../src/metrics/series.js';
import { parseExposition } from '../../src/metrics/prometheus-text.js';
import { runCheck } from '../../src/check.js';
import { Exposition, REQUEST_BUCKETS } from '../support/exposition.js';

const B = REQUEST_BUCKETS;
/** Observations per bucket: n requests all falling in the bucket whose upper bound is `le`. */
const at = (le: number, n: number): number[] => B.map((b) => (b === le ? n : 0));

interface Scrape {
  version?: string;
  /** [verb, scope, resource, per-bucket counts] */
  latency?: [string, string, string, number[]][];
  rejected?: [string, string, number][];
  inflight?: { readOnly: number; mutating: number };
  list?: { fetched: number; returned: number; cache?: boolean };
  terminated?: number;
  gone?: number;
  deprecated?: Record<string, string>[];
  omit?: string[];
}

function scrape(s: Scrape): string {
  const e = new Exposition();
  const omit = new Set(s.omit ?? []);
  e.gauge('kubernetes_build_info', { git_version: s.version ?? 'v1.32.4', major: '1', minor: '32' }, 1);
  for (const [verb, scope, resource, counts] of s.latency ?? [['GET', 'resource', 'pods', at(0.025, 10)]]) {
    e.histogram('apiserver_request_duration_seconds', { component: 'apiserver', dry_run: '', group: '', resource, scope, subresource: '', verb, version: 'v1' }, B, counts, 1);
  }
  e.counter('apiserver_request_total', { code: '200', component: 'apiserver', resource: 'pods', verb: 'LIST' }, 100);
  e.counter('apiserver_request_total', { code: '410', component: 'apiserver', resource: 'pods', verb: 'WATCH' }, s.gone ?? 0);
  if (!omit.has('rejected')) for (const [level, reason, n] of s.rejected ?? [['workload-low', 'queue-full', 0]]) e.counter('apiserver_flowcontrol_rejected_requests_total', { flow_schema: 'x', priority_level: level, reason }, n);
  e.gauge('apiserver_current_inflight_requests', { request_kind: 'readOnly' }, s.inflight?.readOnly ?? 3);
  e.gauge('apiserver_current_inflight_requests', { request_kind: 'mutating' }, s.inflight?.mutating ?? 1);
  if (!omit.has('list')) {
    const prefix = s.list?.cache ? 'apiserver_cache_list' : 'apiserver_storage_list';
    const label: Record<string, string> = s.list?.cache ? { resource_prefix: '/pods', index: '' } : { resource: 'pods' };
    e.counter(`${prefix}_fetched_objects_total`, label, s.list?.fetched ?? 10);
    e.counter(`${prefix}_returned_objects_total`, label, s.list?.returned ?? 10);
  }
  e.counter('apiserver_terminated_watchers_total', { resource: 'pods' }, s.terminated ?? 0);
  for (const d of s.deprecated ?? []) e.gauge('apiserver_requested_deprecated_apis', d, 1);
  return e.text();
}

const rules = (findings: { rule?: string }[]) => findings.map((f) => f.rule).sort();

describe('apiserver-health', () => {
  it('passes a healthy window: fast requests, no rejections, lists that return what they fetch', async () => {
    const { result, findings } = await runCheck(check, {
      metrics: [scrape({ latency: [['GET', 'resource', 'pods', at(0.025, 100)]] }), scrape({ latency: [['GET', 'resource', 'pods', at(0.025, 300)]] })],
    });
    expect(findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('judges latency in the window between scrapes against the SLO for the verb and scope', async () => {
    // Before the window: 1000 fast cluster LISTs. In the window: 100 at ≤ 45 s (above 30 s), and 100 namespace LISTs at ≤ 4 s (within 5 s).
    const first = scrape({ latency: [['LIST', 'cluster', 'pods', at(0.1, 1000)], ['LIST', 'namespace', 'pods', at(0.1, 10)], ['WATCH', 'cluster', 'pods', at(60, 5)]] });
    const second = scrape({ latency: [
      ['LIST', 'cluster', 'pods', at(0.1, 1000).map((c, i) => c + (B[i] === 45 ? 100 : 0))],
      ['LIST', 'namespace', 'pods', at(0.1, 10).map((c, i) => c + (B[i] === 4 ? 100 : 0))],
      ['WATCH', 'cluster', 'pods', at(60, 500)], // long-running: never judged
    ] });
    const { findings } = await runCheck(check, { metrics: [first, second], sampleIntervalSeconds: 10 });
    expect(rules(findings)).toEqual(['requestLatencyAboveSlo']);
    expect(findings[0]).toMatchObject({ severity: 'warning', target: { kind: 'APIResource', name: 'pods' }, evidence: { verb: 'LIST', scope: 'cluster', sloSeconds: 30, requests: 100, windowSeconds: 10 } });
    const p99 = (findings[0]!.evidence as { p99Seconds: number }).p99Seconds;
    expect(p99).toBeGreaterThan(30);
    expect(p99).toBeLessThanOrEqual(45);
  });

  it('does not call an idle histogram slow, and needs enough requests for a p99', async () => {
    const slow = at(10, 5); // 5 requests at ≤ 10 s: too few to judge
    const { findings } = await runCheck(check, {
      metrics: [scrape({ latency: [['POST', 'resource', 'pods', slow], ['GET', 'resource', 'nodes', B.map(() => 0)]] }),
        scrape({ latency: [['POST', 'resource', 'pods', slow.map((c) => c * 2)], ['GET', 'resource', 'nodes', B.map(() => 0)]] })],
    });
    expect(findings).toEqual([]);
    expect(histogramQuantile(0.99, B.map((le) => ({ le, count: 0 })))).toBeUndefined();
  });

  it('handles an API server restart between the scrapes (counters reset): the second reading is the whole window', async () => {
    const first = scrape({ latency: [['PUT', 'resource', 'configmaps', at(0.025, 5000)]], rejected: [['workload-low', 'queue-full', 900]], terminated: 50 });
    const second = scrape({ latency: [['PUT', 'resource', 'configmaps', at(3, 40)]], rejected: [['workload-low', 'queue-full', 7]], terminated: 2 });
    const { findings } = await runCheck(check, { metrics: [first, second] });
    expect(rules(findings)).toEqual(['apfRejections', 'requestLatencyAboveSlo', 'watchersTerminated']);
    expect(findings.find((f) => f.rule === 'apfRejections')).toMatchObject({ severity: 'warning', evidence: { rejected: 7, counterReset: true } });
    expect(findings.find((f) => f.rule === 'watchersTerminated')).toMatchObject({ evidence: { terminated: 2, counterReset: true } });
    expect(findings.find((f) => f.rule === 'requestLatencyAboveSlo')).toMatchObject({ evidence: { requests: 40, counterReset: true } });
  });

  it('is critical when APF rejects system, node-high or leader-election requests', async () => {
    const { findings } = await runCheck(check, {
      metrics: [scrape({ rejected: [['node-high', 'queue-full', 10], ['workload-low', 'time-out', 0]] }), scrape({ rejected: [['node-high', 'queue-full', 25], ['workload-low', 'time-out', 0]] })],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'apfRejections', severity: 'critical', target: { kind: 'PriorityLevelConfiguration', name: 'node-high' }, evidence: { rejected: 15, reasons: { 'queue-full': 15 } } });
  });

  it('reports inflight near the default limits, LIST waste (storage or watch-cache metric), relist storms and deprecated APIs', async () => {
    const deprecated = [{ group: 'policy', version: 'v1beta1', resource: 'podsecuritypolicies', subresource: '', removed_release: '1.25' },
      { group: 'flowcontrol.apiserver.k8s.io', version: 'v1beta3', resource: 'flowschemas', subresource: '', removed_release: '1.40' }];
    for (const cache of [false, true]) {
      const { findings } = await runCheck(check, {
        metrics: [scrape({ list: { fetched: 1000, returned: 100, cache }, gone: 0, deprecated }),
          scrape({ inflight: { readOnly: 390, mutating: 20 }, list: { fetched: 251000, returned: 300, cache }, gone: 120, deprecated })],
        sampleIntervalSeconds: 10,
      });
      expect(rules(findings)).toEqual(['deprecatedApiRequested', 'deprecatedApiRequested', 'inflightNearLimit', 'listFetchesFarMoreThanReturned', 'relistStorm']);
      expect(findings.find((f) => f.rule === 'listFetchesFarMoreThanReturned')).toMatchObject({ target: { name: 'pods' }, evidence: { fetched: 250000, returned: 200 } });
      expect(findings.find((f) => f.rule === 'relistStorm')?.evidence).toMatchObject({ gonePerSecond: 12 });
      const dep = findings.filter((f) => f.rule === 'deprecatedApiRequested').map((f) => [f.target.name, f.severity]);
      expect(dep).toEqual([['podsecuritypolicies.v1beta1.policy', 'warning'], ['flowschemas.v1beta3.flowcontrol.apiserver.k8s.io', 'info']]);
    }
  });

  it('says which metrics the reported version should serve but does not (renamed or disabled)', async () => {
    const { result, findings } = await runCheck(check, { metrics: [scrape({ omit: ['rejected', 'list'] }), scrape({ omit: ['rejected', 'list'] })] });
    expect(result.status).toBe('pass');
    const f = findings.find((x) => x.rule === 'metricsNotServed')!;
    expect(f.severity).toBe('info');
    expect(f.evidence).toMatchObject({ version: 'v1.32.4' });
    // Rejections have no series until the first one (client_golang omits empty vectors): absent is not "not served".
    expect((f.evidence as { missing: string[] }).missing).toEqual(['apiserver_storage_list_fetched_objects_total', 'apiserver_cache_list_fetched_objects_total',
      'apiserver_storage_list_returned_objects_total', 'apiserver_cache_list_returned_objects_total']);
    // A 1.20 server never had the LIST counters: nothing is expected of it there.
    const old = await runCheck(check, { metrics: [scrape({ version: 'v1.20.15', omit: ['list'] }), scrape({ version: 'v1.20.15', omit: ['list'] })] });
    expect(old.findings).toEqual([]);
  });

  it('notes a single scrape, and is skipped with the reason when /metrics is forbidden or garbage', async () => {
    const one = await runCheck(check, { metrics: [scrape({})], sampleIntervalSeconds: 0 });
    expect(rules(one.findings)).toEqual(['oneScrapeOnly']);
    const forbidden = await runCheck(check, { metrics: 'forbidden' });
    expect(forbidden.result).toMatchObject({ status: 'skip', reason: 'API server metrics: forbidden' });
    const garbage = await runCheck(check, { metrics: ['<html>not metrics</html>'] });
    expect(garbage.result.status).toBe('skip');
    expect(garbage.result.reason).toContain('not the Prometheus text format');
  });

  describe('settings move the lines', () => {
    /** The rules found over a 10 s window between two scrapes, with these settings. */
    const found = async (first: Scrape, second: Scrape, options: Record<string, number> = {}) =>
      rules((await runCheck(check, { metrics: [scrape(first), scrape(second)], sampleIntervalSeconds: 10, options })).findings);
    const latency = (verb: string, scope: string, le: number): [Scrape, Scrape] =>
      [{ latency: [[verb, scope, 'pods', at(le, 0)]] }, { latency: [[verb, scope, 'pods', at(le, 100)]] }];

    it('sloSingleObjectSeconds, sloNamespaceListSeconds, sloClusterListSeconds', async () => {
      for (const [setting, verb, scope, le, value] of [
        ['sloSingleObjectSeconds', 'GET', 'resource', 0.8, 0.5], // p99 in (0.6, 0.8]: within 1 s, above 0.5 s
        ['sloNamespaceListSeconds', 'LIST', 'namespace', 4, 2.5], // within 5 s, above 2.5 s
        ['sloClusterListSeconds', 'LIST', 'cluster', 20, 12], // within 30 s, above 12 s
      ] as const) {
        const [first, second] = latency(verb, scope, le);
        expect(await found(first, second)).toEqual([]);
        expect(await found(first, second, { [setting]: value })).toEqual(['requestLatencyAboveSlo']);
      }
    });

    it('maxRequestsInflight, maxMutatingRequestsInflight, inflightNearPercent', async () => {
      const busy = { inflight: { readOnly: 390, mutating: 150 } };
      expect(await found({}, busy)).toEqual(['inflightNearLimit']); // 390 ≥ 80 % of 400; 150 < 80 % of 200
      expect(await found({}, busy, { maxRequestsInflight: 500 })).toEqual([]);
      const raised = (await runCheck(check, { metrics: [scrape({}), scrape(busy)], options: { maxMutatingRequestsInflight: 180 } })).findings;
      expect(raised.map((f) => f.evidence)).toEqual([{ requestKind: 'readOnly', inflight: [3, 390], assumedLimit: 400 }, { requestKind: 'mutating', inflight: [1, 150], assumedLimit: 180 }]);
      expect(raised[1]!.expected).toBe('< 144 (80 % of the configured 180)');
      const quieter = { inflight: { readOnly: 300, mutating: 1 } };
      expect(await found({}, quieter)).toEqual([]);
      expect(await found({}, quieter, { inflightNearPercent: 70 })).toEqual(['inflightNearLimit']);
    });

    it('listWasteRatio, listWasteMinFetched', async () => {
      // 20000 fetched for 1000 returned in the window: 20×, above 10000 fetched.
      const first: Scrape = { list: { fetched: 0, returned: 0 } };
      const second: Scrape = { list: { fetched: 20_000, returned: 1000 } };
      expect(await found(first, second)).toEqual(['listFetchesFarMoreThanReturned']);
      expect(await found(first, second, { listWasteRatio: 25 })).toEqual([]);
      expect(await found(first, second, { listWasteMinFetched: 50_000 })).toEqual([]);
    });

    it('relistsPerSecond', async () => {
      // 120 "410 Gone" in 10 s: 12/s.
      expect(await found({ gone: 0 }, { gone: 120 })).toEqual(['relistStorm']);
      expect(await found({ gone: 0 }, { gone: 120 }, { relistsPerSecond: 20 })).toEqual([]);
    });
  });
});

describe('Prometheus text parser', () => {
  it('reads exponents, Inf/NaN, escaped label values and skips unwanted families', () => {
    const text = '# TYPE etcd_mvcc_db_total_size_in_bytes gauge\netcd_mvcc_db_total_size_in_bytes 1.7641472e+07\n' +
      'x{a="q\\"uo\\\\te\\nx",b=""} +Inf 1700000000000\ny NaN\n# TYPE h histogram\nh_bucket{le="+Inf"} 3\nh_count 3\nh_sum 1.5\n';
    const all = parseExposition(text);
    expect(all.samples.get('etcd_mvcc_db_total_size_in_bytes')![0]!.value).toBe(17641472);
    expect(all.samples.get('x')![0]).toMatchObject({ labels: { a: 'q"uo\\te\nx', b: '' }, value: Infinity });
    expect(Number.isNaN(all.samples.get('y')![0]!.value)).toBe(true);
    const some = parseExposition(text, (f) => f === 'h');
    expect([...some.samples.keys()]).toEqual(['h_bucket', 'h_count', 'h_sum']);
    expect(() => parseExposition('x{a="1"} abc\n')).toThrow(/line 1/);
  });
});
