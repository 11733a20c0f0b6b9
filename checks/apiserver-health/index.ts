// Upstream: kubernetes/community sig-scalability/slos (API call latency SLOs); kube-apiserver metrics
// (staging/src/k8s.io/apiserver/pkg/endpoints/metrics, flowcontrol, storage); check-facts §12, §14.
import { defineCheck, reporter, type ApiserverMetrics, type Reporter } from '../../src/check.js';
import type { Exposition } from '../../src/metrics/prometheus-text.js';
import { counterIncreases, histogramQuantile, histogramWindows } from '../../src/metrics/series.js';
import { FAMILIES, expectedNames, minorOf, type MetricRole } from './metric-names.js';
import { rules } from './messages.js';

type Say = Reporter<typeof rules>;

/** SIG-scalability API call latency SLOs (p99 over a window): the defaults of the SLO settings. */
const SLO_SECONDS = { singleOrMutating: 1, namespaceList: 5, clusterList: 30 };
/** apiserver_request_duration_seconds' highest finite bucket: a p99 beyond it reads as "> 60 s", so a longer SLO never fires. */
const HIGHEST_BUCKET_SECONDS = 60;
/** Long-running requests are not covered by the latency SLO. */
const LONG_RUNNING_VERBS = new Set(['WATCH', 'WATCHLIST', 'CONNECT']);
const LONG_RUNNING_SUBRESOURCES = new Set(['proxy', 'log', 'exec', 'attach', 'portforward']);
/** A p99 needs enough observations to mean anything. */
const MIN_OBSERVATIONS = 10;
/** Rejected requests in these APF priority levels stop the control plane itself (nodes, leader election). */
const CRITICAL_PRIORITY_LEVELS = new Set(['system', 'node-high', 'leader-election', 'exempt']);
/** kube-apiserver defaults: --max-requests-inflight 400, --max-mutating-requests-inflight 200 (the
 * metrics do not say what a server was started with, so these are settings). */
const INFLIGHT_LIMITS = { readOnly: 400, mutating: 200 };
const INFLIGHT_NEAR_PERCENT = 80;
const LIST_WASTE_RATIO = 10;
const LIST_WASTE_MIN_FETCHED = 10_000;
const RELISTS_PER_SECOND = 1;

/** The lines the check judges against: the settings, read once. */
interface Limits {
  slo: typeof SLO_SECONDS;
  inflight: typeof INFLIGHT_LIMITS;
  inflightNearPercent: number;
  listWasteRatio: number;
  listWasteMinFetched: number;
  relistsPerSecond: number;
}

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
  rules,
  settings: {
    sloSingleObjectSeconds: { type: 'number', default: SLO_SECONDS.singleOrMutating, min: 0.01, max: HIGHEST_BUCKET_SECONDS, description: 'p99 latency of single-object reads and mutating requests above which they are reported' },
    sloNamespaceListSeconds: { type: 'number', default: SLO_SECONDS.namespaceList, min: 0.01, max: HIGHEST_BUCKET_SECONDS, description: 'p99 latency of namespace-scoped LISTs above which they are reported' },
    sloClusterListSeconds: { type: 'number', default: SLO_SECONDS.clusterList, min: 0.01, max: HIGHEST_BUCKET_SECONDS, description: 'p99 latency of cluster-scoped LISTs above which they are reported' },
    maxRequestsInflight: { type: 'number', default: INFLIGHT_LIMITS.readOnly, min: 1, description: 'The server\'s --max-requests-inflight (read-only requests), which inflight requests are judged against' },
    maxMutatingRequestsInflight: { type: 'number', default: INFLIGHT_LIMITS.mutating, min: 1, description: 'The server\'s --max-mutating-requests-inflight, which inflight mutating requests are judged against' },
    inflightNearPercent: { type: 'number', default: INFLIGHT_NEAR_PERCENT, min: 1, max: 100, description: 'Inflight requests as a share of their limit at which they are reported' },
    listWasteRatio: { type: 'number', default: LIST_WASTE_RATIO, min: 1, description: 'Objects fetched per object returned by LISTs of a resource at which they are reported' },
    listWasteMinFetched: { type: 'number', default: LIST_WASTE_MIN_FETCHED, min: 0, description: 'Objects fetched by LISTs of a resource in the window below which they are not judged' },
    relistsPerSecond: { type: 'number', default: RELISTS_PER_SECOND, min: 0.01, description: '"410 Gone" answers per second at which clients are reported as relisting in a loop' },
  },
  needs: { apiserverMetrics: { families: FAMILIES } },
  create(ctx) {
    const say = reporter(ctx, rules);
    const o = ctx.options;
    const limits: Limits = {
      slo: { singleOrMutating: Number(o.sloSingleObjectSeconds), namespaceList: Number(o.sloNamespaceListSeconds), clusterList: Number(o.sloClusterListSeconds) },
      inflight: { readOnly: Number(o.maxRequestsInflight), mutating: Number(o.maxMutatingRequestsInflight) },
      inflightNearPercent: Number(o.inflightNearPercent),
      listWasteRatio: Number(o.listWasteRatio),
      listWasteMinFetched: Number(o.listWasteMinFetched),
      relistsPerSecond: Number(o.relistsPerSecond),
    };
    return {
      ApiserverMetrics(m: ApiserverMetrics) {
        if (m.ok) judge(say, limits, m.scrapes, m.intervalSeconds);
      },
    };
  },
});

