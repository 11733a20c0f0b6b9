import { describe, expect, it } from '@jest/globals';
import type { V1Node } from '@kubernetes/client-node';
import check from '../../checks/etcd-health/index.js';
import type { RawSample } from '../../src/node/probe-types.js';
import { etcdStatus } from '../../src/node/probes/etcdStatus.js';
import { runCheck } from '../../src/check.js';
import { Exposition } from '../support/exposition.js';

const MiB = 1024 * 1024;
const ID = '13668033151171901709'; // > 2^53: must survive parsing digit for digit
const node = (name: string): V1Node => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.10' }] } });

interface StatusOpts { dbSize?: number; inUse?: number; leader?: string; version?: string; alarms?: string[]; quotaFlag?: string; statusFails?: string; rotational?: '0' | '1'; log?: string[]; client?: 'etcdctl' | 'curl' }

/** What the etcdStatus fragment prints (etcdctl 3.4 output verbatim in shape). */
function statusOut(o: StatusOpts = {}): string {
  const st = { header: { cluster_id: 15118495548433857066n, member_id: ID, revision: 19, raft_term: 2 }, version: o.version ?? '3.4.23', dbSize: o.dbSize ?? 20480, leader: o.leader ?? ID, raftIndex: 25, raftTerm: 2, raftAppliedIndex: 25, ...(o.alarms?.length ? { errors: o.alarms.map((a) => `memberID:${ID} alarm:${a} `) } : {}), dbSizeInUse: o.inUse ?? o.dbSize ?? 16384 };
  const json = `[{"Endpoint":"https://127.0.0.1:2379","Status":${JSON.stringify(st, (_k, v) => (typeof v === 'bigint' ? `BIG${v}` : v)).replace(/"BIG(\d+)"/g, '$1').replace(`"member_id":"${ID}"`, `"member_id":${ID}`).replace(`"leader":"${o.leader ?? ID}"`, `"leader":${o.leader ?? ID}`)}}]`;
  return [
    '@@ manifest present',
    `quota-backend-bytes=${o.quotaFlag ?? ''}`, 'listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379', 'listen-metrics-urls=http://127.0.0.1:2381',
    'data-dir=/var/lib/etcd', 'trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt', 'cert-file=/etc/kubernetes/pki/etcd/server.crt', 'key-file=/etc/kubernetes/pki/etcd/server.key', 'client-cert-auth=true',
    '@@ endpoint', 'https://127.0.0.1:2379',
    `@@ client ${o.client ?? 'etcdctl'}`,
    ...(o.statusFails ? ['@@ status 1', `{"level":"warn","ts":"2026-11-25T10:00:00.000Z","caller":"clientv3/retry_interceptor.go:62","msg":"retrying of unary invoker failed"}`, `Error: ${o.statusFails}`, '@@ alarms 1', `Error: ${o.statusFails}`]
      : ['@@ status 0', json, '@@ alarms 0', ...(o.alarms ?? []).map((a) => `memberID:${ID} alarm:${a} `)]),
    '@@ disk', `vda ${o.rotational ?? '0'}`,
    '@@ log', ...(o.log ?? []),
    '@@ end',
  ].join('\n') + '\n';
}

interface MetricsOpts { size?: number; quota?: number; hasLeader?: number; leaderChanges?: number; fsync?: number[]; commit?: number[]; version?: string }
const FSYNC_BUCKETS = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];
function metricsOut(o: MetricsOpts = {}): string {
  const e = new Exposition()
    .gauge('etcd_mvcc_db_total_size_in_bytes', {}, o.size ?? 20480)
    .gauge('etcd_server_quota_backend_bytes', {}, o.quota ?? 2147483648)
    .gauge('etcd_server_has_leader', {}, o.hasLeader ?? 1)
    .counter('etcd_server_leader_changes_seen_total', {}, o.leaderChanges ?? 1)
    .gauge('etcd_server_version', { server_version: o.version ?? '3.4.23' }, 1)
    .histogram('etcd_disk_wal_fsync_duration_seconds', {}, FSYNC_BUCKETS, o.fsync ?? [100])
    .histogram('etcd_disk_backend_commit_duration_seconds', {}, FSYNC_BUCKETS, o.commit ?? [0, 0, 100]);
  // etcd writes floats with exponents.
  const text = e.text().replace(/^(etcd_mvcc_db_total_size_in_bytes|etcd_server_quota_backend_bytes) (\d+)$/gm, (_m, n, v) => `${n} ${Number(v).toExponential()}`);
  return `@@ url\nhttp://127.0.0.1:2381\n@@ metrics\n${text}@@ end\n`;
}
const sample = (stdout: string): RawSample => ({ stdout, exitCode: 0 });
const absent = '@@ manifest absent\n@@ end\n';

