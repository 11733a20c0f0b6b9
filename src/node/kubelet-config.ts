// The kubelet settings that decide image GC and disk eviction, from the best source available:
// configz (the running kubelet's effective config), else the config file + flags read over SSH, else
// the defaults. Facts: check-facts §4.1 (defaults; a partial evictionHard replaces the whole map unless
// mergeDefaultEvictionSettings, kubelet ≥ 1.33; imagefs.inodesFree in the defaults from 1.33).
import type { ProbeOutcome } from './node-source.js';
import { quantityValue } from '../kube/quantity.js';
import { pickSettings, type KubeletConfigFile, type KubeletSettings } from './probes/kubeletConfig.js';

export const DEFAULT_HIGH = 85;
export const DEFAULT_LOW = 80;

/** The disk signals of evictionHard, in the order findings list them. */
export const DISK_SIGNALS = ['nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree'] as const;
export type DiskSignal = (typeof DISK_SIGNALS)[number];

export interface KubeletVersion { major: number; minor: number }

export function parseKubeletVersion(text: string | undefined): KubeletVersion | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(text ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

const atLeast = (v: KubeletVersion | undefined, minor: number) => !!v && (v.major > 1 || (v.major === 1 && v.minor >= minor));

/** The kubelet's default evictionHard (Linux). imagefs.inodesFree joined the defaults in 1.33; with an
 * unknown version it is left out, so a map without it is never called incomplete on an older kubelet. */
export function defaultEvictionHard(version: KubeletVersion | undefined): Record<string, string> {
  const d: Record<string, string> = {
    'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'imagefs.available': '15%',
  };
  if (atLeast(version, 33)) d['imagefs.inodesFree'] = '5%';
  return d;
}

export interface EffectiveConfig {
  source: 'configz' | 'file' | 'defaults';
  /** For a person: where the numbers came from. */
  sourceDetail: string;
  /** The file to edit: set only when it was read over SSH (callers fall back to the kubeadm location). */
  configPath?: string;
  /** Flags that override the file (--eviction-hard, --image-gc-*-threshold). */
  flags: Record<string, string>;
  high: number;
  low: number;
  imageMaximumGCAge?: string;
  evictionHard: Record<string, string>;
  /** Signals the kubelet's defaults would watch that this map leaves out: the kubelet does not watch them. */
  missingSignals: string[];
  /** mergeDefaultEvictionSettings as configured (undefined = unset). */
  mergeDefaults?: boolean;
  /** It was set, but this kubelet is older than 1.33 and ignores it. */
  mergeIgnored: boolean;
  containerLogMaxSize: string;
  containerLogMaxFiles: number;
  /** Why better sources were not used. */
  notes: string[];
}

export interface ConfigInputs {
  configz?: ProbeOutcome<unknown>;
  file?: ProbeOutcome<KubeletConfigFile>;
  kubeletVersion?: string;
}

export function resolveConfig(inputs: ConfigInputs): EffectiveConfig {
  const version = parseKubeletVersion(inputs.kubeletVersion);
  const notes: string[] = [];
  const defaults = defaultEvictionHard(version);

  const live = inputs.configz?.ok ? (inputs.configz.value as { kubeletconfig?: unknown } | null)?.kubeletconfig : undefined;
  if (inputs.configz && !inputs.configz.ok) notes.push(`configz: ${inputs.configz.reason}`);
  else if (inputs.configz?.ok && (typeof live !== 'object' || live === null)) notes.push('configz: response without kubeletconfig');
  if (typeof live === 'object' && live !== null) {
    const s = pickSettings(live);
    // configz shows the map after the kubelet applied defaults or merged them: what it has is what runs.
    const evictionHard = s.evictionHard ?? defaults;
    return build('configz', 'configz (the running kubelet, through the API server)', s, evictionHard, {}, undefined, notes, defaults, false);
  }

  if (inputs.file?.ok && 'settings' in inputs.file.value.file) {
    const f = inputs.file.value;
    const s = f.settings;
    let evictionHard: Record<string, string>;
    let mergeIgnored = false;
    if (!s.evictionHard) evictionHard = defaults;
    else if (s.mergeDefaultEvictionSettings === true && !f.flags['eviction-hard']) {
      // Older kubelets do not know the field and decode the file leniently: the partial map stays partial.
      mergeIgnored = !!version && !atLeast(version, 33);
      evictionHard = mergeIgnored ? s.evictionHard : { ...defaults, ...s.evictionHard };
    } else evictionHard = s.evictionHard;
    const path = f.file.path!;
    const flagList = Object.keys(f.flags).sort().map((k) => `--${k}`);
    const detail = `${path} over SSH${flagList.length ? ` with ${flagList.join(', ')} from the kubelet command line` : ''}` +
      (f.configDir ? `; drop-ins in ${f.configDir} not applied` : '');
    if (f.configDir) notes.push(`--config-dir ${f.configDir}: drop-in files may override ${path}; grant get on nodes/proxy for the effective config`);
    return build('file', detail, s, evictionHard, f.flags, path, notes, defaults, mergeIgnored);
  }
  if (inputs.file?.ok) notes.push(`config file: ${(inputs.file.value.file as { error: string }).error}`);
  else if (inputs.file) notes.push(`config file: ${inputs.file.reason}`);
  return build('defaults', 'kubelet defaults (the config could not be read)', {}, defaults, {}, undefined, notes, defaults, false);
}

function build(source: EffectiveConfig['source'], sourceDetail: string, s: KubeletSettings, evictionHard: Record<string, string>,
  flags: Record<string, string>, configPath: string | undefined, notes: string[], defaults: Record<string, string>,
  mergeIgnored: boolean): EffectiveConfig {
  return {
    source, sourceDetail, configPath, flags,
    high: s.imageGCHighThresholdPercent ?? DEFAULT_HIGH,
    low: s.imageGCLowThresholdPercent ?? DEFAULT_LOW,
    imageMaximumGCAge: s.imageMaximumGCAge,
    evictionHard,
    // A signal set explicitly to 0 was switched off on purpose; only the ones left out are the trap.
    missingSignals: Object.keys(defaults).filter((k) => !(k in evictionHard)),
    mergeDefaults: s.mergeDefaultEvictionSettings,
    mergeIgnored,
    containerLogMaxSize: s.containerLogMaxSize ?? '10Mi',
    containerLogMaxFiles: s.containerLogMaxFiles ?? 5,
    notes,
  };
}

/** A threshold as a percentage of capacity: "10%" → 10; "2Gi" of a 20 GiB filesystem → 10. */
export function thresholdPercent(raw: string, capacity: number): number | undefined {
  const t = raw.trim();
  if (t.endsWith('%')) {
    const n = Number(t.slice(0, -1));
    return Number.isFinite(n) ? n : undefined;
  }
  const q = quantityValue(t);
  return q === undefined || capacity <= 0 ? undefined : (q / capacity) * 100;
}
