// The rules of kubelet-gc and their words; findings.ts decides, this file speaks.
import type { Remediation, Wording } from '../../src/check.js';
import { formatBytes } from '../../src/kube/quantity.js';
import type { EffectiveConfig } from '../../src/node/kubelet-config.js';
import type { FsStats, NodeDisk, SignalState } from '../../src/node/node-disk.js';

interface Node { node: string; config: EffectiveConfig; configFile: string }

const restart = (node: string) => `Restart the kubelet to apply it: ssh ${node} sudo systemctl restart kubelet`;

export const rules = {
  imageGcThresholdsInverted: {
    description: 'imageGCLowThresholdPercent is not below imageGCHighThresholdPercent.',
    message: ({ node, config, configFile }: Node): Wording => ({
      message: `${node}: imageGCLowThresholdPercent ${config.low} is not below imageGCHighThresholdPercent ${config.high}; the kubelet refuses this configuration when it (re)starts`,
      expected: 'imageGCLowThresholdPercent < imageGCHighThresholdPercent', actual: `low ${config.low}, high ${config.high}`,
      remediation: {
        summary: `Set the low threshold below the high one in ${configFile} before the kubelet on ${node} restarts`,
        steps: [
          `In ${configFile}: imageGCHighThresholdPercent: ${Math.min(config.high, 85)} and imageGCLowThresholdPercent: ${Math.min(config.high, 85) - 5} (or other values with low < high)` +
            (config.flags['image-gc-low-threshold'] || config.flags['image-gc-high-threshold'] ? '; the --image-gc-*-threshold flags on the kubelet command line override the file, fix them there' : ''),
          restart(node),
        ],
      },
    }),
  },
  imageGcDisabled: {
    description: 'Image garbage collection by disk usage is disabled (high threshold 100).',
    message: ({ node, config, configFile }: Node): Wording => {
      const ageNote = config.imageMaximumGCAge && !/^0+[a-z]*$/.test(config.imageMaximumGCAge) ? ` (only imageMaximumGCAge ${config.imageMaximumGCAge} still removes old images)` : '';
      return {
        message: `${node}: image garbage collection by disk usage is disabled (imageGCHighThresholdPercent 100)${ageNote}; images accumulate until the eviction threshold, then pods are evicted`,
        expected: 'imageGCHighThresholdPercent below 100 (default 85)', actual: String(config.high),
        remediation: {
          summary: `Re-enable image GC on ${node}: imageGCHighThresholdPercent 85, imageGCLowThresholdPercent 80 in ${configFile}`,
          steps: [`Edit ${configFile}: imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80 (lower, e.g. 80/70, on small disks)`, restart(node)],
        },
      };
    },
  },
  partialEvictionHard: {
    description: 'evictionHard sets only some signals, switching the others off.',
    message: (d: Node & { kubeletVersion?: string; defaults: Record<string, string>; wouldFire: SignalState[] }): Wording => {
      const { node, config } = d;
      const present = Object.keys(config.evictionHard);
      const full = { ...d.defaults, ...config.evictionHard };
      return {
        message: `${node}: evictionHard sets only ${present.length ? present.join(', ') : 'nothing'}, so ${config.missingSignals.join(', ')} ${config.missingSignals.length === 1 ? 'is' : 'are'} not watched` +
          (config.mergeIgnored ? ` (mergeDefaultEvictionSettings is set, but kubelet ${d.kubeletVersion} is older than 1.33 and ignores it)` : '') +
          (d.wouldFire.length ? `; the kubelet would already be evicting for ${d.wouldFire.map(describeSignal).join('; ')}` : ''),
        expected: `every default signal in evictionHard (${Object.keys(d.defaults).join(', ')})`,
        actual: `only ${present.join(', ') || 'none'}`,
        remediation: {
          summary: `List every signal in the evictionHard of ${node}, or let the kubelet merge the defaults`,
          steps: [
            config.flags['eviction-hard']
              ? `The --eviction-hard flag replaces the whole map: give all signals there, e.g. --eviction-hard=${Object.entries(full).map(([k, v]) => `${k}<${v}`).join(',')}`
              : `In ${d.configFile} set evictionHard to ${Object.entries(full).map(([k, v]) => `${k}: "${v}"`).join(', ')}`,
            'On kubelet 1.33 or newer, mergeDefaultEvictionSettings: true keeps the defaults for every signal the map leaves out',
            restart(node),
          ],
        },
      };
    },
  },
  diskPressure: {
    description: 'A node reports DiskPressure or is past or near an eviction threshold.',
    message: (d: { node: string; pressure: boolean; pressureStatus?: string; met: SignalState[]; near: SignalState[]; nearPoints: number; evicted24h: number; disk?: NodeDisk; config: EffectiveConfig }): Wording => {
      const shown = [...d.met, ...d.near];
      const head = d.pressure ? `${d.node} reports DiskPressure` : d.met.length ? `${d.node} is past an eviction threshold` : `${d.node} is within ${d.nearPoints} points of an eviction threshold`;
      return {
        message: `${head}${shown.length ? `: ${shown.map(describeSignal).join('; ')}` : ''}` +
          (d.evicted24h ? `; ${d.evicted24h} pod(s) evicted from it in the last 24 h` : ''),
        expected: `every disk signal more than ${d.nearPoints} points above its evictionHard threshold, DiskPressure False`,
        actual: shown.length ? shown.map((s) => `${s.signal} ${s.availablePercent}% (threshold ${s.threshold})`).join(', ') : `DiskPressure ${d.pressureStatus}`,
        remediation: pressureRemediation(d.node, d.disk, d.config),
      };
    },
  },
  imageFsAboveGcThreshold: {
    description: 'The image filesystem is above the GC high threshold (critical when GC reports failures).',
    message: (d: Node & { imagefs: FsStats; usedPercent: number; failures: string[]; toFree: number }): Wording => {
      const { node, config } = d;
      const where = d.imagefs.mount ? `the image filesystem ${d.imagefs.mount}` : d.imagefs.path;
      return {
        message: d.failures.length
          ? `${node}: image GC cannot reclaim space: ${where} is ${d.usedPercent}% used (GC starts at ${config.high}%, frees down to ${config.low}%) and the kubelet reports ${d.failures.join(' and ')}`
          : `${node}: ${where} is ${d.usedPercent}% used, above the GC high threshold ${config.high}%; image GC should be removing unused images now`,
        expected: `image filesystem below ${config.high}% used, or GC able to free ${formatBytes(d.toFree)}`,
        actual: `${d.usedPercent}% used`,
        remediation: gcRemediation(node, d.imagefs, d.toFree, d.configFile),
      };
    },
  },
  containerGcFailing: {
    description: 'Container garbage collection fails on the node.',
    message: (d: { node: string; count: number; message: string }): Wording => ({
      message: `${d.node}: container garbage collection fails (ContainerGCFailed ×${d.count}): ${d.message}`,
      expected: 'no ContainerGCFailed events', actual: `${d.count} event(s)`,
      remediation: {
        summary: `Find why the container runtime on ${d.node} cannot remove dead containers`,
        steps: [
          `ssh ${d.node} sudo crictl ps -a --state exited | head`,
          `ssh ${d.node} sudo journalctl -u kubelet --since=-1h | grep -i 'container_gc\\|ContainerGC'`,
          `ssh ${d.node} sudo systemctl status containerd (or the runtime in use)`,
        ],
      },
    }),
  },
  diskEvictions: {
    description: 'Pods were evicted from the node for disk.',
    message: (d: { node: string; count: number; resources: string[]; diskKnown: boolean; pressureStatus?: string }): Wording => ({
      message: `${d.node}: ${d.count} pod(s) were evicted for disk (${d.resources.join(', ')})` +
        (d.diskKnown ? '; its filesystems are now clear of the thresholds' : `; its current disk usage could not be read (DiskPressure ${d.pressureStatus ?? 'unknown'})`),
      remediation: {
        summary: `Find what filled the disk of ${d.node} before it happens again`,
        steps: [
          `kubectl get pods -A --field-selector spec.nodeName=${d.node},status.phase=Failed`,
          `Set ephemeral-storage requests and limits, and emptyDir sizeLimit, on the evicted workloads`,
        ],
      },
    }),
  },
};

