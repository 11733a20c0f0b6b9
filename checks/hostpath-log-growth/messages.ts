// The rules of hostpath-log-growth and their words; findings.ts and index.ts decide, this file speaks.
import type { Remediation, Wording } from '../../src/check.js';
import { formatBytes } from '../../src/kube/quantity.js';
import { describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import { DU_TIMEOUT_SECONDS, type PathUsage } from '../../src/node/probes/hostpathUsage.js';
import type { EffectiveConfig } from '../../src/node/kubelet-config.js';
import { shQuote, type DataPurpose } from './paths.js';

/** The lines a hostPath is judged by: the check's settings (config file), defaults from check-facts §7.2. */
export interface Limits {
  sharePercent: number;
  fastBytesPerHour: number;
  fillHours: number;
  fullPercent: number;
}

export type Owner = WorkloadRef & { pod: string; volume: string };
export type Confidence = 'low' | 'moderate' | 'high';

/** A time to full and what it was extrapolated from. */
export interface Projection {
  hoursToFull: number;
  grownBytes: number;
  overSeconds: number;
  confidence: Confidence;
}

/** What was decided about one path on one node: the facts the words need. */
export interface Verdict {
  node: string;
  path: string;
  usage: PathUsage;
  sizeBytes: number;
  sharePercent: number;
  fsUsedPercent: number;
  growthBytesPerHour?: number;
  projection?: Projection;
  /** The lines it was judged by. */
  limits: Limits;
  /** Why the reasons hold, in words built from the facts below: share, growth, fill, full. */
  share: boolean;
  fast: boolean;
  fillsSoon: boolean;
  full: boolean;
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const duration = (hours: number) => (hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min` : `${r1(hours)} h`);
const seconds = (s: number) => (s < 120 ? `${Math.round(s)} s` : `${r1(s / 60)} min`);

/** A command a person can paste: ssh joins its arguments into one string that the remote shell parses
 * again, so the remote command is quoted as a whole, with the path quoted inside it (check-facts §0.4). */
export function sshCommand(node: string, remote: string): string {
  return `ssh ${node} ${shQuote(remote)}`;
}

/** "fills /data in about 17.1 h (from 50 MiB written in 60 s: moderate confidence)". */
function fillsPhrase(v: Verdict): string {
  const p = v.projection!;
  const sure = p.confidence === 'low' ? 'low confidence: a short sample can be one burst; confirm with --sample-interval 300'
    : `${p.confidence} confidence`;
  return `fills ${v.usage.filesystem!.mount} in about ${duration(p.hoursToFull)} (from ${formatBytes(p.grownBytes)} written in ${seconds(p.overSeconds)}: ${sure})`;
}

function reasons(v: Verdict): string[] {
  const out: string[] = [];
  if (v.share) out.push(`${r1(v.sharePercent)}% of its filesystem`);
  if (v.fast) out.push(`growing ${formatBytes(v.growthBytesPerHour!)}/h`);
  if (v.fillsSoon) out.push(fillsPhrase(v));
  if (v.full) out.push(`${v.usage.filesystem!.mount} is ${r1(v.fsUsedPercent)}% full`);
  return out;
}

const actual = (v: Verdict) => `${formatBytes(v.sizeBytes)} (${r1(v.sharePercent)}% of ${v.usage.filesystem!.mount}, ${r1(v.fsUsedPercent)}% full)` +
  (v.growthBytesPerHour !== undefined ? `, ${formatBytes(v.growthBytesPerHour)}/h` : '');
const more = (n: number) => (n > 1 ? ` (and on ${n - 1} more node${n > 2 ? 's' : ''})` : '');

export interface FillsDisk {
  owner: Owner;
  worst: Verdict;
  nodes: number;
  severity: 'critical' | 'warning' | 'info';
  logLike: boolean;
  config: EffectiveConfig;
}

export interface DataFillsDisk {
  owner: Owner;
  worst: Verdict;
  nodes: number;
  severity: 'critical' | 'warning' | 'info';
  purpose: DataPurpose;
}

function lookFirst(node: string, path: string): string {
  const q = shQuote(path);
  return `Look at what is there: ${sshCommand(node, `sudo du -xsh ${q}/* | sort -h | tail; sudo ls -lt ${q} | head`)}`;
}

function fillsRemediation(d: FillsDisk): Remediation {
  const { node, path } = d.worst;
  const fs = d.worst.usage.filesystem!;
  const steps = [lookFirst(node, path)];
  if (d.severity === 'critical') {
    steps.push(`Now: ${fs.mount} on ${node} has ${formatBytes(fs.availableBytes)} left; delete or compress old files in ${path} before the node goes into DiskPressure`);
  }
  if (d.logLike) {
    steps.push(`Log to stdout/stderr instead: the kubelet rotates those itself (containerLogMaxSize ${d.config.containerLogMaxSize} × containerLogMaxFiles ${d.config.containerLogMaxFiles} per container, under /var/log/pods)`);
    steps.push(`Or rotate the files: rotation in the application, or a logrotate rule for ${path}/*.log on the nodes`);
  }
  steps.push(`For scratch or buffer data, use an emptyDir with sizeLimit instead of hostPath ${path}: it counts as ephemeral storage, so the kubelet limits it and evicts the pod rather than the disk filling`);
  steps.push(`For data that must stay on the node, use a local PersistentVolume (capacity-accounted) instead of a bare hostPath`);
  return { summary: `Stop ${describeWorkload(d.owner)} from filling ${path} on ${node}${d.logLike ? ': rotate or ship its logs' : ''}`, steps };
}

function dataRemediation(d: DataFillsDisk): Remediation {
  const { node, path } = d.worst;
  const fs = d.worst.usage.filesystem!;
  const where = `${fs.mount} on ${node} (${formatBytes(fs.availableBytes)} left)`;
  switch (d.purpose.kind) {
    case 'etcd':
      return {
        summary: `Keep etcd's data directory ${path} on ${node} from running out of disk: compact and defragment, and give it room — do not move it off the node`,
        steps: [
          `Check etcd itself: run this tool with --checks etcd-health (database size against --quota-backend-bytes, alarms, fragmentation), or on ${node}: ` +
            '`ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key endpoint status -w table`',
          'Reclaim space: compact to the current revision (the API server does this every 5 min), then `etcdctl defrag` one member at a time (it blocks that member), and `etcdctl alarm disarm` if a NOSPACE alarm is raised.',
          `Look at the WAL and snapshots: ${sshCommand(node, `sudo du -sh ${shQuote(path)}/member/*`)}; etcd keeps 5 of each by default (--max-wals, --max-snapshots), so steady growth there is the database, not logs.`,
          `Give ${where} headroom: a dedicated disk for ${path} of at least 2× --quota-backend-bytes (default 2 GiB, at most 8 GiB recommended), and keep other writers off it.`,
          'Never replace the etcd hostPath with an emptyDir: the data directory is the cluster state.',
        ],
      };
    case 'metrics':
      return {
        summary: `Bound ${d.purpose.system}'s data on ${node}: retention by size, or a bigger disk for ${path}`,
        steps: [
          lookFirst(node, path),
          'Set a size-based retention below the free space (Prometheus `--storage.tsdb.retention.size`, e.g. 80 % of the disk) next to the time-based one.',
          `Or give ${path} a disk of its own sized for the retention, so a full TSDB cannot take the node's root filesystem (${where}) with it.`,
        ],
      };
    default:
      return {
        summary: `Add capacity where ${d.purpose.system} keeps volumes on ${node}, or move volumes off it`,
        steps: [
          `See which volumes grow: ${sshCommand(node, `sudo du -xsh ${shQuote(path)}/* | sort -h | tail`)} (the directory names are the PersistentVolumes).`,
          `Add capacity to ${where}: a bigger disk, or another node for new volumes (taint or label this one for the provisioner's node selection).`,
          `${d.purpose.system} does not limit a volume's size on a plain filesystem: set quotas where the provisioner supports them, or resize/clean up the workloads whose PVCs fill it.`,
          'Remove volumes of deleted claims that were kept (reclaimPolicy Retain): `kubectl get pv | grep Released`.',
        ],
      };
  }
}

export const rules = {
  hostPathFillsDisk: {
    description: 'A hostPath directory takes a large share of its filesystem or grows fast enough to fill it.',
    message: (d: FillsDisk): Wording => {
      const rotated = d.worst.usage.logrotate;
      const logNote = d.logLike
        ? `; Kubernetes never rotates files written there${rotated.length ? ` (logrotate on the node mentions it: ${rotated.join(', ')})` : ' and no logrotate config on the node mentions it'}`
        : '';
      return {
        message: `${describeWorkload(d.owner)} keeps ${formatBytes(d.worst.sizeBytes)} in hostPath ${d.worst.path} on ${d.worst.node}: ${reasons(d.worst).join(', ')}${more(d.nodes)}${logNote}`,
        expected: `hostPath data under ${d.worst.limits.sharePercent}% of its filesystem, growing under ${formatBytes(d.worst.limits.fastBytesPerHour)}/h, on a filesystem under ${d.worst.limits.fullPercent}% full`,
        actual: actual(d.worst),
        remediation: fillsRemediation(d),
      };
    },
  },
  dataDirFillsDisk: {
    description: 'A directory that keeps data on a hostPath by design (etcd, a storage provisioner, a metrics TSDB) is on a nearly full filesystem or grows, over a long enough sample, fast enough to fill it.',
    message: (d: DataFillsDisk): Wording => ({
      message: `${describeWorkload(d.owner)} keeps ${d.purpose.system} data (${formatBytes(d.worst.sizeBytes)}) in hostPath ${d.worst.path} on ${d.worst.node}: ${reasons(d.worst).join(', ')}${more(d.nodes)}. ` +
        'Data belongs there by design; what matters is the room left for it.',
      expected: `room for ${d.purpose.system} to grow: a filesystem under ${d.worst.limits.fullPercent}% full that its measured growth does not fill within ${d.worst.limits.fillHours} h`,
      actual: actual(d.worst),
      remediation: dataRemediation(d),
    }),
  },
  orphanedVolumeDirectories: {
    description: 'Volume directories a node-local provisioner left on a node whose PersistentVolume no longer exists: data nothing uses, kept until removed by hand.',
    message: (d: { node: string; root: string; dirs: string[]; total: number }): Wording => {
      const shown = d.dirs.slice(0, 5).join(', ') + (d.dirs.length > 5 ? ', …' : '');
      const first = `${d.root}/${d.dirs[0]}`;
      return {
        message: `${d.node}: ${d.dirs.length} volume director${d.dirs.length > 1 ? 'ies' : 'y'} under ${d.root} belong${d.dirs.length > 1 ? '' : 's'} to no PersistentVolume (${shown}): ` +
          'the data outlived its volume (reclaimPolicy Retain and the PersistentVolume deleted, or a failed cleanup) and stays on the node until removed by hand',
        expected: `every ${d.root}/pvc-* directory backs an existing PersistentVolume`,
        actual: `${d.dirs.length} of ${d.total} without one`,
        remediation: {
          summary: `Check and remove the ${d.dirs.length} leftover volume director${d.dirs.length > 1 ? 'ies' : 'y'} on ${d.node}`,
          steps: [
            `Make sure nothing claims them: kubectl get pv ${d.dirs.slice(0, 3).map((x) => x.split('_')[0]).join(' ')} (NotFound is expected) — the name is pvc-<uid>_<namespace>_<claim>.`,
            `See what they hold: ${sshCommand(d.node, `sudo du -xsh ${shQuote(d.root)}/pvc-* | sort -h | tail`)}`,
            `Keep a copy of anything still wanted, then remove each one: ${sshCommand(d.node, `sudo rm -rf -- ${shQuote(first)}`)}`,
            'To stop it recurring: delete Released PersistentVolumes through the API (the provisioner then removes their directories) instead of removing the PV objects by hand.',
          ],
        },
      };
    },
  },
  hostPathsNotMeasured: {
    description: 'hostPaths that could not be measured on a node.',
    message: (d: { node: string; paths: { path: string; state: string }[] }): Wording => {
      const timeouts = d.paths.filter((p) => p.state === 'timeout');
      return {
        message: `${d.node}: ${d.paths.length} hostPath${d.paths.length > 1 ? 's' : ''} not measured` +
          (timeouts.length ? ` (${timeouts.length} too large to measure in ${DU_TIMEOUT_SECONDS} s)` : ''),
        remediation: {
          summary: `Measure them by hand on ${d.node}`,
          steps: d.paths.slice(0, 5).map((p) => sshCommand(d.node, `sudo du -xsh ${shQuote(p.path)}`)),
        },
      };
    },
  },
  tooManyHostPaths: {
    description: 'More writable hostPaths on a node than one run measures.',
    message: (d: { node: string; paths: string[]; limit: number }): Wording => {
      const { node, paths, limit } = d;
      return {
        message: `${node}: ${paths.length} hostPath${paths.length > 1 ? 's' : ''} not measured: pods mount more than ${limit} writable hostPaths there, ` +
          `and only the first ${limit} (by path) are measured per node`,
        remediation: {
          summary: `Measure the other ${paths.length} hostPath${paths.length > 1 ? 's' : ''} on ${node} by hand`,
          steps: [
            ...paths.slice(0, 3).map((p) => sshCommand(node, `sudo du -xsh ${shQuote(p)}`)),
            `List the hostPaths of the pods there: kubectl get pods -A --field-selector spec.nodeName=${node} -o jsonpath='{range .items[*].spec.volumes[*]}{.hostPath.path}{"\\n"}{end}' | sort -u | grep .`,
            `So many hostPaths on one node is unusual: find the workloads that create them and move their data to emptyDir volumes or local PersistentVolumes`,
          ],
        },
      };
    },
  },
  hostPathNotSent: {
    description: 'A hostPath that is not a plain absolute path was not sent to the node.',
    message: (d: { owner: WorkloadRef; node: string; pod: string; volume: string; shown: string; reason: string }): Wording => ({
      message: `hostPath ${d.shown} of pod ${d.pod} (volume ${d.volume}) was not measured on node ${d.node}: it ${d.reason}, so it was never sent to the node`,
      expected: 'a plain absolute hostPath (no control characters or "..")', actual: d.reason,
      remediation: {
        summary: `Find out who created pod ${d.pod} with this hostPath and why`,
        steps: [
          `Inspect it: kubectl -n ${d.owner.namespace} get pod ${d.pod.split('/')[1]} -o yaml`,
          'A directory name with control characters or ".." is not something a workload needs; treat it as a possible attempt to inject commands into node tooling',
          'Restrict hostPath with Pod Security (the baseline level forbids it) or an admission policy',
        ],
      },
    }),
  },
};
