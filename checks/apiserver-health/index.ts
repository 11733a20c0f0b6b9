// Upstream: kubernetes/community sig-scalability/slos (API call latency SLOs); kube-apiserver metrics
// (staging/src/k8s.io/apiserver/pkg/endpoints/metrics, flowcontrol, storage); check-facts §12, §14.
import { defineCheck, type ApiserverMetrics, type CheckContext } from '../../src/check.js';
import type { Exposition } from '../../src/metrics/prometheus-text.js';
import { counterIncreases, histogramQuantile, histogramWindows } from '../../src/metrics/series.js';
import { FAMILIES, expectedNames, minorOf, type MetricRole } from './metric-names.js';

/** SIG-scalability API call latency SLOs (p99 over a window). */
const SLO_SECONDS = { singleOrMutating: 1, namespaceList: 5, clusterList: 30 };
/** Long-running requests are not covered by the latency SLO. */
const LONG_RUNNING_VERBS = new Set(['WATCH', 'WATCHLIST', 'CONNECT']);
const LONG_RUNNING_SUBRESOURCES = new Set(['proxy', 'log', 'exec', 'attach', 'portforward']);
/** A p99 needs enough observations to mean anything. */
const MIN_OBSERVATIONS = 10;
/** Rejected requests in these APF priority levels stop the control plane itself (nodes, leader election). */
const CRITICAL_PRIORITY_LEVELS = new Set(['system', 'node-high', 'leader-election', 'exempt']);
/** kube-apiserver defaults: --max-requests-inflight 400, --max-mutating-requests-inflight 200. */
const INFLIGHT_LIMITS: Record<string, number> = { readOnly: 400, mutating: 200 };
const INFLIGHT_NEAR = 0.8;
const LIST_WASTE_RATIO = 10;
const LIST_WASTE_MIN_FETCHED = 10_000;
const RELISTS_PER_SECOND = 1;

const CLUSTER = { kind: 'Cluster', name: 'cluster' } as const;

export default defineCheck({
  id: 'apiserver-health',
  title: 'The API server meets its latency SLOs and does not shed or waste load',
  severity: 'critical',
  description:
    'Scrapes the API server\'s /metrics twice, --sample-interval apart, and judges the window between: request latency p99 ' +
    'by verb, scope and resource against the SIG-scalability SLOs (1 s single-object and mutating, 5 s namespace LIST, 30 s ' +
    'cluster LIST), API Priority and Fairness rejections (critical for system, node-high and leader-election), inflight ' +
    'requests near the default limits, LISTs that fetch far more objects than they return, terminated watchers, 410 relist ' +
    'storms, and deprecated APIs still requested. Metric names are checked against the version the server reports.',
  rules: {
    requestLatencyAboveSlo: { description: 'Request latency p99 in the window is above the SIG-scalability SLO for its verb and scope.' },
    apfRejections: { description: 'API Priority and Fairness rejected requests (HTTP 429) in the window.' },
    inflightNearLimit: { description: 'Inflight requests are near the API server limits.' },
    listFetchesFarMoreThanReturned: { description: 'LISTs fetch far more objects than they return (unpaginated or unindexed LISTs).' },
    watchersTerminated: { description: 'Watchers were closed for falling behind.' },
    relistStorm: { description: 'Clients relist after "410 Gone" at a high rate.' },
    deprecatedApiRequested: { description: 'A deprecated API is still being requested.' },
    oneScrapeOnly: { description: 'Only one /metrics scrape: rates were not judged.' },
    metricsNotServed: { description: 'A metric the reported version should serve is absent.' },
  },
  needs: { apiserverMetrics: { families: FAMILIES } },
  create(ctx) {
    return {
      ApiserverMetrics(m: ApiserverMetrics) {
        if (m.ok) judge(ctx, m.scrapes, m.intervalSeconds);
      },
    };
  },
});

