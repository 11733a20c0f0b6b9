// Upstream: https://kubernetes.io/docs/concepts/storage/volumes/#hostpath and https://kubernetes.io/docs/concepts/cluster-administration/logging/#log-rotation
import type { V1PersistentVolume, V1Pod } from '@kubernetes/client-node';
import { defineCheck, optional, reporter, type EffectiveConfig } from '../../src/check.js';
import { OwnerIndex, type WorkloadRef } from '../../src/kube/owners.js';
import type { HostpathUsage } from '../../src/node/probes/hostpathUsage.js';
import type { LocalVolumeDirs } from '../../src/node/probes/localVolumeDirs.js';
import { orphanedDirectories, reportGroups, reportNotSent, type Measured, type Owner } from './findings.js';
import { rules } from './messages.js';
import { dataPurpose, isNodeDirectory, validateHostPath } from './paths.js';

/** Measured on every node that has hostPaths, for contrast: the logs the kubelet does rotate. */
export const POD_LOGS = '/var/log/pods';
/** Enough for any real node; a pathological spec cannot make the probe input unbounded. */
export const MAX_PATHS_PER_NODE = 200;

/** Types whose "size" means nothing (device nodes, sockets). */
const UNMEASURABLE = new Set(['Socket', 'CharDevice', 'BlockDevice']);

const ownerKey = (w: WorkloadRef) => `${w.namespace}/${w.kind}/${w.name}`;

