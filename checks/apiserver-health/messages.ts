// The rules of apiserver-health and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';

export interface SlowRequests {
  verb: string;
  scope: string;
  /** resource[/subresource][.group] */
  resource: string;
  p99: { value: number; above: boolean };
  requests: number;
  interval: number;
  slo: { seconds: number; name: string };
}

const seconds = (interval: number) => Math.round(interval);

export const rules = {
  requestLatencyAboveSlo: {
    description: 'Request latency p99 in the window is above the SIG-scalability SLO for its verb and scope.',
    message: (d: SlowRequests): Wording => {
      const p = `${d.p99.above ? '> ' : ''}${d.p99.value.toFixed(2)} s`;
      return {
        message: `${d.verb} ${d.resource} (${d.scope || 'unknown'} scope): p99 latency ${p} over the last ${seconds(d.interval)} s (${d.requests} requests), ` +
          `above the ${d.slo.seconds} s SLO for a ${d.slo.name}.`,
        expected: `p99 ≤ ${d.slo.seconds} s`, actual: `p99 ${p}`,
        remediation: {
          summary: d.verb === 'LIST' ? 'Slow LISTs: find the clients listing without pagination or field/label selectors the watch cache can index, and page them (limit/continue) or move them to informers.'
            : 'Look at etcd latency (etcd-health), API Priority and Fairness queueing, admission webhooks and the API server\'s CPU.',
          steps: ['kubectl get --raw /metrics | grep apiserver_request_duration_seconds_bucket', 'kubectl get --raw /metrics | grep -E "apiserver_admission_webhook_admission_duration_seconds_(sum|count)"'],
        },
      };
    },
  },
  apfRejections: {
    description: 'API Priority and Fairness rejected requests (HTTP 429) in the window.',
    message: (d: { level: string; rejected: number; interval: number; critical: boolean }): Wording => ({
      message: `API Priority and Fairness rejected ${d.rejected} request(s) (HTTP 429) in priority level ${d.level} within ${seconds(d.interval)} s` +
        (d.critical ? ': this level carries node heartbeats, leader election or the control plane\'s own requests — nodes can go NotReady and controllers lose their leases.' : ': clients in it are throttled and retry.'),
      expected: 'no rejections', actual: `${d.rejected} rejected`,
      remediation: {
        summary: d.critical ? 'Find what floods the API server (apiserver_flowcontrol_dispatched_requests_total by flow_schema) and stop it; do not starve system levels.'
          : 'Find the noisy client (flow schema, user agent) and fix it, or give its level more concurrency shares.',
        steps: [`kubectl get prioritylevelconfiguration ${d.level} -o yaml`, 'kubectl get --raw /debug/api_priority_and_fairness/dump_priority_levels'],
      },
    }),
  },
  inflightNearLimit: {
    description: 'Inflight requests are near the API server limits.',
    // isDefault: the limit is kube-apiserver's default, not one the user set for this check.
    message: (d: { kind: string; peak: number; limit: number; isDefault: boolean; nearPercent: number }): Wording => ({
      message: `${d.peak} ${d.kind} requests in flight at a scrape, ${Math.round((d.peak / d.limit) * 100)} % of the ${d.isDefault ? 'default' : 'configured'} limit of ${d.limit}: more arrive than the API server completes.`,
      expected: `< ${Math.round((d.limit * d.nearPercent) / 100)} (${d.nearPercent} % of the ${d.isDefault ? 'default' : 'configured'} ${d.limit})`, actual: String(d.peak),
      remediation: { summary: 'Find the slow or flooding requests (latency, APF rejections above); raise --max-requests-inflight / --max-mutating-requests-inflight only with the CPU and memory to serve them.' },
    }),
  },
  listFetchesFarMoreThanReturned: {
    description: 'LISTs fetch far more objects than they return (unpaginated or unindexed LISTs).',
    message: (d: { resource: string; fetched: number; returned: number; interval: number; ratio: number }): Wording => ({
      message: `LISTs of ${d.resource} read ${d.fetched} objects from storage but returned ${d.returned} within ${seconds(d.interval)} s: clients filter with selectors the API server cannot index, so every list scans all ${d.resource}.`,
      expected: `fetched < ${d.ratio}× returned`, actual: `${Math.round(d.fetched / Math.max(d.returned, 1))}×`,
      remediation: { summary: `Find the client (audit log, user agent) listing ${d.resource} with label/field selectors and move it to an informer or an indexed selector (spec.nodeName for pods); paginate large lists.` },
    }),
  },
  watchersTerminated: {
    description: 'Watchers were closed for falling behind.',
    message: (d: { resource?: string; terminated: number; interval: number }): Wording => ({
      message: `The API server closed ${d.terminated} watch(es) on ${d.resource} within ${seconds(d.interval)} s because the watchers did not keep up; each one relists.`,
      expected: '0', actual: String(d.terminated),
      remediation: { summary: 'Slow watchers: overloaded controllers or clients, or a network path that cannot carry the event rate. Find them by user agent; give the API server more CPU if all watchers are slow.' },
    }),
  },
  relistStorm: {
    description: 'Clients relist after "410 Gone" at a high rate.',
    message: (d: { gone: number; interval: number; limitPerSecond: number }): Wording => ({
      message: `${d.gone} requests answered 410 Gone (resource version too old) within ${seconds(d.interval)} s, ${(d.gone / d.interval).toFixed(1)}/s: clients are relisting in a loop.`,
      expected: `< ${d.limitPerSecond}/s`, actual: `${(d.gone / d.interval).toFixed(1)}/s`,
      remediation: { summary: 'Clients fall behind the watch cache: check for terminated watchers, etcd compaction interval and clients listing with stale resourceVersions; the occasional 410 after compaction is normal.' },
    }),
  },
  deprecatedApiRequested: {
    description: 'A deprecated API is still being requested.',
    message: (d: { api: string; removed: string }): Wording => ({
      message: `Clients still request the deprecated API ${d.api}${d.removed ? `, removed in ${d.removed}` : ''}: they break on that upgrade.`,
      expected: 'no requests to deprecated APIs', actual: `requested${d.removed ? ` (removed in ${d.removed})` : ''}`,
      remediation: { summary: 'Find the clients in the audit log (or the warning headers they log) and move their manifests and code to the replacement API.' },
    }),
  },
  oneScrapeOnly: {
    description: 'Only one /metrics scrape: rates were not judged.',
    message: (_: Record<string, never>): Wording => ({
      message: 'Only one /metrics scrape (--sample-interval 0 or the second scrape failed): latency, rejection and relist rates were not judged.',
      remediation: { summary: 'Run with --sample-interval of at least 10s.' },
    }),
  },
  metricsNotServed: {
    description: 'A metric the reported version should serve is absent.',
    message: (d: { version?: string; missing: string[] }): Wording => ({
      message: `The API server (${d.version ?? 'version unknown'}) does not serve ${d.missing.join(', ')}: what they measure was not judged.`,
      remediation: { summary: 'Metrics can be turned off (--disabled-metrics) or renamed in this release; nothing to fix unless you disabled them by mistake.' },
    }),
  },
};