async function run(status: string, metrics: string | string[], extra: Parameters<typeof runCheck>[1] = {}) {
  const m = Array.isArray(metrics) ? metrics : [metrics, metrics];
  return runCheck(check, {
    objects: { Node: [node('cp-1'), node('worker-1')] },
    nodes: { 'cp-1': { etcdStatus: status, etcdMetrics: m.map(sample) }, 'worker-1': { etcdStatus: absent, etcdMetrics: [sample(absent), sample(absent)] } },
    sampleIntervalSeconds: 10,
    ...extra,
  });
}

describe('etcd-health', () => {
  it('passes a healthy member (workers without etcd are not a gap)', async () => {
    const { result, findings } = await run(statusOut(), metricsOut());
    expect(findings).toEqual([]);
    expect(result).toMatchObject({ status: 'pass', reason: null });
  });

  it('warns past 80 % of the quota (from etcd\'s metric), critical past 95 % and on a NOSPACE alarm', async () => {
    const q = 16 * MiB;
    const warn = await run(statusOut({ dbSize: 0.85 * q }), metricsOut({ size: 0.85 * q, quota: q }));
    expect(warn.findings.map((f) => [f.rule, f.severity])).toEqual([['dbNearQuota', 'warning']]);
    expect(warn.findings[0]).toMatchObject({ target: { kind: 'Pod', namespace: 'kube-system', name: 'etcd-cp-1' }, evidence: { quotaBytes: q, quotaSource: 'etcd_server_quota_backend_bytes', memberId: ID } });
    const full = await run(statusOut({ dbSize: 1.1 * q, alarms: ['NOSPACE'], quotaFlag: String(q) }), metricsOut({ size: 1.1 * q, quota: q }));
    expect(full.findings.map((f) => [f.rule, f.severity])).toEqual([['dbNearQuota', 'critical'], ['alarmActive', 'critical']]);
    expect(full.findings[1]!.message).toContain('refuses all writes');
    expect(full.findings[1]!.remediation.steps?.join('\n')).toContain('alarm disarm');
  });

  it('takes the quota from the manifest flag when metrics are unreachable, else etcd\'s 2 GiB default', async () => {
    const failed = '@@ url\nhttp://127.0.0.1:2381\n@@ failed 7\ncurl: (7) Failed to connect to 127.0.0.1 port 2381: Connection refused\n@@ end\n';
    const flag = await run(statusOut({ dbSize: 7 * MiB, quotaFlag: String(8 * MiB) }), failed);
    expect(flag.findings[0]).toMatchObject({ rule: 'dbNearQuota', evidence: { quotaBytes: 8 * MiB, quotaSource: '--quota-backend-bytes in /etc/kubernetes/manifests/etcd.yaml' } });
    const dflt = await run(statusOut({ dbSize: 1.7 * 1024 * MiB }), failed);
    expect(dflt.findings[0]).toMatchObject({ rule: 'dbNearQuota', severity: 'warning', evidence: { quotaSource: 'etcd default (2 GiB)' } });
  });

  it('judges fsync and commit p99 in the window between samples, not since start; no observations is not slow', async () => {
    // Since start: 1000 fast fsyncs. In the window: 50 fsyncs at 16–32 ms (p99 above 10 ms), commits idle.
    const before = metricsOut({ fsync: [1000], commit: [0] });
    const after = metricsOut({ fsync: [1000, 0, 0, 0, 0, 50], commit: [0] });
    const { findings } = await run(statusOut(), [before, after]);
    expect(findings.map((f) => f.rule)).toEqual(['slowWalFsync']);
    expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { operations: 50, window: 'the last 10 s' } });
    const p99 = (findings[0]!.evidence as { p99Seconds: number }).p99Seconds;
    expect(p99).toBeGreaterThan(0.016);
    expect(p99).toBeLessThanOrEqual(0.032);
  });

  it('handles an etcd restart between samples (counters reset) and reports leader changes and no leader', async () => {
    const before = metricsOut({ leaderChanges: 40, fsync: [5000] });
    const after = metricsOut({ leaderChanges: 2, hasLeader: 0, fsync: [20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20] });
    const { findings } = await run(statusOut(), [before, after]);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['noLeader', 'critical'], ['leaderChanges', 'warning'], ['slowWalFsync', 'critical']]);
    expect(findings[1]!.evidence).toMatchObject({ duringSample: 2, counterReset: true });
    expect(findings[2]!.evidence).toMatchObject({ operations: 40, counterReset: true });
  });

  it('reports fragmentation, old members, the rate of "took too long" lines and a rotational disk', async () => {
    // The fragment's awk summary of the pod log: lines, "took too long" lines, first and last timestamp.
    const log = ['31 30 2026-11-25T09:00:00.000000000Z 2026-11-25T09:30:00.000000000Z'];
    const { findings } = await run(statusOut({ dbSize: 400 * MiB, inUse: 150 * MiB, version: '3.3.15', rotational: '1', log }), metricsOut());
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['dbFragmented', 'info'], ['oldEtcdVersion', 'warning'], ['slowApplies', 'warning'], ['rotationalDisk', 'info']]);
    expect(findings[2]!.evidence).toMatchObject({ tooLongLines: 30, perHour: 60 });
    // A few lines over a long log are normal (fixed 100 ms threshold); rotated files add up.
    const calm = await run(statusOut({ log: ['500 6 2026-11-25T03:00:00Z 2026-11-25T06:00:00Z', '200 3 2026-11-25T06:00:01Z 2026-11-25T09:59:00Z'] }), metricsOut());
    expect(calm.findings).toEqual([]);
  });

  it('is skipped with the reason when etcd is unreachable and the API server shows nothing', async () => {
    const { result } = await run(statusOut({ statusFails: 'context deadline exceeded' }), '@@ url\nhttp://127.0.0.1:2381\n@@ failed 7\ncurl: (7) Failed to connect\n@@ end\n');
    expect(result.status).toBe('skip');
    expect(result.reason).toContain('etcd not reachable on cp-1');
    expect(result.reason).toContain('context deadline exceeded');
  });

  it('on a managed cluster (no etcd manifest anywhere) judges the API server\'s view of the db size, renamed across releases', async () => {
    const nodes = { 'cp-1': { etcdStatus: absent, etcdMetrics: [sample(absent), sample(absent)] } };
    for (const name of ['apiserver_storage_size_bytes', 'apiserver_storage_db_total_size_in_bytes', 'etcd_db_total_size_in_bytes']) {
      const text = new Exposition().gauge(name, name === 'etcd_db_total_size_in_bytes' ? { endpoint: 'https://10.0.0.5:2379' } : { storage_cluster_id: 'etcd-0' }, 1.8 * 1024 * MiB).text();
      const { result, findings } = await runCheck(check, { objects: { Node: [node('cp-1')] }, nodes, metrics: [text, text] });
      expect(result.status).toBe('fail');
      expect(result.reason).toContain('no reached node has an etcd static pod manifest');
      expect(result.reason).toContain(name);
      expect(findings[0]).toMatchObject({ rule: 'dbNearQuota', severity: 'warning', target: { kind: 'EtcdCluster' } });
    }
    const none = await runCheck(check, { objects: { Node: [node('cp-1')] }, nodes, metrics: 'forbidden' });
    expect(none.result).toMatchObject({ status: 'skip' });
    expect(none.result.reason).toContain('managed control plane');
    const noSsh = await runCheck(check, { objects: { Node: [node('cp-1')] }, metrics: 'forbidden' });
    expect(noSsh.result.status).toBe('skip');
  });
});

