// The decisions of kubelet-gc for one node, from what index.ts gathered. Thresholds: check-facts §4.3.
import type { CheckContext, FindingInput, Severity } from '../../src/check.js';
import { formatBytes } from '../../src/kube/quantity.js';
import { defaultEvictionHard, parseKubeletVersion, type EffectiveConfig } from '../../src/node/kubelet-config.js';
import type { EvictionSummary } from './evictions.js';
import { isDiskResource } from '../../src/kube/eviction.js';
import { evidenceTime } from '../../src/kube/events.js';
import { fsEvidence, NEAR_POINTS, signalStates, usedPercent, type FsStats, type NodeDisk, type SignalState } from '../../src/node/node-disk.js';

const r1 = (n: number) => Math.round(n * 10) / 10;

export interface NodeEvent { reason: string; count: number; last: number | undefined; message: string }

export interface NodeInput {
  node: string;
  kubeletVersion?: string;
  config: EffectiveConfig;
  disk?: NodeDisk;
  diskNotes: string[];
  diskPressure?: { status: string; since?: string; message?: string };
  events: Map<string, NodeEvent>;
  evictions?: EvictionSummary;
}

function describeSignal(s: SignalState): string {
  const what = s.unit === 'inodes' ? 'inodes free' : 'available';
  return `${s.signal} ${s.availablePercent}% ${what} on ${s.filesystem} (evicts below ${s.threshold})`;
}

