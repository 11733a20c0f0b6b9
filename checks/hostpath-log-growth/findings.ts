// Decisions for measured hostPaths (check-facts §7.2 thresholds), one finding per workload and path
// across the nodes it is on.
import type { CheckContext, FindingInput, Severity } from '../../src/check.js';
import { formatBytes } from '../../src/kube/quantity.js';
import { describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import type { PathUsage } from '../../src/node/probes/hostpathUsage.js';
import { DU_TIMEOUT_SECONDS } from '../../src/node/probes/hostpathUsage.js';
import type { EffectiveConfig } from '../../src/node/kubelet-config.js';
import { isLogLike, shQuote } from './paths.js';

export const SHARE_PERCENT = 10;
export const FAST_BYTES_PER_HOUR = 100 * 1024 ** 2;
export const FILL_HOURS = 24;
export const FULL_PERCENT = 90;
/** Less than this between the two samples is du granularity and bursts, not a rate to extrapolate. */
export const MIN_GROWTH_BYTES = 1024 ** 2;

export type Owner = WorkloadRef & { pod: string; volume: string };

export interface Measured {
  node: string;
  path: string;
  usage: PathUsage;
  owners: Owner[];
  podLogs?: PathUsage;
  config: EffectiveConfig;
}

interface Verdict {
  m: Measured;
  severity: Severity;
  sizeBytes: number;
  sharePercent: number;
  fsUsedPercent: number;
  growthBytesPerHour?: number;
  hoursToFull?: number;
  reasons: string[];
}

const r1 = (n: number) => Math.round(n * 10) / 10;
/** Two significant digits: 0.0019 h stays visible, 341.33 h reads 340. */
const sig2 = (n: number) => Number(n.toPrecision(2));
const duration = (hours: number) => (hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min` : `${r1(hours)} h`);
const RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };

function judge(m: Measured): Verdict | undefined {
  const u = m.usage;
  const fs = u.filesystem;
  if (u.state !== 'ok' || u.sizeBytes === undefined || !fs || fs.capacityBytes <= 0) return undefined;
  const sharePercent = (u.sizeBytes * 100) / fs.capacityBytes;
  const fsUsedPercent = 100 - (fs.availableBytes * 100) / fs.capacityBytes;
  const grew = u.growthBytesPerHour !== undefined && u.measuredOverSeconds !== undefined &&
    (u.growthBytesPerHour * u.measuredOverSeconds) / 3600 >= MIN_GROWTH_BYTES;
  const growth = grew ? u.growthBytesPerHour! : undefined;
  const hoursToFull = growth && growth > 0 ? fs.availableBytes / growth : undefined;
  const reasons: string[] = [];
  if (sharePercent > SHARE_PERCENT) reasons.push(`${r1(sharePercent)}% of its filesystem`);
  if (growth !== undefined && growth >= FAST_BYTES_PER_HOUR) reasons.push(`growing ${formatBytes(growth)}/h`);
  const fillsSoon = hoursToFull !== undefined && hoursToFull < FILL_HOURS;
  if (fillsSoon) reasons.push(`fills ${fs.mount} in about ${duration(hoursToFull!)}`);
  if (!reasons.length) return undefined;
  // A full filesystem makes a hostPath that already stands out urgent; a small one on it is not the cause.
  if (fsUsedPercent >= FULL_PERCENT) reasons.push(`${fs.mount} is ${r1(fsUsedPercent)}% full`);
  const severity: Severity = fillsSoon || fsUsedPercent >= FULL_PERCENT ? 'critical' : 'warning';
  return { m, severity, sizeBytes: u.sizeBytes, sharePercent, fsUsedPercent, growthBytesPerHour: growth, hoursToFull, reasons };
}

function nodeEvidence(v: Verdict): Record<string, unknown> {
  const fs = v.m.usage.filesystem!;
  return {
    node: v.m.node, path: v.m.path, ...(v.m.usage.resolved ? { resolvedPath: v.m.usage.resolved } : {}),
    sizeBytes: v.sizeBytes, ...(v.m.usage.partial ? { sizeIsLowerBound: true } : {}),
    sharePercent: r1(v.sharePercent),
    filesystem: { mount: fs.mount, device: fs.filesystem, capacityBytes: fs.capacityBytes, availableBytes: fs.availableBytes, usedPercent: r1(v.fsUsedPercent), dfUsePercent: fs.dfUsePercent },
    ...(v.growthBytesPerHour !== undefined ? { growthBytesPerHour: v.growthBytesPerHour, measuredOverSeconds: v.m.usage.measuredOverSeconds } : {}),
    ...(v.hoursToFull !== undefined ? { hoursToFull: sig2(v.hoursToFull) } : {}),
  };
}

export function reportGroups(ctx: CheckContext, measured: Measured[]): void {
  const groups = new Map<string, { owner: Owner; verdicts: Verdict[] }>();
  const unmeasured = new Map<string, { path: string; state: string }[]>();
  for (const m of measured) {
    if (m.usage.state !== 'ok' && m.usage.state !== 'missing') {
      unmeasured.set(m.node, [...(unmeasured.get(m.node) ?? []), { path: m.path, state: m.usage.state }]);
      continue;
    }
    const v = judge(m);
    if (!v) continue;
    for (const owner of m.owners) {
      const key = `${owner.namespace}/${owner.kind}/${owner.name}\u0000${m.path}`;
      const g = groups.get(key) ?? { owner, verdicts: [] };
      groups.set(key, g);
      g.verdicts.push(v);
    }
  }

  for (const { owner, verdicts } of groups.values()) {
    verdicts.sort((a, b) => RANK[b.severity] - RANK[a.severity] || b.sharePercent - a.sharePercent);
    const worst = verdicts[0]!;
    const { path, node, config } = worst.m;
    const fs = worst.m.usage.filesystem!;
    const logLike = isLogLike(path);
    const rotated = worst.m.usage.logrotate;
    const more = verdicts.length > 1 ? ` (and on ${verdicts.length - 1} more node${verdicts.length > 2 ? 's' : ''})` : '';
    const logNote = logLike
      ? `; Kubernetes never rotates files written there${rotated.length ? ` (logrotate on the node mentions it: ${rotated.join(', ')})` : ' and no logrotate config on the node mentions it'}`
      : '';
    const podLogs = worst.m.podLogs?.state === 'ok' ? worst.m.podLogs.sizeBytes : undefined;
    ctx.report({
      rule: 'hostPathFillsDisk',
      severity: worst.severity,
      target: { kind: owner.kind, name: owner.name, namespace: owner.namespace },
      message: `${describeWorkload(owner)} keeps ${formatBytes(worst.sizeBytes)} in hostPath ${path} on ${node}: ${worst.reasons.join(', ')}${more}${logNote}`,
      evidence: {
        ...nodeEvidence(worst), pod: owner.pod, volume: owner.volume, logLike,
        ...(logLike ? { logrotateConfigs: rotated } : {}),
        podLogs: {
          path: '/var/log/pods', ...(podLogs !== undefined ? { sizeBytes: podLogs } : {}),
          containerLogMaxSize: config.containerLogMaxSize, containerLogMaxFiles: config.containerLogMaxFiles, configSource: config.sourceDetail,
        },
        ...(verdicts.length > 1 ? { nodes: verdicts.map(nodeEvidence) } : {}),
      },
      expected: `hostPath data under ${SHARE_PERCENT}% of its filesystem, growing under ${formatBytes(FAST_BYTES_PER_HOUR)}/h, on a filesystem under ${FULL_PERCENT}% full`,
      actual: `${formatBytes(worst.sizeBytes)} (${r1(worst.sharePercent)}% of ${fs.mount}, ${r1(worst.fsUsedPercent)}% full)` +
        (worst.growthBytesPerHour !== undefined ? `, ${formatBytes(worst.growthBytesPerHour)}/h` : ''),
      remediation: remediation(owner, worst, logLike),
    });
  }

  for (const [node, paths] of unmeasured) {
    const timeouts = paths.filter((p) => p.state === 'timeout');
    ctx.report({
      rule: 'hostPathsNotMeasured',
      severity: 'info',
      target: { kind: 'Node', name: node },
      message: `${node}: ${paths.length} hostPath${paths.length > 1 ? 's' : ''} not measured` +
        (timeouts.length ? ` (${timeouts.length} too large to measure in ${DU_TIMEOUT_SECONDS} s)` : ''),
      evidence: { node, paths },
      remediation: {
        summary: `Measure them by hand on ${node}`,
        steps: paths.slice(0, 5).map((p) => sshCommand(node, `sudo du -xsh ${shQuote(p.path)}`)),
      },
    });
  }
}

/** hostPaths beyond the per-node limit of the probe input: never measured, and said so. */
export function reportNotSent(ctx: CheckContext, node: string, paths: string[], limit: number): void {
  ctx.report({
    rule: 'tooManyHostPaths',
    severity: 'info',
    target: { kind: 'Node', name: node },
    message: `${node}: ${paths.length} hostPath${paths.length > 1 ? 's' : ''} not measured: pods mount more than ${limit} writable hostPaths there, ` +
      `and only the first ${limit} (by path) are measured per node`,
    evidence: { node, notMeasured: paths.length, limit, firstNotMeasured: paths.slice(0, 10) },
    remediation: {
      summary: `Measure the other ${paths.length} hostPath${paths.length > 1 ? 's' : ''} on ${node} by hand`,
      steps: [
        ...paths.slice(0, 3).map((p) => sshCommand(node, `sudo du -xsh ${shQuote(p)}`)),
        `List the hostPaths of the pods there: kubectl get pods -A --field-selector spec.nodeName=${node} -o jsonpath='{range .items[*].spec.volumes[*]}{.hostPath.path}{"\\n"}{end}' | sort -u | grep .`,
        `So many hostPaths on one node is unusual: find the workloads that create them and move their data to emptyDir volumes or local PersistentVolumes`,
      ],
    },
  });
}

/** A command a person can paste: ssh joins its arguments into one string that the remote shell parses
 * again, so the remote command is quoted as a whole, with the path quoted inside it (check-facts §0.4). */
export function sshCommand(node: string, remote: string): string {
  return `ssh ${node} ${shQuote(remote)}`;
}

function remediation(owner: Owner, v: Verdict, logLike: boolean): FindingInput['remediation'] {
  const { node, path, config } = v.m;
  const fs = v.m.usage.filesystem!;
  const q = shQuote(path);
  const who = describeWorkload(owner);
  const steps = [`Look at what is there: ${sshCommand(node, `sudo du -xsh ${q}/* | sort -h | tail; sudo ls -lt ${q} | head`)}`];
  if (v.severity === 'critical') {
    steps.push(`Now: ${fs.mount} on ${node} has ${formatBytes(fs.availableBytes)} left; delete or compress old files in ${path} before the node goes into DiskPressure`);
  }
  if (logLike) {
    steps.push(`Log to stdout/stderr instead: the kubelet rotates those itself (containerLogMaxSize ${config.containerLogMaxSize} × containerLogMaxFiles ${config.containerLogMaxFiles} per container, under /var/log/pods)`);
    steps.push(`Or rotate the files: rotation in the application, or a logrotate rule for ${path}/*.log on the nodes`);
  }
  steps.push(`For scratch or buffer data, use an emptyDir with sizeLimit instead of hostPath ${path}: it counts as ephemeral storage, so the kubelet limits it and evicts the pod rather than the disk filling`);
  steps.push(`For data that must stay on the node, use a local PersistentVolume (capacity-accounted) instead of a bare hostPath`);
  return { summary: `Stop ${who} from filling ${path} on ${node}${logLike ? ': rotate or ship its logs' : ''}`, steps };
}
