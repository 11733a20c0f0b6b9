// The rules of etcd-health and their words; findings.ts decides, this file speaks.
import type { Target, Wording } from '../../src/check.js';

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

export interface SlowDisk { target: Target; rule: 'slowWalFsync' | 'slowBackendCommit'; p99: number; above: boolean; count: number; window: string; warning: number; guidance: number }

const slowDisk = (d: SlowDisk): Wording => {
  const what = d.rule === 'slowWalFsync' ? 'WAL fsync' : 'backend commit';
  // A line other than etcd's guidance was set for this check: name both, and claim it for neither.
  const line = d.warning === d.guidance ? `etcd wants it under ${ms(d.warning)}` : `the line set for this check is ${ms(d.warning)} (etcd's guidance: ${ms(d.guidance)})`;
  return {
    message: `etcd's ${what} p99 is ${d.above ? '> ' : ''}${ms(d.p99)} over ${d.window} (${d.count} operations); ${line}: ` +
      'the disk is too slow for etcd, which shows as slow API requests, "took too long" warnings and leader elections.',
    expected: `p99 ≤ ${ms(d.warning)}`, actual: `p99 ${ms(d.p99)}`,
    remediation: {
      summary: 'Give etcd a dedicated SSD/NVMe (no noisy neighbours, no network disk with burst credits); measure with fio (fdatasync p99 should be < 10 ms).',
      steps: ['fio --rw=write --ioengine=sync --fdatasync=1 --directory=<a dir on the etcd disk> --size=22m --bs=2300 --name=etcd-disk-check'],
    },
    docs: 'https://etcd.io/docs/v3.4/op-guide/hardware/#disks',
  };
};