function judge(say: Say, limits: Limits, scrapes: Exposition[], interval: number): void {
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

  deprecatedApis(say, last, served('deprecated'), minor);
  inflight(say, limits, scrapes, served('inflight'));
  if (first && interval > 0) {
    const w = { first, second: last, interval };
    latency(say, limits.slo, w, served('latency', '_count'));
    rejections(say, w, served('rejected'));
    listWaste(say, limits, w, served('listFetched'), served('listReturned'));
    terminatedWatchers(say, w, served('terminatedWatchers'));
    relists(say, limits.relistsPerSecond, w, served('requests'));
  } else {
    say('oneScrapeOnly', { severity: 'info', target: CLUSTER }, {});
  }
  if (notServed.length) {
    say('metricsNotServed', { severity: 'info', target: CLUSTER, evidence: { version: version ?? null, missing: notServed } }, { version, missing: notServed });
  }
}

interface Window { first: Exposition; second: Exposition; interval: number }

function sloFor(slos: Limits['slo'], verb: string, scope: string): { seconds: number; name: string } {
  if (verb === 'LIST' && scope === 'cluster') return { seconds: slos.clusterList, name: 'cluster-scoped LIST' };
  if (verb === 'LIST' && scope === 'namespace') return { seconds: slos.namespaceList, name: 'namespace-scoped LIST' };
  return { seconds: slos.singleOrMutating, name: verb === 'GET' || verb === 'LIST' ? 'single-object read' : 'mutating request' };
}

function latency(say: Say, slos: Limits['slo'], w: Window, names: string[]): void {
  for (const family of names) {
    for (const h of histogramWindows(w.first, w.second, family, ['verb', 'scope', 'group', 'resource', 'subresource'])) {
      const { verb = '', scope = '', group = '', resource = '', subresource = '' } = h.labels;
      if (LONG_RUNNING_VERBS.has(verb) || LONG_RUNNING_SUBRESOURCES.has(subresource) || h.count < MIN_OBSERVATIONS) continue;
      const p99 = histogramQuantile(0.99, h.buckets);
      const slo = sloFor(slos, verb, scope);
      if (!p99 || p99.value <= slo.seconds) continue;
      const res = `${resource}${subresource ? `/${subresource}` : ''}${group ? `.${group}` : ''}`;
      say('requestLatencyAboveSlo', {
        severity: 'warning',
        target: { kind: 'APIResource', name: res },
        evidence: { verb, scope, resource: res, p99Seconds: p99.value, p99AboveHighestBucket: p99.above || undefined, requests: h.count, windowSeconds: Math.round(w.interval), sloSeconds: slo.seconds, counterReset: h.reset || undefined },
      }, { verb, scope, resource: res, p99, requests: h.count, interval: w.interval, slo });
    }
  }
}

