// The etcd-health decisions, one function per rule: severity, target and evidence (words: messages.ts).
import type { Reporter, Target } from '../../src/check.js';
import type { rules, SlowDisk } from './messages.js';

export type Say = Reporter<typeof rules>;

export function quota(say: Say, target: Target, d: { dbSize: number; quota: number; quotaSource: string; warning: number; critical: number; member?: string }): void {
  const ratio = d.dbSize / d.quota;
  if (ratio < d.warning) return;
  const critical = ratio >= d.critical;
  say('dbNearQuota', {
    severity: critical ? 'critical' : 'warning', target,
    evidence: { dbSizeBytes: d.dbSize, quotaBytes: d.quota, quotaSource: d.quotaSource, percent: Math.round(ratio * 1000) / 10, ...(d.member ? { memberId: d.member } : {}) },
  }, { target, dbSize: d.dbSize, quota: d.quota, warning: d.warning });
}

export function alarm(say: Say, target: Target, name: string, member: string, quotaFlag: string | undefined): void {
  say('alarmActive', { severity: 'critical', target, evidence: { alarm: name, memberId: member } }, { target, name, member, quotaFlag });
}

export function noLeader(say: Say, target: Target, how: string): void {
  say('noLeader', { severity: 'critical', target, evidence: { how } }, { target, how });
}

export function leaderChanges(say: Say, target: Target, increase: number, total: number, interval: number, reset: boolean): void {
  say('leaderChanges', {
    severity: 'warning', target,
    evidence: { duringSample: increase, sinceStart: total, sampleSeconds: interval, counterReset: reset || undefined },
  }, { increase, total, interval });
}

export function slowDisk(say: Say, target: Target, d: { rule: SlowDisk['rule']; family: string; p99: number; above: boolean; count: number; window: string; limits: { warning: number; critical: number }; guidance: number; reset: boolean }): void {
  const critical = d.p99 > d.limits.critical;
  say(d.rule, {
    severity: critical ? 'critical' : 'warning', target,
    evidence: { metric: d.family, p99Seconds: d.p99, operations: d.count, window: d.window, warningSeconds: d.limits.warning, criticalSeconds: d.limits.critical, counterReset: d.reset || undefined },
  }, { target, rule: d.rule, p99: d.p99, above: d.above, count: d.count, window: d.window, warning: Math.min(d.limits.warning, d.limits.critical), guidance: d.guidance });
}

export function fragmented(say: Say, target: Target, total: number, inUse: number, inUseLine: number): void {
  say('dbFragmented', {
    severity: 'info', target,
    evidence: { dbSizeBytes: total, dbSizeInUseBytes: inUse, inUseRatio: Math.round((inUse / total) * 100) / 100 },
  }, { target, total, inUse, inUseLine });
}

export function oldVersion(say: Say, target: Target, version: string): void {
  say('oldEtcdVersion', { severity: 'warning', target, evidence: { version } }, { version });
}

export function slowApplies(say: Say, target: Target, lines: number, spanSeconds: number, perHour: number, limitPerHour: number): void {
  say('slowApplies', {
    severity: 'warning', target,
    evidence: { tooLongLines: lines, logSpanSeconds: Math.round(spanSeconds), perHour: Math.round(perHour) },
  }, { lines, spanSeconds, perHour, limitPerHour });
}

export function rotational(say: Say, target: Target, device: string, dataDir: string | undefined): void {
  say('rotationalDisk', { severity: 'info', target, evidence: { device, dataDir } }, { device, dataDir });
}