function judge(ctx: CheckContext, scrapes: Exposition[], interval: number): void {
  const last = scrapes[scrapes.length - 1]!;
  const first = scrapes.length > 1 ? scrapes[0] : undefined;
  const version = last.samples.get('kubernetes_build_info')?.[0]?.labels.git_version;
  const minor = minorOf(version);
  const notServed: string[] = [];
  /** The served names of a role; records the expected ones when none is served. */
  const served = (role: MetricRole, suffix = ''): string[] => {
    const names = expectedNames(role, minor);
    const here = names.map((m) => m.name).filter((n) => last.samples.has(`${n}${suffix}`));
    if (!here.length && names.length && !names.every((m) => m.sparse)) notServed.push(...names.map((m) => m.name));
    return here;
  };

  deprecatedApis(ctx, last, served('deprecated'), minor);
  inflight(ctx, scrapes, served('inflight'));
  if (first && interval > 0) {
    const w = { first, second: last, interval };
    latency(ctx, w, served('latency', '_count'));
    rejections(ctx, w, served('rejected'));
    listWaste(ctx, w, served('listFetched'), served('listReturned'));
    terminatedWatchers(ctx, w, served('terminatedWatchers'));
    relists(ctx, w, served('requests'));
  } else {
    ctx.report({
      rule: 'oneScrapeOnly', severity: 'info', target: CLUSTER,
      message: 'Only one /metrics scrape (--sample-interval 0 or the second scrape failed): latency, rejection and relist rates were not judged.',
      remediation: { summary: 'Run with --sample-interval of at least 10s.' },
    });
  }
  if (notServed.length) {
    ctx.report({
      rule: 'metricsNotServed', severity: 'info', target: CLUSTER,
      message: `The API server (${version ?? 'version unknown'}) does not serve ${notServed.join(', ')}: what they measure was not judged.`,
      evidence: { version: version ?? null, missing: notServed },
      remediation: { summary: 'Metrics can be turned off (--disabled-metrics) or renamed in this release; nothing to fix unless you disabled them by mistake.' },
    });
  }
}

interface Window { first: Exposition; second: Exposition; interval: number }

function sloFor(verb: string, scope: string): { seconds: number; name: string } {
  if (verb === 'LIST' && scope === 'cluster') return { seconds: SLO_SECONDS.clusterList, name: 'cluster-scoped LIST' };
  if (verb === 'LIST' && scope === 'namespace') return { seconds: SLO_SECONDS.namespaceList, name: 'namespace-scoped LIST' };
  return { seconds: SLO_SECONDS.singleOrMutating, name: verb === 'GET' || verb === 'LIST' ? 'single-object read' : 'mutating request' };
}

function latency(ctx: CheckContext, w: Window, names: string[]): void {
  for (const family of names) {
    for (const h of histogramWindows(w.first, w.second, family, ['verb', 'scope', 'group', 'resource', 'subresource'])) {
      const { verb = '', scope = '', group = '', resource = '', subresource = '' } = h.labels;
      if (LONG_RUNNING_VERBS.has(verb) || LONG_RUNNING_SUBRESOURCES.has(subresource) || h.count < MIN_OBSERVATIONS) continue;
      const p99 = histogramQuantile(0.99, h.buckets);
      const slo = sloFor(verb, scope);
      if (!p99 || p99.value <= slo.seconds) continue;
      const res = `${resource}${subresource ? `/${subresource}` : ''}${group ? `.${group}` : ''}`;
      const p = `${p99.above ? '> ' : ''}${p99.value.toFixed(2)} s`;
      ctx.report({
        rule: 'requestLatencyAboveSlo', severity: 'warning',
        target: { kind: 'APIResource', name: res },
        message: `${verb} ${res} (${scope || 'unknown'} scope): p99 latency ${p} over the last ${Math.round(w.interval)} s (${h.count} requests), ` +
          `above the ${slo.seconds} s SLO for a ${slo.name}.`,
        evidence: { verb, scope, resource: res, p99Seconds: p99.value, p99AboveHighestBucket: p99.above || undefined, requests: h.count, windowSeconds: Math.round(w.interval), sloSeconds: slo.seconds, counterReset: h.reset || undefined },
        expected: `p99 ≤ ${slo.seconds} s`, actual: `p99 ${p}`,
        remediation: {
          summary: verb === 'LIST' ? 'Slow LISTs: find the clients listing without pagination or field/label selectors the watch cache can index, and page them (limit/continue) or move them to informers.'
            : 'Look at etcd latency (etcd-health), API Priority and Fairness queueing, admission webhooks and the API server\'s CPU.',
          steps: ['kubectl get --raw /metrics | grep apiserver_request_duration_seconds_bucket', 'kubectl get --raw /metrics | grep -E "apiserver_admission_webhook_admission_duration_seconds_(sum|count)"'],
        },
      });
    }
  }
}