describe('etcd-health settings move the lines', () => {
  const found = async (status: string, metrics: string | string[], options: Record<string, number> = {}) =>
    (await run(status, metrics, { options })).findings.map((f) => [f.rule, f.severity]);

  it('walFsyncWarningMs, walFsyncCriticalMs', async () => {
    // 50 fsyncs at 16–32 ms in the window: p99 about 32 ms.
    const window = [metricsOut({ fsync: [1000], commit: [0] }), metricsOut({ fsync: [1000, 0, 0, 0, 0, 50], commit: [0] })];
    expect(await found(statusOut(), window)).toEqual([['slowWalFsync', 'warning']]);
    expect(await found(statusOut(), window, { walFsyncWarningMs: 40 })).toEqual([]);
    expect(await found(statusOut(), window, { walFsyncCriticalMs: 20 })).toEqual([['slowWalFsync', 'critical']]);
    const raised = await run(statusOut(), window, { options: { walFsyncWarningMs: 15 } });
    expect(raised.findings[0]!.message).toContain('the line set for this check is 15.0 ms (etcd\'s guidance: 10.0 ms)');
    expect(raised.findings[0]!.expected).toBe('p99 ≤ 15.0 ms');
  });

  it('backendCommitWarningMs, backendCommitCriticalMs', async () => {
    // 100 commits at 2–4 ms in the window: under etcd's 25 ms.
    const window = [metricsOut({ commit: [0] }), metricsOut({ commit: [0, 0, 100] })];
    expect(await found(statusOut(), window)).toEqual([]);
    expect(await found(statusOut(), window, { backendCommitWarningMs: 2 })).toEqual([['slowBackendCommit', 'warning']]);
    // A critical line set below the warning one still reports what is above it.
    expect(await found(statusOut(), window, { backendCommitCriticalMs: 3 })).toEqual([['slowBackendCommit', 'critical']]);
  });

  it('fragmentedInUsePercent, fragmentedMinMiB', async () => {
    const third = statusOut({ dbSize: 400 * MiB, inUse: 150 * MiB });
    expect(await found(third, metricsOut())).toEqual([['dbFragmented', 'info']]);
    expect(await found(third, metricsOut(), { fragmentedInUsePercent: 30 })).toEqual([]);
    expect(await found(third, metricsOut(), { fragmentedMinMiB: 400 })).toEqual([]);
    const most = statusOut({ dbSize: 400 * MiB, inUse: 250 * MiB });
    expect(await found(most, metricsOut())).toEqual([]);
    const raised = await run(most, metricsOut(), { options: { fragmentedInUsePercent: 70 } });
    expect(raised.findings.map((f) => [f.rule, f.expected])).toEqual([['dbFragmented', 'in use ≥ 70 % of the file']]);
    const small = statusOut({ dbSize: 50 * MiB, inUse: 10 * MiB });
    expect(await found(small, metricsOut())).toEqual([]);
    expect(await found(small, metricsOut(), { fragmentedMinMiB: 40 })).toEqual([['dbFragmented', 'info']]);
  });

  it('slowAppliesPerHour, slowAppliesMinLines', async () => {
    const busy = statusOut({ log: ['31 30 2026-11-25T09:00:00.000000000Z 2026-11-25T09:30:00.000000000Z'] }); // 60 per hour
    expect(await found(busy, metricsOut())).toEqual([['slowApplies', 'warning']]);
    expect(await found(busy, metricsOut(), { slowAppliesPerHour: 61 })).toEqual([]);
    expect(await found(busy, metricsOut(), { slowAppliesMinLines: 31 })).toEqual([]);
    const calm = statusOut({ log: ['500 6 2026-11-25T03:00:00Z 2026-11-25T06:00:00Z'] }); // 2 per hour
    expect(await found(calm, metricsOut())).toEqual([]);
    expect(await found(calm, metricsOut(), { slowAppliesPerHour: 2 })).toEqual([]);
    const lowered = await run(calm, metricsOut(), { options: { slowAppliesPerHour: 2, slowAppliesMinLines: 5 } });
    expect(lowered.findings.map((f) => [f.rule, f.expected])).toEqual([['slowApplies', '< 2 per hour']]);
  });
});

