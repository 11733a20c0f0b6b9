// The decisions of kubelet-gc for one node, from what index.ts gathered (words: messages.ts). Thresholds: check-facts §4.3.
import type { Reporter } from '../../src/check.js';
import type { rules } from './messages.js';
import { defaultEvictionHard, parseKubeletVersion, type EffectiveConfig } from '../../src/node/kubelet-config.js';
import type { EvictionSummary } from './evictions.js';
import { isDiskResource } from '../../src/kube/eviction.js';
import { evidenceTime } from '../../src/kube/events.js';
import { fsEvidence, signalStates, usedPercent, type NodeDisk } from '../../src/node/node-disk.js';

export type Say = Reporter<typeof rules>;

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

/** The lines a user can move (the check's settings); every other threshold here is the kubelet's own. */
export interface Limits {
  /** Points of headroom above an eviction threshold below which the node is warned about. */
  nearPoints: number;
}

export function evaluateNode(sayAll: Say, n: NodeInput, limits: Limits): void {
  const { node, config } = n;
  const target = { kind: 'Node', name: node };
  const base: Record<string, unknown> = {
    node, configSource: config.sourceDetail, usageSource: n.disk?.source ?? 'unavailable',
    ...(n.kubeletVersion ? { kubeletVersion: n.kubeletVersion } : {}),
    ...(config.notes.length || n.diskNotes.length ? { notCollected: [...config.notes, ...n.diskNotes] } : {}),
  };
  const withEvictions = (e: Record<string, unknown>) => (n.evictions ? { ...base, ...e, evictions: n.evictions } : { ...base, ...e });
  const configFile = config.configPath ?? '/var/lib/kubelet/config.yaml';
  let reported = 0;
  const say: typeof sayAll = (rule, decision, data) => { reported++; sayAll(rule, decision, data); };

  // 1. Invalid GC thresholds: the kubelet validates low < high at start-up and refuses to run otherwise.
  if (config.low >= config.high) {
    say('imageGcThresholdsInverted', {
      severity: 'critical', target,
      evidence: withEvictions({ imageGCHighThresholdPercent: config.high, imageGCLowThresholdPercent: config.low, flags: config.flags }),
    }, { node, config, configFile });
  }

  // 2. Image GC switched off.
  if (config.high >= 100) {
    say('imageGcDisabled', {
      severity: 'warning', target,
      evidence: withEvictions({ imageGCHighThresholdPercent: config.high, imageGCLowThresholdPercent: config.low, imageMaximumGCAge: config.imageMaximumGCAge ?? null }),
    }, { node, config, configFile });
  }

  const states = signalStates(n.disk, config.evictionHard, limits.nearPoints);

  // 3. A partial evictionHard map: the signals it leaves out are not watched at all.
  if (config.source !== 'defaults' && config.missingSignals.length) {
    const defaults = defaultEvictionHard(parseKubeletVersion(n.kubeletVersion));
    const wouldFire = signalStates(n.disk, Object.fromEntries(config.missingSignals.map((k) => [k, defaults[k]!])))
      .filter((s) => s.state === 'met');
    say('partialEvictionHard', {
      severity: wouldFire.length ? 'critical' : 'warning', target,
      evidence: withEvictions({
        evictionHard: config.evictionHard, notWatched: config.missingSignals, mergeDefaultEvictionSettings: config.mergeDefaults ?? null,
        ...(config.flags['eviction-hard'] ? { evictionHardFlag: config.flags['eviction-hard'] } : {}),
        ...(wouldFire.length ? { pastDefaultThresholds: wouldFire } : {}),
      }),
    }, { node, config, configFile, kubeletVersion: n.kubeletVersion, defaults, wouldFire });
  }

  // 4. Eviction thresholds near or crossed, or DiskPressure already set.
  const pressure = n.diskPressure?.status === 'True';
  const met = states.filter((s) => s.state === 'met');
  const near = states.filter((s) => s.state === 'near');
  if (pressure || met.length || near.length) {
    say('diskPressure', {
      severity: pressure || met.length ? 'critical' : 'warning', target,
      evidence: withEvictions({
        diskPressure: n.diskPressure ?? null, signals: states,
        ...(n.disk ? { nodefs: fsEvidence(n.disk.nodefs), imagefs: fsEvidence(n.disk.imagefs), sameFilesystem: n.disk.sameFilesystem } : {}),
      }),
    }, { node, pressure, pressureStatus: n.diskPressure?.status, met, near, nearPoints: limits.nearPoints, evicted24h: n.evictions?.last24h ?? 0, disk: n.disk, config });
  }

  // 5. Image GC above its high threshold. With failure events it cannot reclaim enough: critical.
  // The line is the kubelet's own imageGCHighThresholdPercent, not a judgement of this check: no setting.
  const imagefs = n.disk?.imagefs;
  if (imagefs && config.high < 100) {
    const used = usedPercent(imagefs);
    if (used >= config.high) {
      const failures = ['FreeDiskSpaceFailed', 'ImageGCFailed'].flatMap((r) => (n.events.get(r) ? [eventEvidence(n.events.get(r)!)] : []));
      const toFree = Math.max(0, Math.round((imagefs.capacityBytes * (100 - config.low)) / 100 - imagefs.availableBytes));
      say('imageFsAboveGcThreshold', {
        severity: failures.length ? 'critical' : 'info', target,
        evidence: withEvictions({
          imagefs: fsEvidence(imagefs), usedPercent: r1(used), imageGCHighThresholdPercent: config.high, imageGCLowThresholdPercent: config.low,
          bytesToFree: toFree, events: failures,
        }),
      }, { node, imagefs, usedPercent: r1(used), failures: failures.map((f) => String(f.reason)), toFree, config, configFile });
    }
  }

  // 6. Container GC failing: the runtime cannot remove dead containers.
  const cgc = n.events.get('ContainerGCFailed');
  if (cgc) {
    say('containerGcFailing', { severity: 'warning', target, evidence: withEvictions({ events: [eventEvidence(cgc)] }) },
      { node, count: cgc.count, message: cgc.message });
  }

  // 7. Nothing wrong now, but the node evicted for disk recently: context for the evicted-pods check.
  const diskResources = n.evictions ? Object.keys(n.evictions.byResource).filter((r) => isDiskResource(r)) : [];
  const diskEvictions = diskResources.reduce((a, r) => a + n.evictions!.byResource[r]!, 0);
  if (!reported && n.evictions && n.evictions.last24h && diskEvictions) {
    sayAll('diskEvictions', { severity: 'info', target, evidence: withEvictions(states.length ? { signals: states } : {}) },
      { node, count: diskEvictions, resources: diskResources, diskKnown: !!n.disk, pressureStatus: n.diskPressure?.status });
  }
}

function eventEvidence(e: NodeEvent): Record<string, unknown> {
  return { reason: e.reason, count: e.count, last: e.last === undefined ? null : evidenceTime(e.last), message: e.message };
}