function rejections(ctx: CheckContext, w: Window, names: string[]): void {
  for (const name of names) {
    const byLevel = new Map<string, { increase: number; reasons: Record<string, number>; reset: boolean }>();
    for (const g of counterIncreases(w.first, w.second, name, ['priority_level', 'reason'])) {
      if (g.increase <= 0) continue;
      const level = g.labels.priority_level ?? '';
      const e = byLevel.get(level) ?? { increase: 0, reasons: {}, reset: false };
      e.increase += g.increase;
      e.reasons[g.labels.reason || 'unknown'] = (e.reasons[g.labels.reason || 'unknown'] ?? 0) + g.increase;
      e.reset ||= g.reset;
      byLevel.set(level, e);
    }
    for (const [level, e] of byLevel) {
      const critical = CRITICAL_PRIORITY_LEVELS.has(level);
      ctx.report({
        rule: 'apfRejections', severity: critical ? 'critical' : 'warning',
        target: { kind: 'PriorityLevelConfiguration', name: level },
        message: `API Priority and Fairness rejected ${e.increase} request(s) (HTTP 429) in priority level ${level} within ${Math.round(w.interval)} s` +
          (critical ? ': this level carries node heartbeats, leader election or the control plane\'s own requests — nodes can go NotReady and controllers lose their leases.' : ': clients in it are throttled and retry.'),
        evidence: { priorityLevel: level, rejected: e.increase, reasons: e.reasons, windowSeconds: Math.round(w.interval), counterReset: e.reset || undefined },
        expected: 'no rejections', actual: `${e.increase} rejected`,
        remediation: {
          summary: critical ? 'Find what floods the API server (apiserver_flowcontrol_dispatched_requests_total by flow_schema) and stop it; do not starve system levels.'
            : 'Find the noisy client (flow schema, user agent) and fix it, or give its level more concurrency shares.',
          steps: [`kubectl get prioritylevelconfiguration ${level} -o yaml`, 'kubectl get --raw /debug/api_priority_and_fairness/dump_priority_levels'],
        },
      });
    }
  }
}

function inflight(ctx: CheckContext, scrapes: Exposition[], names: string[]): void {
  for (const name of names) {
    for (const [kind, limit] of Object.entries(INFLIGHT_LIMITS)) {
      const values = scrapes.map((s) => s.samples.get(name)?.find((x) => x.labels.request_kind === kind)?.value ?? 0);
      const peak = Math.max(...values);
      if (peak < limit * INFLIGHT_NEAR) continue;
      ctx.report({
        rule: 'inflightNearLimit', severity: 'warning', target: CLUSTER,
        message: `${peak} ${kind} requests in flight at a scrape, ${Math.round((peak / limit) * 100)} % of the default limit of ${limit}: more arrive than the API server completes.`,
        evidence: { requestKind: kind, inflight: values, assumedLimit: limit },
        expected: `< ${Math.round(limit * INFLIGHT_NEAR)} (80 % of the default ${limit})`, actual: String(peak),
        remediation: { summary: 'Find the slow or flooding requests (latency, APF rejections above); raise --max-requests-inflight / --max-mutating-requests-inflight only with the CPU and memory to serve them.' },
      });
    }
  }
}

/** Resource name from the storage label (`pods`) or the cache label (`/pods`, `/apps/deployments`). */
const resourceOf = (labels: Record<string, string>): string => labels.resource || ((labels.resource_prefix ?? '').split('/').filter(Boolean).pop() ?? '');