describe('etcd-health with several control-plane nodes', () => {
  it('judges each member and each alarm once, although every node reports the whole cluster', async () => {
    const q = 16 * MiB;
    const ID2 = '9372538179322589801';
    const member = (id: string, endpoint: string, dbSize: number) => `{"Endpoint":"${endpoint}","Status":{"header":{"cluster_id":1,"member_id":${id},"revision":19,"raft_term":2},"version":"3.4.23","dbSize":${dbSize},"leader":${ID},"raftIndex":25,"raftTerm":2,"raftAppliedIndex":25,"dbSizeInUse":${dbSize}}}`;
    const cluster = `[${member(ID, 'https://10.0.0.10:2379', 1.1 * q)},${member(ID2, 'https://10.0.0.11:2379', 0.5 * q)}]`;
    const out = statusOut({ quotaFlag: String(q) }).replace(/@@ status 0\n.*\n@@ alarms 0\n/, `@@ status 0\n${cluster}\n@@ alarms 0\nmemberID:${ID} alarm:NOSPACE \n`);
    const nodes = Object.fromEntries(['cp-1', 'cp-2'].map((n) => [n, { etcdStatus: out, etcdMetrics: [sample(metricsOut({ quota: q })), sample(metricsOut({ quota: q }))] }]));
    const { findings } = await runCheck(check, { objects: { Node: [node('cp-1'), node('cp-2')] }, nodes, metrics: 'forbidden' });
    expect(findings.map((f) => [f.rule, f.severity, f.target.name])).toEqual([
      ['dbNearQuota', 'critical', 'https://10.0.0.10:2379'],
      ['alarmActive', 'critical', 'etcd-cp-1'],
    ]);
  });
});

