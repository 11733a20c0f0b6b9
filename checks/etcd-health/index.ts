// Upstream: etcd docs (op-guide/maintenance: space quota, alarms, defrag; tuning; metrics), etcd-mixin
// alerts; kubeadm etcd static pod layout; check-facts §12, §14 and toolchain §5 (etcd 3.4 facts).
import { defineCheck, optional, reporter, type ApiserverMetrics, type CheckContext, type NodeProbeResults } from '../../src/check.js';
import type { Exposition } from '../../src/metrics/prometheus-text.js';
import { counterIncrease, gauge, histogramQuantile, histogramWindows } from '../../src/metrics/series.js';
import type { EtcdMetrics } from '../../src/node/probes/etcdMetrics.js';
import type { EtcdStatus } from '../../src/node/probes/etcdStatus.js';
import { ETCD_MANIFEST } from '../../src/node/probes/etcdManifest.js';
import * as F from './findings.js';
import { rules } from './messages.js';

/** The API server's view of the etcd database size, renamed across releases (newest first). */
const APISERVER_DB_SIZE = ['apiserver_storage_size_bytes', 'apiserver_storage_db_total_size_in_bytes', 'etcd_db_total_size_in_bytes'];

export const DEFAULT_QUOTA = 2 * 1024 ** 3;
/** The share of the quota at which the database size is a warning and critical (the check's settings). */
const quotaLines = (ctx: CheckContext) => ({ warning: Number(ctx.options.quotaWarningPercent) / 100, critical: Number(ctx.options.quotaCriticalPercent) / 100 });
/** etcd's guidance: WAL fsync p99 under 10 ms; backend commit p99 under 25 ms. */
const FSYNC = { warning: 0.01, critical: 0.1 };
const COMMIT = { warning: 0.025, critical: 0.25 };
const MIN_OBSERVATIONS = 10;
const FRAGMENTED_RATIO = 0.5;
const FRAGMENTED_MIN_BYTES = 100 * 1024 * 1024;
/** "apply request took too long" is logged past a fixed 100 ms: judge the rate, not the presence. */
const TOO_LONG_PER_HOUR = 60;
const TOO_LONG_MIN_LINES = 10;

interface NodeEtcd {
  node: string;
  status?: Extract<EtcdStatus, { manifest: 'present' }>;
  statusFailure?: string;
  metrics?: Extract<EtcdMetrics, { manifest: 'present' }>;
  metricsFailure?: string;
}