export function evaluateNode(ctx: CheckContext, n: NodeInput): void {
  const { node, config } = n;
  const target = { kind: 'Node', name: node };
  const base: Record<string, unknown> = {
    node, configSource: config.sourceDetail, usageSource: n.disk?.source ?? 'unavailable',
    ...(n.kubeletVersion ? { kubeletVersion: n.kubeletVersion } : {}),
    ...(config.notes.length || n.diskNotes.length ? { notCollected: [...config.notes, ...n.diskNotes] } : {}),
  };
  const withEvictions = (e: Record<string, unknown>) => (n.evictions ? { ...base, ...e, evictions: n.evictions } : { ...base, ...e });
  const configFile = config.configPath ?? '/var/lib/kubelet/config.yaml';
  const restart = `Restart the kubelet to apply it: ssh ${node} sudo systemctl restart kubelet`;
  let reported = 0;
  const report = (f: FindingInput) => { reported++; ctx.report(f); };

  // 1. Invalid GC thresholds: the kubelet validates low < high at start-up and refuses to run otherwise.
  if (config.low >= config.high) {
    report({
      rule: 'imageGcThresholdsInverted',
      severity: 'critical', target,
      message: `${node}: imageGCLowThresholdPercent ${config.low} is not below imageGCHighThresholdPercent ${config.high}; the kubelet refuses this configuration when it (re)starts`,
      evidence: withEvictions({ imageGCHighThresholdPercent: config.high, imageGCLowThresholdPercent: config.low, flags: config.flags }),
      expected: 'imageGCLowThresholdPercent < imageGCHighThresholdPercent', actual: `low ${config.low}, high ${config.high}`,
      remediation: {
        summary: `Set the low threshold below the high one in ${configFile} before the kubelet on ${node} restarts`,
        steps: [
          `In ${configFile}: imageGCHighThresholdPercent: ${Math.min(config.high, 85)} and imageGCLowThresholdPercent: ${Math.min(config.high, 85) - 5} (or other values with low < high)` +
            (config.flags['image-gc-low-threshold'] || config.flags['image-gc-high-threshold'] ? '; the --image-gc-*-threshold flags on the kubelet command line override the file, fix them there' : ''),
          restart,
        ],
      },
    });
  }

  // 2. Image GC switched off.
  if (config.high >= 100) {
    const ageNote = config.imageMaximumGCAge && !/^0+[a-z]*$/.test(config.imageMaximumGCAge) ? ` (only imageMaximumGCAge ${config.imageMaximumGCAge} still removes old images)` : '';
    report({
      rule: 'imageGcDisabled',
      severity: 'warning', target,
      message: `${node}: image garbage collection by disk usage is disabled (imageGCHighThresholdPercent 100)${ageNote}; images accumulate until the eviction threshold, then pods are evicted`,
      evidence: withEvictions({ imageGCHighThresholdPercent: config.high, imageGCLowThresholdPercent: config.low, imageMaximumGCAge: config.imageMaximumGCAge ?? null }),
      expected: 'imageGCHighThresholdPercent below 100 (default 85)', actual: String(config.high),
      remediation: {
        summary: `Re-enable image GC on ${node}: imageGCHighThresholdPercent 85, imageGCLowThresholdPercent 80 in ${configFile}`,
        steps: [`Edit ${configFile}: imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80 (lower, e.g. 80/70, on small disks)`, restart],
      },
    });
  }

  const states = signalStates(n.disk, config.evictionHard);

  // 3. A partial evictionHard map: the signals it leaves out are not watched at all.
  if (config.source !== 'defaults' && config.missingSignals.length) {
    const version = parseKubeletVersion(n.kubeletVersion);
    const wouldFire = signalStates(n.disk, Object.fromEntries(config.missingSignals.map((k) => [k, defaultEvictionHard(version)[k]!])))
      .filter((s) => s.state === 'met');
    const present = Object.keys(config.evictionHard);
    const full = { ...defaultEvictionHard(version), ...config.evictionHard };
    const viaFlag = !!config.flags['eviction-hard'];
    report({
      rule: 'partialEvictionHard',
      severity: wouldFire.length ? 'critical' : 'warning', target,
      message: `${node}: evictionHard sets only ${present.length ? present.join(', ') : 'nothing'}, so ${config.missingSignals.join(', ')} ${config.missingSignals.length === 1 ? 'is' : 'are'} not watched` +
        (config.mergeIgnored ? ` (mergeDefaultEvictionSettings is set, but kubelet ${n.kubeletVersion} is older than 1.33 and ignores it)` : '') +
        (wouldFire.length ? `; the kubelet would already be evicting for ${wouldFire.map(describeSignal).join('; ')}` : ''),
      evidence: withEvictions({
        evictionHard: config.evictionHard, notWatched: config.missingSignals, mergeDefaultEvictionSettings: config.mergeDefaults ?? null,
        ...(viaFlag ? { evictionHardFlag: config.flags['eviction-hard'] } : {}),
        ...(wouldFire.length ? { pastDefaultThresholds: wouldFire } : {}),
      }),
      expected: `every default signal in evictionHard (${Object.keys(defaultEvictionHard(version)).join(', ')})`,
      actual: `only ${present.join(', ') || 'none'}`,
      remediation: {
        summary: `List every signal in the evictionHard of ${node}, or let the kubelet merge the defaults`,
        steps: [
          viaFlag
            ? `The --eviction-hard flag replaces the whole map: give all signals there, e.g. --eviction-hard=${Object.entries(full).map(([k, v]) => `${k}<${v}`).join(',')}`
            : `In ${configFile} set evictionHard to ${Object.entries(full).map(([k, v]) => `${k}: "${v}"`).join(', ')}`,
          'On kubelet 1.33 or newer, mergeDefaultEvictionSettings: true keeps the defaults for every signal the map leaves out',
          restart,
        ],
      },
    });
  }

  // 4. Eviction thresholds near or crossed, or DiskPressure already set.
  const pressure = n.diskPressure?.status === 'True';
  const met = states.filter((s) => s.state === 'met');
  const near = states.filter((s) => s.state === 'near');
  if (pressure || met.length || near.length) {
    const severity: Severity = pressure || met.length ? 'critical' : 'warning';
    const shown = [...met, ...near];
    const head = pressure ? `${node} reports DiskPressure` : met.length ? `${node} is past an eviction threshold` : `${node} is within ${NEAR_POINTS} points of an eviction threshold`;
    report({
      rule: 'diskPressure',
      severity, target,
      message: `${head}${shown.length ? `: ${shown.map(describeSignal).join('; ')}` : ''}` +
        (n.evictions?.last24h ? `; ${n.evictions.last24h} pod(s) evicted from it in the last 24 h` : ''),
      evidence: withEvictions({
        diskPressure: n.diskPressure ?? null, signals: states,
        ...(n.disk ? { nodefs: fsEvidence(n.disk.nodefs), imagefs: fsEvidence(n.disk.imagefs), sameFilesystem: n.disk.sameFilesystem } : {}),
      }),
      expected: `every disk signal more than ${NEAR_POINTS} points above its evictionHard threshold, DiskPressure False`,
      actual: shown.length ? shown.map((s) => `${s.signal} ${s.availablePercent}% (threshold ${s.threshold})`).join(', ') : `DiskPressure ${n.diskPressure?.status}`,
      remediation: pressureRemediation(node, n.disk, config),
    });
  }

  // 5. Image GC above its high threshold. With failure events it cannot reclaim enough: critical.
  const imagefs = n.disk?.imagefs;
  if (imagefs && config.high < 100) {
    const used = usedPercent(imagefs);
    if (used >= config.high) {
      const failures = ['FreeDiskSpaceFailed', 'ImageGCFailed'].flatMap((r) => (n.events.get(r) ? [eventEvidence(n.events.get(r)!)] : []));
      const toFree = Math.max(0, Math.round((imagefs.capacityBytes * (100 - config.low)) / 100 - imagefs.availableBytes));
      const where = imagefs.mount ? `the image filesystem ${imagefs.mount}` : imagefs.path;
      report({
        rule: 'imageFsAboveGcThreshold',
        severity: failures.length ? 'critical' : 'info', target,
        message: failures.length
          ? `${node}: image GC cannot reclaim space: ${where} is ${r1(used)}% used (GC starts at ${config.high}%, frees down to ${config.low}%) and the kubelet reports ${failures.map((f) => f.reason).join(' and ')}`
          : `${node}: ${where} is ${r1(used)}% used, above the GC high threshold ${config.high}%; image GC should be removing unused images now`,
        evidence: withEvictions({
          imagefs: fsEvidence(imagefs), usedPercent: r1(used), imageGCHighThresholdPercent: config.high, imageGCLowThresholdPercent: config.low,
          bytesToFree: toFree, events: failures,
        }),
        expected: `image filesystem below ${config.high}% used, or GC able to free ${formatBytes(toFree)}`,
        actual: `${r1(used)}% used`,
        remediation: gcRemediation(node, imagefs, toFree, config, configFile, restart),
      });
    }
  }

  // 6. Container GC failing: the runtime cannot remove dead containers.
  const cgc = n.events.get('ContainerGCFailed');
  if (cgc) {
    report({
      rule: 'containerGcFailing',
      severity: 'warning', target,
      message: `${node}: container garbage collection fails (ContainerGCFailed ×${cgc.count}): ${cgc.message}`,
      evidence: withEvictions({ events: [eventEvidence(cgc)] }),
      expected: 'no ContainerGCFailed events', actual: `${cgc.count} event(s)`,
      remediation: {
        summary: `Find why the container runtime on ${node} cannot remove dead containers`,
        steps: [
          `ssh ${node} sudo crictl ps -a --state exited | head`,
          `ssh ${node} sudo journalctl -u kubelet --since=-1h | grep -i 'container_gc\\|ContainerGC'`,
          `ssh ${node} sudo systemctl status containerd (or the runtime in use)`,
        ],
      },
    });
  }

  // 7. Nothing wrong now, but the node evicted for disk recently: context for the evicted-pods check.
  const diskEvictions = n.evictions ? Object.entries(n.evictions.byResource).filter(([r]) => isDiskResource(r)).reduce((a, [, c]) => a + c, 0) : 0;
  if (!reported && n.evictions && n.evictions.last24h && diskEvictions) {
    ctx.report({
      rule: 'diskEvictions',
      severity: 'info', target,
      message: `${node}: ${diskEvictions} pod(s) were evicted for disk (${Object.keys(n.evictions.byResource).filter((r) => isDiskResource(r)).join(', ')})` +
        (n.disk ? '; its filesystems are now clear of the thresholds' : `; its current disk usage could not be read (DiskPressure ${n.diskPressure?.status ?? 'unknown'})`),
      evidence: withEvictions(states.length ? { signals: states } : {}),
      remediation: {
        summary: `Find what filled the disk of ${node} before it happens again`,
        steps: [
          `kubectl get pods -A --field-selector spec.nodeName=${node},status.phase=Failed`,
          `Set ephemeral-storage requests and limits, and emptyDir sizeLimit, on the evicted workloads`,
        ],
      },
    });
  }
}

