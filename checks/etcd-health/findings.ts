// The etcd-health findings: wording, evidence and remediation, one function per rule.
import type { CheckContext, Target } from '../../src/check.js';

const MiB = 1024 * 1024;
const mib = (b: number) => (b >= 1024 * MiB ? `${(b / 1024 / MiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(1)} MiB`);
const ms = (s: number) => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;

/** etcdctl inside the member's static pod, with kubeadm's certificates (paths only). */
const etcdctl = (t: Target) => t.kind === 'Pod'
  ? `kubectl -n kube-system exec ${t.name} -- etcdctl --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key`
  : 'etcdctl --endpoints <member> --cacert <ca> --cert <client cert> --key <client key>';

/** etcd's documented recovery: compact to the current revision, defragment, disarm. */
const reclaim = (t: Target) => [
  `rev=$(${etcdctl(t)} endpoint status -w json | grep -o '"revision":[0-9]*' | grep -o '[0-9]*$')`,
  `${etcdctl(t)} compact "$rev"`,
  `${etcdctl(t)} defrag   # one member at a time: it blocks that member while it runs`,
  `${etcdctl(t)} alarm disarm   # only after the size is back below the quota`,
];

export function quota(ctx: CheckContext, target: Target, d: { dbSize: number; quota: number; quotaSource: string; warning: number; critical: number; member?: string }): void {
  const ratio = d.dbSize / d.quota;
  if (ratio < d.warning) return;
  const critical = ratio >= d.critical;
  ctx.report({
    rule: 'dbNearQuota', severity: critical ? 'critical' : 'warning', target,
    message: `etcd's database is ${mib(d.dbSize)}, ${Math.round(ratio * 100)} % of its ${mib(d.quota)} quota: at the quota etcd raises a NOSPACE alarm and refuses every write ` +
      '(kubectl and controllers get "etcdserver: mvcc: database space exceeded").',
    evidence: { dbSizeBytes: d.dbSize, quotaBytes: d.quota, quotaSource: d.quotaSource, percent: Math.round(ratio * 1000) / 10, ...(d.member ? { memberId: d.member } : {}) },
    expected: `< ${Math.round(d.warning * 100)} % of the quota`, actual: `${Math.round(ratio * 100)} %`,
    remediation: {
      summary: 'Find what grows (events, leaked objects, big CRs), compact and defragment; raise --quota-backend-bytes (at most 8 GiB) if the data is legitimate.',
      steps: [...reclaim(target).slice(0, 3), 'kubectl get --raw /metrics | grep -E "apiserver_(storage|resource)_objects" | sort -k2 -n | tail   # which resources fill it'],
    },
    docs: 'https://etcd.io/docs/v3.4/op-guide/maintenance/#space-quota',
  });
}

export function alarm(ctx: CheckContext, target: Target, name: string, member: string, quotaFlag: string | undefined): void {
  const nospace = name === 'NOSPACE';
  ctx.report({
    rule: 'alarmActive', severity: 'critical', target,
    message: nospace
      ? `etcd has an active NOSPACE alarm (member ${member}): the database hit its quota${quotaFlag ? ` (--quota-backend-bytes=${quotaFlag})` : ''} and etcd refuses all writes until it is compacted, defragmented and the alarm disarmed.`
      : `etcd has an active ${name} alarm (member ${member}).`,
    evidence: { alarm: name, memberId: member },
    expected: 'no alarm', actual: `alarm:${name}`,
    remediation: nospace
      ? { summary: 'Free space and disarm: compact to the current revision, defragment each member, then disarm the alarm.', steps: reclaim(target) }
      : { summary: `Follow etcd's recovery procedure for a ${name} alarm; take a snapshot first.`, steps: [`${etcdctl(target)} alarm list`] },
    docs: 'https://etcd.io/docs/v3.4/op-guide/maintenance/',
  });
}

export function noLeader(ctx: CheckContext, target: Target, how: string): void {
  ctx.report({
    rule: 'noLeader', severity: 'critical', target,
    message: `etcd has no leader (${how}): it cannot commit writes, and the API server fails requests that need them.`,
    evidence: { how },
    expected: 'a leader', actual: 'no leader',
    remediation: { summary: 'Check that a quorum of members is up and can reach each other on the peer port (2380); look at the members\' logs for "lost leader" and election messages.', steps: [`${etcdctl(target)} endpoint status --cluster -w table`, `${etcdctl(target)} member list -w table`] },
  });
}