function rejections(say: Say, w: Window, names: string[]): void {
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
      say('apfRejections', {
        severity: critical ? 'critical' : 'warning',
        target: { kind: 'PriorityLevelConfiguration', name: level },
        evidence: { priorityLevel: level, rejected: e.increase, reasons: e.reasons, windowSeconds: Math.round(w.interval), counterReset: e.reset || undefined },
      }, { level, rejected: e.increase, interval: w.interval, critical });
    }
  }
}

function inflight(say: Say, limits: Limits, scrapes: Exposition[], names: string[]): void {
  for (const name of names) {
    for (const kind of ['readOnly', 'mutating'] as const) {
      const limit = limits.inflight[kind];
      const values = scrapes.map((s) => s.samples.get(name)?.find((x) => x.labels.request_kind === kind)?.value ?? 0);
      const peak = Math.max(...values);
      if (peak < (limit * limits.inflightNearPercent) / 100) continue;
      say('inflightNearLimit', {
        severity: 'warning', target: CLUSTER,
        evidence: { requestKind: kind, inflight: values, assumedLimit: limit },
      }, { kind, peak, limit, isDefault: limit === INFLIGHT_LIMITS[kind], nearPercent: limits.inflightNearPercent });
    }
  }
}

/** Resource name from the storage label (`pods`) or the cache label (`/pods`, `/apps/deployments`). */
const resourceOf = (labels: Record<string, string>): string => labels.resource || ((labels.resource_prefix ?? '').split('/').filter(Boolean).pop() ?? '');

function listWaste(say: Say, limits: Limits, w: Window, fetchedNames: string[], returnedNames: string[]): void {
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
    if (f < limits.listWasteMinFetched || f < limits.listWasteRatio * Math.max(r, 1)) continue;
    say('listFetchesFarMoreThanReturned', {
      severity: 'warning',
      target: { kind: 'APIResource', name: resource },
      evidence: { resource, fetched: f, returned: r, windowSeconds: Math.round(w.interval) },
    }, { resource, fetched: f, returned: r, interval: w.interval, ratio: limits.listWasteRatio });
  }
}

function terminatedWatchers(say: Say, w: Window, names: string[]): void {
  for (const name of names) {
    for (const g of counterIncreases(w.first, w.second, name, ['resource'])) {
      if (g.increase <= 0) continue;
      say('watchersTerminated', {
        severity: 'warning', target: { kind: 'APIResource', name: g.labels.resource ?? '' },
        evidence: { resource: g.labels.resource, terminated: g.increase, windowSeconds: Math.round(w.interval), counterReset: g.reset || undefined },
      }, { resource: g.labels.resource, terminated: g.increase, interval: w.interval });
    }
  }
}

function relists(say: Say, perSecond: number, w: Window, names: string[]): void {
  for (const name of names) {
    const gone = counterIncreases(w.first, w.second, name, ['code', 'resource']).filter((g) => g.labels.code === '410' && g.increase > 0);
    const total = gone.reduce((n, g) => n + g.increase, 0);
    if (total / w.interval < perSecond) continue;
    const resources = Object.fromEntries(gone.sort((a, b) => b.increase - a.increase).slice(0, 10).map((g) => [g.labels.resource ?? '', g.increase]));
    say('relistStorm', {
      severity: 'warning', target: CLUSTER,
      evidence: { gonePerSecond: total / w.interval, byResource: resources, windowSeconds: Math.round(w.interval) },
    }, { gone: total, interval: w.interval, limitPerSecond: perSecond });
  }
}

function deprecatedApis(say: Say, last: Exposition, names: string[], minor: number | undefined): void {
  for (const name of names) {
    for (const s of last.samples.get(name) ?? []) {
      if (s.value !== 1) continue;
      const { group = '', version = '', resource = '', subresource = '', removed_release: removed = '' } = s.labels;
      const removedMinor = minorOf(removed);
      const soon = removedMinor !== undefined && minor !== undefined && removedMinor <= minor + 1;
      const api = `${group ? `${group}/` : ''}${version} ${resource}${subresource ? `/${subresource}` : ''}`;
      say('deprecatedApiRequested', {
        severity: soon ? 'warning' : 'info',
        target: { kind: 'APIResource', name: `${resource}.${version}${group ? `.${group}` : ''}` },
        evidence: { group, version, resource, subresource: subresource || undefined, removedRelease: removed || undefined },
      }, { api, removed });
    }
  }
}