export default defineCheck({
  id: 'etcd-health',
  title: 'etcd has room below its quota, a leader, and fast disks',
  severity: 'critical',
  description:
    'On control-plane nodes with an etcd static pod (kubeadm layout), runs `etcdctl endpoint status` and `alarm list` with ' +
    'the certificates the manifest names, and samples etcd\'s metrics twice: db size against --quota-backend-bytes (warning ' +
    '≥ 80 %, critical ≥ 95 % or an active NOSPACE alarm), no leader, leader changes, WAL fsync and backend commit p99, ' +
    'fragmentation, member versions, the rate of "took too long" lines in its log, and a rotational data disk. Without a ' +
    'reachable etcd (managed control planes) it judges the database size the API server\'s metrics report, or is skipped.',
  rules,
  settings: {
    quotaWarningPercent: { type: 'number', default: 80, min: 1, max: 100, description: 'Database size as a share of --quota-backend-bytes at which it is a warning' },
    quotaCriticalPercent: { type: 'number', default: 95, min: 1, max: 100, description: 'Database size as a share of the quota at which it is critical' },
  },
  needs: {
    api: [{ kind: 'Node', optional: true }],
    probes: optional('etcdStatus', 'etcdMetrics'),
    apiserverMetrics: { families: APISERVER_DB_SIZE, optional: true },
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const nodes: NodeEtcd[] = [];
    let nodesReached = 0;
    let apiserver: Exposition | undefined;
    return {
      ApiserverMetrics(m: ApiserverMetrics) { if (m.ok) apiserver = m.scrapes[m.scrapes.length - 1]; },
      NodeProbes(r: NodeProbeResults) {
        nodesReached++;
        const st = r.probes.etcdStatus;
        const me = r.probes.etcdMetrics;
        const status = st?.ok ? st.value : undefined;
        const metrics = me?.ok ? me.value : undefined;
        // No manifest on this node: not a control-plane node of a kubeadm-like cluster.
        if ((status?.manifest ?? 'absent') === 'absent' && (metrics?.manifest ?? 'absent') === 'absent' && st?.ok !== false && me?.ok !== false) return;
        nodes.push({
          node: r.node,
          status: status?.manifest === 'present' ? status : undefined,
          statusFailure: st && !st.ok ? st.reason : status?.manifest === 'present' && !status.members.length ? status.statusError : undefined,
          metrics: metrics?.manifest === 'present' ? metrics : undefined,
          metricsFailure: me && !me.ok ? me.reason : undefined,
        });
      },
      finish() {
        const judged = nodes.filter((n) => n.status?.members.length || n.metrics);
        if (!judged.length) return fallback(ctx, say, nodes, nodesReached, apiserver);
        const seen = new Set<string>();
        for (const n of judged) judgeNode(ctx, say, n, seen);
        const unreachable = nodes.filter((n) => !judged.includes(n));
        if (unreachable.length) return { note: `etcd not reachable on ${unreachable.map((n) => `${n.node} (${n.statusFailure ?? n.metricsFailure})`).join(', ')}` };
        return undefined;
      },
    };
  },
});