function listWaste(ctx: CheckContext, w: Window, fetchedNames: string[], returnedNames: string[]): void {
  const sum = (names: string[]) => {
    const out = new Map<string, number>();
    for (const name of names) {
      for (const g of counterIncreases(w.first, w.second, name, ['resource', 'resource_prefix'])) {
        const r = resourceOf(g.labels);
        out.set(r, (out.get(r) ?? 0) + g.increase);
      }
    }
    return out;
  };
  const fetched = sum(fetchedNames);
  const returned = sum(returnedNames);
  for (const [resource, f] of fetched) {
    const r = returned.get(resource) ?? 0;
    if (f < LIST_WASTE_MIN_FETCHED || f < LIST_WASTE_RATIO * Math.max(r, 1)) continue;
    ctx.report({
      rule: 'listFetchesFarMoreThanReturned', severity: 'warning',
      target: { kind: 'APIResource', name: resource },
      message: `LISTs of ${resource} read ${f} objects from storage but returned ${r} within ${Math.round(w.interval)} s: clients filter with selectors the API server cannot index, so every list scans all ${resource}.`,
      evidence: { resource, fetched: f, returned: r, windowSeconds: Math.round(w.interval) },
      expected: `fetched < ${LIST_WASTE_RATIO}× returned`, actual: `${Math.round(f / Math.max(r, 1))}×`,
      remediation: { summary: `Find the client (audit log, user agent) listing ${resource} with label/field selectors and move it to an informer or an indexed selector (spec.nodeName for pods); paginate large lists.` },
    });
  }
}

function terminatedWatchers(ctx: CheckContext, w: Window, names: string[]): void {
  for (const name of names) {
    for (const g of counterIncreases(w.first, w.second, name, ['resource'])) {
      if (g.increase <= 0) continue;
      ctx.report({
        rule: 'watchersTerminated', severity: 'warning', target: { kind: 'APIResource', name: g.labels.resource ?? '' },
        message: `The API server closed ${g.increase} watch(es) on ${g.labels.resource} within ${Math.round(w.interval)} s because the watchers did not keep up; each one relists.`,
        evidence: { resource: g.labels.resource, terminated: g.increase, windowSeconds: Math.round(w.interval), counterReset: g.reset || undefined },
        expected: '0', actual: String(g.increase),
        remediation: { summary: 'Slow watchers: overloaded controllers or clients, or a network path that cannot carry the event rate. Find them by user agent; give the API server more CPU if all watchers are slow.' },
      });
    }
  }
}

function relists(ctx: CheckContext, w: Window, names: string[]): void {
  for (const name of names) {
    const gone = counterIncreases(w.first, w.second, name, ['code', 'resource']).filter((g) => g.labels.code === '410' && g.increase > 0);
    const total = gone.reduce((n, g) => n + g.increase, 0);
    if (total / w.interval < RELISTS_PER_SECOND) continue;
    const resources = Object.fromEntries(gone.sort((a, b) => b.increase - a.increase).slice(0, 10).map((g) => [g.labels.resource ?? '', g.increase]));
    ctx.report({
      rule: 'relistStorm', severity: 'warning', target: CLUSTER,
      message: `${total} requests answered 410 Gone (resource version too old) within ${Math.round(w.interval)} s, ${(total / w.interval).toFixed(1)}/s: clients are relisting in a loop.`,
      evidence: { gonePerSecond: total / w.interval, byResource: resources, windowSeconds: Math.round(w.interval) },
      expected: `< ${RELISTS_PER_SECOND}/s`, actual: `${(total / w.interval).toFixed(1)}/s`,
      remediation: { summary: 'Clients fall behind the watch cache: check for terminated watchers, etcd compaction interval and clients listing with stale resourceVersions; the occasional 410 after compaction is normal.' },
    });
  }
}

function deprecatedApis(ctx: CheckContext, last: Exposition, names: string[], minor: number | undefined): void {
  for (const name of names) {
    for (const s of last.samples.get(name) ?? []) {
      if (s.value !== 1) continue;
      const { group = '', version = '', resource = '', subresource = '', removed_release: removed = '' } = s.labels;
      const removedMinor = minorOf(removed);
      const soon = removedMinor !== undefined && minor !== undefined && removedMinor <= minor + 1;
      const api = `${group ? `${group}/` : ''}${version} ${resource}${subresource ? `/${subresource}` : ''}`;
      ctx.report({
        rule: 'deprecatedApiRequested', severity: soon ? 'warning' : 'info',
        target: { kind: 'APIResource', name: `${resource}.${version}${group ? `.${group}` : ''}` },
        message: `Clients still request the deprecated API ${api}${removed ? `, removed in ${removed}` : ''}: they break on that upgrade.`,
        evidence: { group, version, resource, subresource: subresource || undefined, removedRelease: removed || undefined },
        expected: 'no requests to deprecated APIs', actual: `requested${removed ? ` (removed in ${removed})` : ''}`,
        remediation: { summary: 'Find the clients in the audit log (or the warning headers they log) and move their manifests and code to the replacement API.' },
      });
    }
  }
}
