// etcd's own Prometheus metrics, sampled twice --sample-interval apart (fsync and commit histograms,
// leader changes). kubeadm serves them in plain HTTP on --listen-metrics-urls (127.0.0.1:2381); else
// they come from the client URL with the manifest's certificates. Only the etcd families the check
// reads leave the node (380 etcd series otherwise).
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';
import { MetricsParseError, parseExposition, type Exposition } from '../../metrics/prometheus-text.js';
import { READ_ETCD_MANIFEST } from './etcdManifest.js';

export const ETCD_METRIC_FAMILIES = [
  'etcd_mvcc_db_total_size_in_bytes', 'etcd_mvcc_db_total_size_in_use_in_bytes', 'etcd_server_quota_backend_bytes',
  'etcd_server_has_leader', 'etcd_server_is_leader', 'etcd_server_leader_changes_seen_total', 'etcd_server_version',
  'etcd_disk_wal_fsync_duration_seconds', 'etcd_disk_backend_commit_duration_seconds', 'process_start_time_seconds',
];

export type EtcdMetrics =
  | { manifest: 'absent' }
  | { manifest: 'present'; url: string; samples: Exposition[]; intervalSeconds: number };

const KEEP = `^(# TYPE )?(${ETCD_METRIC_FAMILIES.join('|')})`;

export const etcdMetrics = defineProbe<EtcdMetrics>({
  sampled: true,
  script: [
    READ_ETCD_MANIFEST,
    "mu=$(flag listen-metrics-urls | tr ',' '\\n' | grep -m 1 '^http://' | sed 's#//0\\.0\\.0\\.0:#//127.0.0.1:#; s#/*$##')",
    'if [ -n "$mu" ]; then set -- "$mu/metrics"',
    'else set -- "$ep/metrics"; case "$ep" in https:*) set -- --cacert "$ca" --cert "$cert" --key "$key" "$@";; esac; fi',
    `if ! command -v curl >/dev/null 2>&1; then echo "${MARK}failed 127"; echo "curl is not installed on the node"; echo "${MARK}end"; exit 0; fi`,
    'out=$(curl -sS --fail --max-time 5 "$@" 2>&1); rc=$?',
    `echo "${MARK}url"; printf '%s\\n' "$mu" "$ep" | grep -m 1 .`,
    `if [ "$rc" -ne 0 ]; then echo "${MARK}failed $rc"; printf '%s\\n' "$out" | tail -n 1`,
    `else echo "${MARK}metrics"; printf '%s\\n' "$out" | grep -E '${KEEP}'; fi`,
    `echo "${MARK}end"`,
  ].join('\n'),
  parse(samples, intervalSeconds) {
    const parsed: Exposition[] = [];
    let url = '';
    for (const s of samples) {
      const { sections } = splitMarked(s.stdout, 'etcdMetrics');
      if (sections[0]?.marker === 'manifest absent') return { manifest: 'absent' };
      if (sections[0]?.marker === 'manifest unreadable') throw new ProbeError('/etc/kubernetes/manifests/etcd.yaml: permission denied (use --sudo)');
      url = sections.find((x) => x.marker === 'url')?.lines[0] ?? url;
      const failed = sections.find((x) => x.marker.startsWith('failed'));
      if (failed) throw new ProbeError(`etcd metrics at ${url || 'the manifest\'s URL'}: ${failed.lines.join(' ').slice(0, 200) || `curl exit ${failed.marker.split(' ')[1]}`}`);
      const metrics = sections.find((x) => x.marker === 'metrics');
      if (!metrics) throw new ProbeError('etcdMetrics: unexpected output');
      try {
        parsed.push(parseExposition(metrics.lines.join('\n')));
      } catch (err) {
        if (err instanceof MetricsParseError) throw new ProbeError(`etcd metrics: ${err.message}`);
        throw err;
      }
    }
    if (!parsed.length) throw new ProbeError('etcdMetrics: no sample');
    return { manifest: 'present', url, samples: parsed, intervalSeconds: parsed.length > 1 ? intervalSeconds : 0 };
  },
});