function eventEvidence(e: NodeEvent): Record<string, unknown> {
  return { reason: e.reason, count: e.count, last: e.last === undefined ? null : evidenceTime(e.last), message: e.message };
}

/** The runtime root to look into: df names it; the Summary API does not, so assume containerd's. */
function imageDir(fs: FsStats | undefined): string {
  return fs?.path.startsWith('/') ? fs.path : '/var/lib/containerd';
}

function consumers(disk: NodeDisk | undefined): string {
  return ['/var/lib/kubelet/pods/*', '/var/log/pods/*', `${imageDir(disk?.imagefs)}/*`, '/var/log/journal'].join(' ');
}

function pressureRemediation(node: string, disk: NodeDisk | undefined, config: EffectiveConfig): FindingInput['remediation'] {
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

function gcRemediation(node: string, imagefs: FsStats, toFree: number, config: EffectiveConfig, configFile: string, restart: string): FindingInput['remediation'] {
  return {
    summary: `Free ${formatBytes(toFree)} on the image filesystem of ${node}: images in use cannot be collected`,
    steps: [
      `See the GC errors: kubectl describe node ${node} | grep -A3 -E 'ImageGCFailed|FreeDiskSpaceFailed'`,
      `Remove images no container uses: ssh ${node} sudo crictl rmi --prune`,
      `Find what else fills ${imagefs.mount ?? imagefs.path}: ssh ${node} "sudo du -xsh ${imageDir(imagefs)}/* /var/log/pods/* 2>/dev/null | sort -h | tail"`,
      `If running pods need more image space than the disk has, grow the disk or give images their own filesystem; on small disks lower the thresholds in ${configFile} (e.g. imageGCHighThresholdPercent: 80, imageGCLowThresholdPercent: 70) so GC starts earlier`,
      restart,
    ],
  };
}
