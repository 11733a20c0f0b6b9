// Upstream: etcd docs (op-guide/maintenance: space quota, alarms, defrag; tuning; metrics), etcd-mixin
// alerts; kubeadm etcd static pod layout; check-facts §12, §14 and toolchain §5 (etcd 3.4 facts).
import { defineCheck, optional, reporter, type ApiserverMetrics, type NodeProbeResults } from '../../src/check.js';
import type { Exposition } from '../../src/metrics/prometheus-text.js';
import { counterIncrease, gauge, histogramQuantile, histogramWindows } from '../../src/metrics/series.js';
import type { EtcdMetrics } from '../../src/node/probes/etcdMetrics.js';
import type { EtcdStatus } from '../../src/node/probes/etcdStatus.js';
import { ETCD_MANIFEST } from '../../src/node/probes/etcdManifest.js';
import * as F from './findings.js';
import { rules } from './messages.js';

/** The API server's view of the etcd database size, renamed across releases (newest first). */
const APISERVER_DB_SIZE = ['apiserver_storage_size_bytes', 'apiserver_storage_db_total_size_in_bytes', 'etcd_db_total_size_in_bytes'];

/** etcd's default --quota-backend-bytes (a fact of etcd, not a judgement): used when neither the
 * metric nor the manifest names the quota, and on managed control planes where it is not visible. */
export const DEFAULT_QUOTA = 2 * 1024 ** 3;
/** etcd's guidance: WAL fsync p99 under 10 ms; backend commit p99 under 25 ms. The warning lines'
 * defaults, and what a finding against another line names as etcd's own; critical at ten times. */
const GUIDANCE_MS = { walFsync: 10, backendCommit: 25 };
/** etcd's disk histograms' highest finite bucket (1 ms doubling 14 times): a p99 beyond it reads as
 * "> 8.192 s", so a line above it never fires. */
const HIGHEST_BUCKET_MS = 8192;
/** Below this many operations in the window a histogram is idle, not slow: its p99 is its slowest one. */
const MIN_OBSERVATIONS = 10;
/** A log shorter than this is read as this long: a burst of lines within seconds is not an hourly rate. */
const MIN_LOG_SPAN_SECONDS = 60;

/** The lines the check judges against: the settings, read once in create(). */
interface Limits {
  /** Shares of the quota (0–1). */
  quota: { warning: number; critical: number };
  /** Seconds. */
  walFsync: { warning: number; critical: number };
  backendCommit: { warning: number; critical: number };
  /** Share of the file in use (0–1) below which it is fragmented, and the file size (bytes) below which that is not judged. */
  fragmentedInUse: number;
  fragmentedMinBytes: number;
  slowAppliesPerHour: number;
  slowAppliesMinLines: number;
}

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
    walFsyncWarningMs: { type: 'number', default: GUIDANCE_MS.walFsync, min: 1, max: HIGHEST_BUCKET_MS, description: 'WAL fsync p99 (ms) above which it is a warning' },
    walFsyncCriticalMs: { type: 'number', default: 10 * GUIDANCE_MS.walFsync, min: 1, max: HIGHEST_BUCKET_MS, description: 'WAL fsync p99 (ms) above which it is critical' },
    backendCommitWarningMs: { type: 'number', default: GUIDANCE_MS.backendCommit, min: 1, max: HIGHEST_BUCKET_MS, description: 'Backend commit p99 (ms) above which it is a warning' },
    backendCommitCriticalMs: { type: 'number', default: 10 * GUIDANCE_MS.backendCommit, min: 1, max: HIGHEST_BUCKET_MS, description: 'Backend commit p99 (ms) above which it is critical' },
    fragmentedInUsePercent: { type: 'number', default: 50, min: 1, max: 100, description: 'Share of the database file in use below which it is reported as fragmented' },
    fragmentedMinMiB: { type: 'number', default: 100, min: 0, description: 'Database file size (MiB) up to which fragmentation is not reported' },
    slowAppliesPerHour: { type: 'number', default: 60, min: 0.1, description: '"took too long" lines per hour of the member\'s log at which they are reported' },
    slowAppliesMinLines: { type: 'number', default: 10, min: 1, description: '"took too long" lines in the member\'s log below which their rate is not judged' },
  },
  needs: {
    api: [{ kind: 'Node', optional: true }],
    probes: optional('etcdStatus', 'etcdMetrics'),
    apiserverMetrics: { families: APISERVER_DB_SIZE, optional: true },
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const o = ctx.options;
    const limits: Limits = {
      quota: { warning: Number(o.quotaWarningPercent) / 100, critical: Number(o.quotaCriticalPercent) / 100 },
      walFsync: { warning: Number(o.walFsyncWarningMs) / 1000, critical: Number(o.walFsyncCriticalMs) / 1000 },
      backendCommit: { warning: Number(o.backendCommitWarningMs) / 1000, critical: Number(o.backendCommitCriticalMs) / 1000 },
      fragmentedInUse: Number(o.fragmentedInUsePercent) / 100,
      fragmentedMinBytes: Number(o.fragmentedMinMiB) * 1024 * 1024,
      slowAppliesPerHour: Number(o.slowAppliesPerHour),
      slowAppliesMinLines: Number(o.slowAppliesMinLines),
    };
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
        if (!judged.length) return fallback(say, limits, nodes, nodesReached, apiserver);
        const seen = new Set<string>();
        for (const n of judged) judgeNode(say, limits, n, seen);
        const unreachable = nodes.filter((n) => !judged.includes(n));
        if (unreachable.length) return { note: `etcd not reachable on ${unreachable.map((n) => `${n.node} (${n.statusFailure ?? n.metricsFailure})`).join(', ')}` };
        return undefined;
      },
    };
  },
});