export default defineCheck({
  id: 'hostpath-log-growth',
  title: 'hostPath volumes do not fill their node\'s disk',
  severity: 'critical',
  description:
    'Groups the hostPath volumes that pods mount writable by node, measures each directory on its node (du -skx under a ' +
    'time bound, twice --sample-interval apart for growth) and the filesystem it is on, and reports the owning workload ' +
    'when a hostPath takes more than 10% of its filesystem, grows faster than 100 MiB/h, would fill the filesystem ' +
    'within 24 h, or sits on a filesystem 90% full. hostPath data is outside the kubelet\'s ephemeral-storage ' +
    'accounting and log rotation. Directories that hold data by design (etcd, local-path-provisioner, Longhorn, OpenEBS, ' +
    'Rook, Prometheus) are judged only by the room left for them: a nearly full filesystem, or growth measured long enough to project. ' +
    'Also lists local-path-provisioner volume directories whose PersistentVolume is gone (data that outlived its volume). Paths are validated and sent to the node as data; invalid ones are reported, not sent.',
  rules,
  settings: {
    // Defaults from check-facts §7.2.
    sharePercent: { type: 'number', default: 10, min: 0, max: 100, description: 'Share of its filesystem above which a (log or scratch) hostPath is reported' },
    fastGrowthMiBPerHour: { type: 'number', default: 100, min: 0, description: 'Growth in MiB per hour at or above which a hostPath is reported' },
    fillWithinHours: { type: 'number', default: 24, min: 0, description: 'A hostPath whose measured growth fills its filesystem within this many hours is critical' },
    fullPercent: { type: 'number', default: 90, min: 0, max: 100, description: 'A filesystem this full makes a large hostPath on it critical' },
  },
  needs: {
    api: [{ kind: 'PersistentVolume', optional: true }, 'Pod', { kind: 'ReplicaSet', optional: true }, { kind: 'Job', optional: true }],
    probes: ['hostpathUsage', ...optional('localVolumeDirs')],
    nodeFacts: ['kubeletConfig'],
  },
  create(ctx) {
    const owners = new OwnerIndex();
    const say = reporter(ctx, rules);
    /** node → path → owning workloads (with one pod and volume name each, for the evidence). */
    const perNode = new Map<string, Map<string, Map<string, Owner>>>();
    /** node → path → images of the containers that mount it writable (what the data is, for data directories). */
    const writers = new Map<string, Map<string, Set<string>>>();
    const invalid = new Map<string, { owner: WorkloadRef; node: string; raw: string; reason: string; pod: string; volume: string }>();
    /** Per node, the kubelet's effective settings (its log rotation), until the node's probes arrive. */
    const configs = new Map<string, EffectiveConfig>();
    /** Per node with hostPaths, the measurements and the resolved settings: nothing else of the node. */
    const measurements = new Map<string, { usage: HostpathUsage; config: EffectiveConfig }>();
    /** The node paths of hostPath and local PersistentVolumes, and per node its provisioners' volume directories. */
    const volumePaths = new Set<string>();
    const volumeDirs = new Map<string, LocalVolumeDirs>();

    return {
      PersistentVolume(pv: V1PersistentVolume) {
        const verdict = validateHostPath(pv.spec?.hostPath?.path ?? pv.spec?.local?.path);
        if (verdict.ok) volumePaths.add(verdict.path);
      },
      ReplicaSet(rs) { owners.add('ReplicaSet', rs); },
      Job(job) { owners.add('Job', job); },

      Pod(pod: V1Pod) {
        const node = pod.spec?.nodeName;
        const volumes = (pod.spec?.volumes ?? []).filter((v) => v.hostPath);
        if (!node || !volumes.length) return;
        // A volume only read can be filled by the node, not by this pod.
        const writable = new Map<string, string[]>(); // volume → images of its writers
        for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])]) {
          for (const m of c.volumeMounts ?? []) if (!m.readOnly) writable.set(m.name, [...(writable.get(m.name) ?? []), c.image ?? '']);
        }
        const owner = owners.workloadOf(pod);
        const podName = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
        for (const v of volumes) {
          const raw = v.hostPath!.path;
          const verdict = validateHostPath(raw);
          if (!verdict.ok) {
            const key = `${ownerKey(owner)}\u0000${String(raw)}`;
            if (!invalid.has(key)) invalid.set(key, { owner, node, raw: String(raw), reason: verdict.reason, pod: podName, volume: v.name });
            continue;
          }
          if (!writable.has(v.name) || UNMEASURABLE.has(v.hostPath!.type ?? '') || isNodeDirectory(verdict.path)) continue;
          const paths = perNode.get(node) ?? new Map<string, Map<string, Owner>>();
          perNode.set(node, paths);
          const byOwner = paths.get(verdict.path) ?? new Map<string, Owner>();
          paths.set(verdict.path, byOwner);
          if (!byOwner.has(ownerKey(owner))) byOwner.set(ownerKey(owner), { ...owner, pod: podName, volume: v.name });
          const images = writers.get(node) ?? new Map<string, Set<string>>();
          writers.set(node, images);
          const set = images.get(verdict.path) ?? new Set<string>();
          images.set(verdict.path, set);
          for (const image of writable.get(v.name)!) set.add(image);
        }
      },

      // Only nodes with hostPaths to measure are worth a kubelet request.
      wantsNodeFacts: (node) => perNode.has(node),

      NodeFacts({ node, kubeletConfig }) {
        if (kubeletConfig) configs.set(node, kubeletConfig);
      },

      probeInputs(node) {
        const paths = [...(perNode.get(node)?.keys() ?? [])].sort().slice(0, MAX_PATHS_PER_NODE);
        return { hostpathUsage: paths.length ? [...paths, POD_LOGS] : [] };
      },

      NodeProbes(results) {
        const dirs = results.probes.localVolumeDirs;
        if (dirs?.ok && dirs.value.roots.length) volumeDirs.set(results.node, dirs.value);
        const config = configs.get(results.node);
        configs.delete(results.node);
        const usage = results.probes.hostpathUsage;
        // No hostPaths, or the probe failed (the run's gaps say why): nothing to keep.
        if (!perNode.has(results.node) || !usage?.ok || !config) return;
        measurements.set(results.node, { usage: usage.value, config });
      },

      finish() {
        const measured: Measured[] = [];
        const notSent = new Map<string, string[]>();
        for (const [node, paths] of perNode) {
          const got = measurements.get(node);
          if (!got) continue;
          const podLogs = got.usage.paths[POD_LOGS];
          for (const [path, byOwner] of paths) {
            const m = got.usage.paths[path];
            const purpose = dataPurpose(path, [...(writers.get(node)?.get(path) ?? [])]);
            if (m) measured.push({ node, path, usage: m, owners: [...byOwner.values()], podLogs, config: got.config, ...(purpose ? { purpose } : {}) });
          }
          if (paths.size > MAX_PATHS_PER_NODE) notSent.set(node, [...paths.keys()].sort().slice(MAX_PATHS_PER_NODE));
        }
        reportGroups(ctx, measured);
        for (const [node, dirs] of volumeDirs) {
          for (const o of orphanedDirectories(dirs, volumePaths)) {
            say('orphanedVolumeDirectories', {
              severity: 'info', target: { kind: 'Node', name: node },
              evidence: { node, root: o.root, directories: o.dirs.slice(0, 20), count: o.dirs.length, volumeDirectories: o.total, persistentVolumesUnderRoot: o.known },
            }, { node, root: o.root, dirs: o.dirs, total: o.total });
          }
        }
        for (const [node, paths] of notSent) reportNotSent(ctx, node, paths, MAX_PATHS_PER_NODE);
        for (const x of invalid.values()) {
          const shown = JSON.stringify(x.raw.length > 200 ? `${x.raw.slice(0, 200)}…` : x.raw);
          say('hostPathNotSent', {
            severity: 'warning',
            target: { kind: x.owner.kind, name: x.owner.name, namespace: x.owner.namespace },
            evidence: { node: x.node, pod: x.pod, volume: x.volume, path: shown, reason: x.reason },
          }, { owner: x.owner, node: x.node, pod: x.pod, volume: x.volume, shown, reason: x.reason });
        }
      },
    };
  },
});