export function leaderChanges(ctx: CheckContext, target: Target, increase: number, total: number, interval: number, reset: boolean): void {
  ctx.report({
    rule: 'leaderChanges', severity: 'warning', target,
    message: `etcd's leader changed ${increase} time(s) during the ${Math.round(interval)} s sample (${total} since the member started): every election stalls writes; ` +
      'frequent ones mean slow disks, an overloaded network or CPU starvation.',
    evidence: { duringSample: increase, sinceStart: total, sampleSeconds: interval, counterReset: reset || undefined },
    expected: 'no leader change', actual: `${increase} during the sample`,
    remediation: { summary: 'Look at WAL fsync latency (slowWalFsync), peer round-trip times (etcd_network_peer_round_trip_time_seconds) and CPU throttling of the etcd process; give etcd a dedicated fast disk.' },
  });
}

export function slowDisk(ctx: CheckContext, target: Target, d: { rule: 'slowWalFsync' | 'slowBackendCommit'; family: string; p99: number; above: boolean; count: number; window: string; limits: { warning: number; critical: number }; reset: boolean }): void {
  const critical = d.p99 > d.limits.critical;
  const what = d.rule === 'slowWalFsync' ? 'WAL fsync' : 'backend commit';
  ctx.report({
    rule: d.rule, severity: critical ? 'critical' : 'warning', target,
    message: `etcd's ${what} p99 is ${d.above ? '> ' : ''}${ms(d.p99)} over ${d.window} (${d.count} operations); etcd wants it under ${ms(d.limits.warning)}: ` +
      'the disk is too slow for etcd, which shows as slow API requests, "took too long" warnings and leader elections.',
    evidence: { metric: d.family, p99Seconds: d.p99, operations: d.count, window: d.window, warningSeconds: d.limits.warning, criticalSeconds: d.limits.critical, counterReset: d.reset || undefined },
    expected: `p99 ≤ ${ms(d.limits.warning)}`, actual: `p99 ${ms(d.p99)}`,
    remediation: {
      summary: 'Give etcd a dedicated SSD/NVMe (no noisy neighbours, no network disk with burst credits); measure with fio (fdatasync p99 should be < 10 ms).',
      steps: ['fio --rw=write --ioengine=sync --fdatasync=1 --directory=<a dir on the etcd disk> --size=22m --bs=2300 --name=etcd-disk-check'],
    },
    docs: 'https://etcd.io/docs/v3.4/op-guide/hardware/#disks',
  });
}

export function fragmented(ctx: CheckContext, target: Target, total: number, inUse: number): void {
  ctx.report({
    rule: 'dbFragmented', severity: 'info', target,
    message: `etcd's database file is ${mib(total)} but only ${mib(inUse)} is in use: the rest is free pages that count against the quota until a defrag.`,
    evidence: { dbSizeBytes: total, dbSizeInUseBytes: inUse, inUseRatio: Math.round((inUse / total) * 100) / 100 },
    expected: 'in use ≥ 50 % of the file', actual: `${Math.round((inUse / total) * 100)} %`,
    remediation: { summary: 'Defragment, one member at a time, in a quiet period.', steps: [`${etcdctl(target)} defrag`] },
  });
}

export function oldVersion(ctx: CheckContext, target: Target, version: string): void {
  ctx.report({
    rule: 'oldEtcdVersion', severity: 'warning', target,
    message: `etcd ${version} is older than 3.4: it lacks the concurrent read path and the watch and lease fixes large clusters rely on, and it is out of support.`,
    evidence: { version },
    expected: '≥ 3.4', actual: version,
    remediation: { summary: 'Upgrade etcd one minor version at a time (3.3 → 3.4 → 3.5), taking a snapshot first.' },
  });
}

export function slowApplies(ctx: CheckContext, target: Target, lines: number, spanSeconds: number, perHour: number): void {
  ctx.report({
    rule: 'slowApplies', severity: 'warning', target,
    message: `etcd logged "took too long" ${lines} times over ${Math.round(spanSeconds / 60)} min of its log (${Math.round(perHour)}/h): requests regularly exceed its fixed 100 ms warning duration.`,
    evidence: { tooLongLines: lines, logSpanSeconds: Math.round(spanSeconds), perHour: Math.round(perHour) },
    expected: `< ${60} per hour`, actual: `${Math.round(perHour)} per hour`,
    remediation: { summary: 'Usually a slow disk (see WAL fsync) or expensive requests (large range reads from unpaginated LISTs; see apiserver-health).' },
  });
}

export function rotational(ctx: CheckContext, target: Target, device: string, dataDir: string | undefined): void {
  ctx.report({
    rule: 'rotationalDisk', severity: 'info', target,
    message: `etcd's data directory${dataDir ? ` (${dataDir})` : ''} is on ${device}, which the kernel reports as a rotational disk: spinning disks cannot give etcd the fsync latency it needs.`,
    evidence: { device, dataDir },
    expected: 'SSD/NVMe', actual: 'rotational',
    remediation: { summary: 'Move etcd\'s data to an SSD. Virtual disks often claim to be rotational whatever backs them: check the fsync latency finding before moving anything.' },
  });
}