function judgeNode(say: F.Say, limits: Limits, n: NodeEtcd, seen: Set<string>): void {
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
    F.quota(say, t, { dbSize: m.dbSize, quota: quota ?? DEFAULT_QUOTA, quotaSource, ...limits.quota, member: m.memberId });
    if (m.dbSizeInUse !== undefined && m.dbSize > limits.fragmentedMinBytes && m.dbSizeInUse / m.dbSize < limits.fragmentedInUse) F.fragmented(say, t, m.dbSize, m.dbSizeInUse, limits.fragmentedInUse);
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
    if (size !== undefined) F.quota(say, target, { dbSize: size, quota: quota ?? DEFAULT_QUOTA, quotaSource, ...limits.quota });
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
    const disks = [
      ['etcd_disk_wal_fsync_duration_seconds', limits.walFsync, GUIDANCE_MS.walFsync, 'slowWalFsync'],
      ['etcd_disk_backend_commit_duration_seconds', limits.backendCommit, GUIDANCE_MS.backendCommit, 'slowBackendCommit'],
    ] as const;
    for (const [family, lines, guidanceMs, rule] of disks) {
      const [h] = histogramWindows(first, last, family, []);
      if (!h || h.count < MIN_OBSERVATIONS) continue;
      const p99 = histogramQuantile(0.99, h.buckets);
      // A critical line set below the warning one still reports what is above it.
      if (!p99 || p99.value <= Math.min(lines.warning, lines.critical)) continue;
      F.slowDisk(say, target, { rule, family, p99: p99.value, above: p99.above, count: h.count, window, limits: lines, guidance: guidanceMs / 1000, reset: h.reset });
    }
  }
  const log = n.status?.log;
  if (log && log.tooLong >= limits.slowAppliesMinLines) {
    const span = Math.max(MIN_LOG_SPAN_SECONDS, (Date.parse(log.last ?? '') - Date.parse(log.first ?? '')) / 1000 || 0);
    const perHour = (log.tooLong / span) * 3600;
    if (perHour >= limits.slowAppliesPerHour) F.slowApplies(say, target, log.tooLong, span, perHour, limits.slowAppliesPerHour);
  }
  const r = n.status?.rotational;
  if (r?.rotational) F.rotational(say, target, r.device, n.status?.flags['data-dir']);
}

/** No etcd member reachable: judge what the API server's metrics show, or skip with the reason. */
function fallback(say: F.Say, limits: Limits, nodes: NodeEtcd[], reached: number, apiserver: Exposition | undefined): { skip?: string; note?: string } {
  const why = nodes.length
    ? `etcd not reachable on ${nodes.map((n) => `${n.node}: ${n.statusFailure ?? n.metricsFailure ?? 'no answer'}`).join('; ')}`
    : reached ? `no reached node has an etcd static pod manifest (${ETCD_MANIFEST}): a managed control plane, or etcd outside the cluster`
      : 'no node data (no node reached over SSH)';
  const name = APISERVER_DB_SIZE.find((n) => apiserver?.samples.has(n));
  if (!apiserver || !name) return { skip: `${why}; the API server's metrics show no etcd database size` };
  for (const s of apiserver.samples.get(name) ?? []) {
    if (!(s.value >= 0)) continue;
    const cluster = s.labels.storage_cluster_id || s.labels.endpoint || 'etcd';
    F.quota(say, { kind: 'EtcdCluster', name: cluster }, { dbSize: s.value, quota: DEFAULT_QUOTA, quotaSource: `etcd default (2 GiB) assumed: the quota is not visible from the API server (${name})`, ...limits.quota });
  }
  return { note: `${why}; judged the database size from the API server's ${name}` };
}

/** 3.4 is a fact, not a line to tune: older minors lack the concurrent read path and are out of support. */
function olderThan34(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return !!m && (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 4));
}