export const rules = {
  dbNearQuota: {
    description: 'The etcd database is near its quota (warning at 80 %, critical at 95 %).',
    message: (d: { target: Target; dbSize: number; quota: number; warning: number }): Wording => {
      const ratio = d.dbSize / d.quota;
      return {
        message: `etcd's database is ${mib(d.dbSize)}, ${Math.round(ratio * 100)} % of its ${mib(d.quota)} quota: at the quota etcd raises a NOSPACE alarm and refuses every write ` +
          '(kubectl and controllers get "etcdserver: mvcc: database space exceeded").',
        expected: `< ${Math.round(d.warning * 100)} % of the quota`, actual: `${Math.round(ratio * 100)} %`,
        remediation: {
          summary: 'Find what grows (events, leaked objects, big CRs), compact and defragment; raise --quota-backend-bytes (at most 8 GiB) if the data is legitimate.',
          steps: [...reclaim(d.target).slice(0, 3), 'kubectl get --raw /metrics | grep -E "apiserver_(storage|resource)_objects" | sort -k2 -n | tail   # which resources fill it'],
        },
        docs: 'https://etcd.io/docs/v3.4/op-guide/maintenance/#space-quota',
      };
    },
  },
  alarmActive: {
    description: 'An etcd alarm is active (NOSPACE refuses every write).',
    message: (d: { target: Target; name: string; member: string; quotaFlag?: string }): Wording => {
      const nospace = d.name === 'NOSPACE';
      return {
        message: nospace
          ? `etcd has an active NOSPACE alarm (member ${d.member}): the database hit its quota${d.quotaFlag ? ` (--quota-backend-bytes=${d.quotaFlag})` : ''} and etcd refuses all writes until it is compacted, defragmented and the alarm disarmed.`
          : `etcd has an active ${d.name} alarm (member ${d.member}).`,
        expected: 'no alarm', actual: `alarm:${d.name}`,
        remediation: nospace
          ? { summary: 'Free space and disarm: compact to the current revision, defragment each member, then disarm the alarm.', steps: reclaim(d.target) }
          : { summary: `Follow etcd's recovery procedure for a ${d.name} alarm; take a snapshot first.`, steps: [`${etcdctl(d.target)} alarm list`] },
        docs: 'https://etcd.io/docs/v3.4/op-guide/maintenance/',
      };
    },
  },
  noLeader: {
    description: 'An etcd member has no leader.',
    message: (d: { target: Target; how: string }): Wording => ({
      message: `etcd has no leader (${d.how}): it cannot commit writes, and the API server fails requests that need them.`,
      expected: 'a leader', actual: 'no leader',
      remediation: { summary: 'Check that a quorum of members is up and can reach each other on the peer port (2380); look at the members\' logs for "lost leader" and election messages.', steps: [`${etcdctl(d.target)} endpoint status --cluster -w table`, `${etcdctl(d.target)} member list -w table`] },
    }),
  },
  leaderChanges: {
    description: 'The etcd leader changed during the sample.',
    message: (d: { increase: number; total: number; interval: number }): Wording => ({
      message: `etcd's leader changed ${d.increase} time(s) during the ${Math.round(d.interval)} s sample (${d.total} since the member started): every election stalls writes; ` +
        'frequent ones mean slow disks, an overloaded network or CPU starvation.',
      expected: 'no leader change', actual: `${d.increase} during the sample`,
      remediation: { summary: 'Look at WAL fsync latency (slowWalFsync), peer round-trip times (etcd_network_peer_round_trip_time_seconds) and CPU throttling of the etcd process; give etcd a dedicated fast disk.' },
    }),
  },
  slowWalFsync: {
    description: 'WAL fsync p99 is above what etcd needs (slow disk).',
    message: slowDisk,
  },
  slowBackendCommit: {
    description: 'Backend commit p99 is above what etcd needs (slow disk).',
    message: slowDisk,
  },
  dbFragmented: {
    description: 'Much of the etcd database file is free space (defragment).',
    message: (d: { target: Target; total: number; inUse: number; inUseLine: number }): Wording => ({
      message: `etcd's database file is ${mib(d.total)} but only ${mib(d.inUse)} is in use: the rest is free pages that count against the quota until a defrag.`,
      expected: `in use ≥ ${Math.round(d.inUseLine * 100)} % of the file`, actual: `${Math.round((d.inUse / d.total) * 100)} %`,
      remediation: { summary: 'Defragment, one member at a time, in a quiet period.', steps: [`${etcdctl(d.target)} defrag`] },
    }),
  },
  oldEtcdVersion: {
    description: 'An etcd member is older than 3.4.',
    message: (d: { version: string }): Wording => ({
      message: `etcd ${d.version} is older than 3.4: it lacks the concurrent read path and the watch and lease fixes large clusters rely on, and it is out of support.`,
      expected: '≥ 3.4', actual: d.version,
      remediation: { summary: 'Upgrade etcd one minor version at a time (3.3 → 3.4 → 3.5), taking a snapshot first.' },
    }),
  },
  slowApplies: {
    description: 'The member logs "took too long" often.',
    message: (d: { lines: number; spanSeconds: number; perHour: number; limitPerHour: number }): Wording => ({
      message: `etcd logged "took too long" ${d.lines} times over ${Math.round(d.spanSeconds / 60)} min of its log (${Math.round(d.perHour)}/h): requests regularly exceed its fixed 100 ms warning duration.`,
      expected: `< ${d.limitPerHour} per hour`, actual: `${Math.round(d.perHour)} per hour`,
      remediation: { summary: 'Usually a slow disk (see WAL fsync) or expensive requests (large range reads from unpaginated LISTs; see apiserver-health).' },
    }),
  },
  rotationalDisk: {
    description: 'The etcd data directory\'s disk reports itself rotational.',
    message: (d: { device: string; dataDir?: string }): Wording => ({
      message: `etcd's data directory${d.dataDir ? ` (${d.dataDir})` : ''} is on ${d.device}, which the kernel reports as a rotational disk: spinning disks cannot give etcd the fsync latency it needs.`,
      expected: 'SSD/NVMe', actual: 'rotational',
      remediation: { summary: 'Move etcd\'s data to an SSD. Virtual disks often claim to be rotational whatever backs them: check the fsync latency finding before moving anything.' },
    }),
  },
};