describe('etcdStatus parser', () => {
  it('keeps 64-bit member ids exact, reads the JSON gateway answer (curl) and a missing manifest', () => {
    const v = etcdStatus.parse([sample(statusOut({ alarms: ['NOSPACE'] }))], 0);
    expect(v).toMatchObject({ manifest: 'present', client: 'etcdctl', members: [{ memberId: ID, leader: ID, errors: [`memberID:${ID} alarm:NOSPACE `] }], alarms: [{ memberId: ID, alarm: 'NOSPACE' }] });
    const gateway = statusOut({ client: 'curl' }).replace(/@@ status 0\n.*\n@@ alarms 0\n/, '@@ status 0\n{"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"1","raft_term":"2"},"version":"3.4.23","dbSize":"20480","leader":"13668033151171901709","raftIndex":"6","raftTerm":"2","raftAppliedIndex":"6","dbSizeInUse":"16384"}\n@@ alarms 0\n{"header":{"cluster_id":"1","member_id":"2","revision":"1","raft_term":"2"}}\n');
    expect(etcdStatus.parse([sample(gateway)], 0)).toMatchObject({ client: 'curl', members: [{ memberId: ID, dbSize: 20480, dbSizeInUse: 16384 }], alarms: [] });
    // etcd 3.4's gateway with an alarm: no header (recorded from a real member).
    const nospace = gateway.replace(/@@ alarms 0\n.*\n/, '@@ alarms 0\n{"alarms":[{"memberID":"185828541645115251","alarm":"NOSPACE"}]}\n');
    expect(etcdStatus.parse([sample(nospace)], 0)).toMatchObject({ alarms: [{ memberId: '185828541645115251', alarm: 'NOSPACE' }] });
    const refused = gateway.replace(/@@ alarms 0\n.*\n/, '@@ alarms 0\n{"error":"etcdserver: not capable","code":2}\n');
    const failed = etcdStatus.parse([sample(refused)], 0) as { alarms?: unknown; alarmsError?: string };
    expect(failed.alarms).toBeUndefined();
    expect(failed.alarmsError).toContain('not capable');
    expect(etcdStatus.parse([sample(absent)], 0)).toEqual({ manifest: 'absent' });
    expect(() => etcdStatus.parse([sample('@@ manifest present\n')], 0)).toThrow();
  });
});
