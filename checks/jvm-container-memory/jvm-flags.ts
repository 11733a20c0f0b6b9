// The JVM's memory flags and how HotSpot combines them. -Xmx and -XX:MaxHeapSize= are the same flag;
// without them the heap is MaxRAMPercentage (default 25) of MaxRAM, or of the container limit when
// UseContainerSupport is on (default since JDK 10 and 8u191, JDK-8146115). The last occurrence wins.
import { parseJvmSize } from '../../src/kube/quantity.js';

export interface Setting<T> {
  value: T;
  /** The flag as written, e.g. "-Xmx1g". Only flags, never whole option strings (they may hold secrets). */
  flag: string;
  /** Where it came from, e.g. "env JAVA_TOOL_OPTIONS", "args", "ConfigMap jvm (key JAVA_OPTS)". */
  source: string;
}

export type Family = 'maxHeap' | 'maxRam' | 'maxRamPercentage' | 'maxRamFraction' | 'containerSupport';

export interface JvmSettings {
  maxHeap?: Setting<number>;
  maxRam?: Setting<number>;
  maxRamPercentage?: Setting<number>;
  maxRamFraction?: Setting<number>;
  containerSupport?: Setting<boolean>;
  /** Families whose last word could not be read (a ConfigMap we could not see, "-Xmx${HEAP}"): why. */
  unknown: Partial<Record<Family, string>>;
}

const FAMILIES: Family[] = ['maxHeap', 'maxRam', 'maxRamPercentage', 'maxRamFraction', 'containerSupport'];
export const DEFAULT_MAX_RAM_PERCENTAGE = 25;

export function emptySettings(): JvmSettings {
  return { unknown: {} };
}

/** The -X… tokens of an option string or command line; everything else is dropped at once. */
export function jvmTokens(text: string): string[] {
  // A value that is not a string (a crafted manifest; the API and snapshots are shape-checked) sets no flag.
  if (typeof text !== 'string') return [];
  return text.split(/\s+/).map((t) => t.replace(/^["']+|["']+$/g, '')).filter((t) => t.startsWith('-X'));
}

/** A source whose content is unknown may set any flag: everything before it is in doubt. */
export function applyUnknownSource(s: JvmSettings, reason: string): void {
  for (const f of FAMILIES) {
    delete s[f];
    s.unknown[f] = reason;
  }
}

export function applyJvmTokens(s: JvmSettings, tokens: string[], source: string): void {
  const set = <F extends Family>(family: F, value: NonNullable<JvmSettings[F]>['value'] | undefined, flag: string) => {
    if (value === undefined) {
      delete s[family];
      s.unknown[family] = `${flag} (${source}) cannot be read`;
    } else {
      (s as unknown as Record<Family, Setting<unknown>>)[family] = { value, flag, source };
      delete s.unknown[family];
    }
  };
  for (const flag of tokens) {
    let m: RegExpExecArray | null;
    if ((m = /^(?:-Xmx|-XX:MaxHeapSize=)(.*)$/.exec(flag))) set('maxHeap', parseJvmSize(m[1]!), flag);
    else if ((m = /^-XX:MaxRAM=(.*)$/.exec(flag))) set('maxRam', parseJvmSize(m[1]!), flag);
    else if ((m = /^-XX:MaxRAMPercentage=(.*)$/.exec(flag))) set('maxRamPercentage', percentage(m[1]!), flag);
    else if ((m = /^-XX:MaxRAMFraction=(.*)$/.exec(flag))) set('maxRamFraction', /^[1-9]\d*$/.test(m[1]!) ? Number(m[1]) : undefined, flag);
    else if ((m = /^-XX:([+-])UseContainerSupport$/.exec(flag))) set('containerSupport', m[1] === '+', flag);
  }
}

function percentage(text: string): number | undefined {
  if (!/^\d+(\.\d*)?$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 100 ? n : undefined;
}

export type HeapVerdict =
  | { kind: 'sized'; bytes: number; basis: string; flags: Setting<unknown>[] }
  | { kind: 'default' }
  | { kind: 'unknown'; reasons: string[] };

/** The maximum heap the flags give under a memory limit. */
export function maxHeap(s: JvmSettings, limitBytes: number | undefined): HeapVerdict {
  if (s.maxHeap) return { kind: 'sized', bytes: s.maxHeap.value, basis: s.maxHeap.flag, flags: [s.maxHeap] };
  const doubts = Object.values(s.unknown);
  if (doubts.length) return { kind: 'unknown', reasons: [...new Set(doubts)] };
  const ram = s.maxRam?.value ?? (s.containerSupport?.value === false ? undefined : limitBytes);
  const ramText = s.maxRam ? s.maxRam.flag : 'the memory limit';
  const pct = s.maxRamPercentage;
  if (ram === undefined || (!pct && !s.maxRamFraction && !s.maxRam)) return { kind: 'default' };
  if (pct) return { kind: 'sized', bytes: Math.floor((ram * pct.value) / 100), basis: `${pct.value}% of ${ramText}`, flags: compact([pct, s.maxRam]) };
  if (s.maxRamFraction) {
    return { kind: 'sized', bytes: Math.floor(ram / s.maxRamFraction.value), basis: `1/${s.maxRamFraction.value} of ${ramText}`, flags: compact([s.maxRamFraction, s.maxRam]) };
  }
  return { kind: 'sized', bytes: Math.floor((ram * DEFAULT_MAX_RAM_PERCENTAGE) / 100), basis: `${DEFAULT_MAX_RAM_PERCENTAGE}% (default) of ${ramText}`, flags: compact([s.maxRam]) };
}

function compact<T>(xs: (T | undefined)[]): T[] {
  return xs.filter((x): x is T => x !== undefined);
}