function judgeNode(ctx: CheckContext, say: F.Say, n: NodeEtcd, seen: Set<string>): void {
  const last = n.metrics?.samples[n.metrics.samples.length - 1];
  const first = n.metrics && n.metrics.samples.length > 1 ? n.metrics.samples[0] : undefined;
  const flagQuota = Number(n.status?.flags['quota-backend-bytes']);
  const quota = gauge(last, 'etcd_server_quota_backend_bytes') ?? (flagQuota > 0 ? flagQuota : undefined);
  const quotaSource = gauge(last, 'etcd_server_quota_backend_bytes') !== undefined ? 'etcd_server_quota_backend_bytes'
    : quota !== undefined ? `--quota-backend-bytes in ${ETCD_MANIFEST}` : 'etcd default (2 GiB)';
  const target = { kind: 'Pod', namespace: 'kube-system', name: `etcd-${n.node}` };
  const members = n.status?.members ?? [];
  // With --cluster every control-plane node reports every member: each member is judged once. One
  // member is this node's; several are named by their endpoint, with this node's quota (kubeadm gives
  // every member the same flags).
  for (const m of members) {
    if (seen.has(m.memberId)) continue;
    seen.add(m.memberId);
    const t = members.length === 1 ? target : { kind: 'EtcdMember', name: m.endpoint || m.memberId };
    F.quota(say, t, { dbSize: m.dbSize, quota: quota ?? DEFAULT_QUOTA, quotaSource, ...quotaLines(ctx), member: m.memberId });
    if (m.dbSizeInUse !== undefined && m.dbSize > FRAGMENTED_MIN_BYTES && m.dbSizeInUse / m.dbSize < FRAGMENTED_RATIO) F.fragmented(say, t, m.dbSize, m.dbSizeInUse);
    if (m.leader === '0') F.noLeader(say, t, 'endpoint status reports leader 0');
    if (olderThan34(m.version)) F.oldVersion(say, t, m.version);
  }
  const alarms = n.status?.alarms ?? [];
  // `alarm list` answers for the whole cluster: every control-plane node reports the same alarms.
  for (const a of alarms) {
    const key = `alarm ${a.memberId} ${a.alarm}`;
    if (seen.has(key)) continue;
    seen.add(key);
    F.alarm(say, target, a.alarm, a.memberId, n.status?.flags['quota-backend-bytes']);
  }
  if (!members.length && last) {
    // Status unreadable, metrics readable: the same questions from the metrics.
    const size = gauge(last, 'etcd_mvcc_db_total_size_in_bytes');
    if (size !== undefined) F.quota(say, target, { dbSize: size, quota: quota ?? DEFAULT_QUOTA, quotaSource, ...quotaLines(ctx) });
    const version = last.samples.get('etcd_server_version')?.[0]?.labels.server_version;
    if (version && olderThan34(version)) F.oldVersion(say, target, version);
  }
  if (last) {
    if (gauge(last, 'etcd_server_has_leader') === 0 && !members.some((m) => m.leader === '0')) F.noLeader(say, target, 'etcd_server_has_leader is 0');
    const total = gauge(last, 'etcd_server_leader_changes_seen_total');
    if (first && total !== undefined) {
      const change = counterIncrease(gauge(first, 'etcd_server_leader_changes_seen_total'), total);
      if (change.increase > 0) F.leaderChanges(say, target, change.increase, total, n.metrics!.intervalSeconds, change.reset);
    }
    const window = first ? `the last ${Math.round(n.metrics!.intervalSeconds)} s` : 'since etcd started (one sample)';
    for (const [family, limits, rule] of [['etcd_disk_wal_fsync_duration_seconds', FSYNC, 'slowWalFsync'], ['etcd_disk_backend_commit_duration_seconds', COMMIT, 'slowBackendCommit']] as const) {
      const [h] = histogramWindows(first, last, family, []);
      if (!h || h.count < MIN_OBSERVATIONS) continue;
      const p99 = histogramQuantile(0.99, h.buckets);
      if (!p99 || p99.value <= limits.warning) continue;
      F.slowDisk(say, target, { rule, family, p99: p99.value, above: p99.above, count: h.count, window, limits, reset: h.reset });
    }
  }
  const log = n.status?.log;
  if (log && log.tooLong >= TOO_LONG_MIN_LINES) {
    const span = Math.max(60, (Date.parse(log.last ?? '') - Date.parse(log.first ?? '')) / 1000 || 0);
    const perHour = (log.tooLong / span) * 3600;
    if (perHour >= TOO_LONG_PER_HOUR) F.slowApplies(say, target, log.tooLong, span, perHour, TOO_LONG_PER_HOUR);
  }
  const r = n.status?.rotational;
  if (r?.rotational) F.rotational(say, target, r.device, n.status?.flags['data-dir']);
}

/** No etcd member reachable: judge what the API server's metrics show, or skip with the reason. */
function fallback(ctx: CheckContext, say: F.Say, nodes: NodeEtcd[], reached: number, apiserver: Exposition | undefined): { skip?: string; note?: string } {
  const why = nodes.length
    ? `etcd not reachable on ${nodes.map((n) => `${n.node}: ${n.statusFailure ?? n.metricsFailure ?? 'no answer'}`).join('; ')}`
    : reached ? `no reached node has an etcd static pod manifest (${ETCD_MANIFEST}): a managed control plane, or etcd outside the cluster`
      : 'no node data (no node reached over SSH)';
  const name = APISERVER_DB_SIZE.find((n) => apiserver?.samples.has(n));
  if (!apiserver || !name) return { skip: `${why}; the API server's metrics show no etcd database size` };
  for (const s of apiserver.samples.get(name) ?? []) {
    if (!(s.value >= 0)) continue;
    const cluster = s.labels.storage_cluster_id || s.labels.endpoint || 'etcd';
    F.quota(say, { kind: 'EtcdCluster', name: cluster }, { dbSize: s.value, quota: DEFAULT_QUOTA, quotaSource: `etcd default (2 GiB) assumed: the quota is not visible from the API server (${name})`, ...quotaLines(ctx) });
  }
  return { note: `${why}; judged the database size from the API server's ${name}` };
}

function olderThan34(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return !!m && (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 4));
}
