// The kube-apiserver metric names this check reads, with the releases that serve them. Names move
// between releases (kubernetes/kubernetes CHANGELOGs and the metrics documentation); the check reads
// the served version from kubernetes_build_info and says which metric it expected when one is missing.

export interface MetricName {
  name: string;
  /** First minor release (1.x) that serves it. */
  since: number;
  /** First minor release that no longer serves it. */
  until?: number;
  /** A vector with no series until the first event (a rejection, a terminated watch): client_golang
   * leaves empty vectors out of the exposition, so absence means "none yet", not "not served". */
  sparse?: boolean;
}

export const METRICS = {
  build: [{ name: 'kubernetes_build_info', since: 10 }],
  latency: [{ name: 'apiserver_request_duration_seconds', since: 14 }],
  requests: [{ name: 'apiserver_request_total', since: 14 }],
  rejected: [{ name: 'apiserver_flowcontrol_rejected_requests_total', since: 18, sparse: true }],
  inflight: [{ name: 'apiserver_current_inflight_requests', since: 8 }],
  // Lists served by etcd (label resource) and by the watch cache (label resource_prefix, "/pods").
  listFetched: [{ name: 'apiserver_storage_list_fetched_objects_total', since: 23 }, { name: 'apiserver_cache_list_fetched_objects_total', since: 23 }],
  listReturned: [{ name: 'apiserver_storage_list_returned_objects_total', since: 23 }, { name: 'apiserver_cache_list_returned_objects_total', since: 23 }],
  terminatedWatchers: [{ name: 'apiserver_terminated_watchers_total', since: 16, sparse: true }],
  deprecated: [{ name: 'apiserver_requested_deprecated_apis', since: 19, sparse: true }],
} satisfies Record<string, MetricName[]>;

export type MetricRole = keyof typeof METRICS;

/** Every family name the check may read (the engine keeps only these from a scrape). */
export const FAMILIES = Object.values(METRICS).flat().map((m) => m.name);

/** The names of a role the given minor release should serve. */
export function expectedNames(role: MetricRole, minor: number | undefined): MetricName[] {
  return METRICS[role].filter((m: MetricName) => minor === undefined || (minor >= m.since && (m.until === undefined || minor < m.until)));
}

/** "v1.32.4" → 32 (a "+" or a vendor suffix does not matter). */
export function minorOf(gitVersion: string | undefined): number | undefined {
  const m = /^v?1\.(\d+)/.exec(gitVersion ?? '');
  return m ? Number(m[1]) : undefined;
}