function describeSignal(s: SignalState): string {
  const what = s.unit === 'inodes' ? 'inodes free' : 'available';
  return `${s.signal} ${s.availablePercent}% ${what} on ${s.filesystem} (evicts below ${s.threshold})`;
}

/** The runtime root to look into: df names it; the Summary API does not, so assume containerd's. */
function imageDir(fs: FsStats | undefined): string {
  return fs?.path.startsWith('/') ? fs.path : '/var/lib/containerd';
}

function consumers(disk: NodeDisk | undefined): string {
  return ['/var/lib/kubelet/pods/*', '/var/log/pods/*', `${imageDir(disk?.imagefs)}/*`, '/var/log/journal'].join(' ');
}

function pressureRemediation(node: string, disk: NodeDisk | undefined, config: EffectiveConfig): Remediation {
  return {
    summary: `Free disk on ${node} before the kubelet evicts more pods`,
    steps: [
      `See what was evicted: kubectl get pods -A --field-selector spec.nodeName=${node},status.phase=Failed`,
      `Find the biggest consumers: ssh ${node} "sudo du -xsh ${consumers(disk)} 2>/dev/null | sort -h | tail -20"`,
      `Remove images no container uses: ssh ${node} sudo crictl rmi --prune`,
      `Growth outside the kubelet's accounting (hostPath volumes, journald, core dumps) is not reclaimed by GC or eviction: run kubectl checkup --checks hostpath-log-growth`,
      `Give workloads ephemeral-storage requests/limits and emptyDir sizeLimit; if the disk is simply too small, grow it or move images to their own filesystem`,
      ...(config.source === 'defaults' ? [`The thresholds above are the kubelet defaults: the config could not be read (${config.notes.join('; ') || 'no source'})`] : []),
    ],
  };
}

function gcRemediation(node: string, imagefs: FsStats, toFree: number, configFile: string): Remediation {
  return {
    summary: `Free ${formatBytes(toFree)} on the image filesystem of ${node}: images in use cannot be collected`,
    steps: [
      `See the GC errors: kubectl describe node ${node} | grep -A3 -E 'ImageGCFailed|FreeDiskSpaceFailed'`,
      `Remove images no container uses: ssh ${node} sudo crictl rmi --prune`,
      `Find what else fills ${imagefs.mount ?? imagefs.path}: ssh ${node} "sudo du -xsh ${imageDir(imagefs)}/* /var/log/pods/* 2>/dev/null | sort -h | tail"`,
      `If running pods need more image space than the disk has, grow the disk or give images their own filesystem; on small disks lower the thresholds in ${configFile} (e.g. imageGCHighThresholdPercent: 80, imageGCLowThresholdPercent: 70) so GC starts earlier`,
      restart(node),
    ],
  };
}
