// How often and when an Event happened, read the same way by every check.
//
// core/v1 Events come from two kinds of recorders. The legacy one (client-go tools/record, the kubelet's)
// sets count, firstTimestamp and lastTimestamp and bumps count/lastTimestamp on each repeat. The
// events.k8s.io one (client-go tools/events) sets eventTime (the first occurrence) and, from the second
// occurrence on, series {count, lastObservedTime}; its core/v1 view leaves count and the timestamps empty.
// Some reporters fill both sets. Every one of these times is a moment the event was seen, and
// metadata.creationTimestamp is when the object was first written (about the first occurrence), so the
// latest of them is the last occurrence on record, whichever recorder wrote the event.
import type { CoreV1Event } from '@kubernetes/client-node';
import { toMillis } from './resources.js';

const positive = (n: unknown): number | undefined => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined);

/** Occurrences: series.count (the whole series) if set, else the legacy count, else 1 — an Event that
 * exists happened at least once (count 0 is what an unset int32 reads as). */
export function eventCount(ev: CoreV1Event): number {
  return positive(ev.series?.count) ?? positive(ev.count) ?? 1;
}

/** Epoch ms of the latest occurrence: the latest of series.lastObservedTime, lastTimestamp, eventTime,
 * firstTimestamp and metadata.creationTimestamp; undefined when the event carries none of them. */
export function eventLastSeen(ev: CoreV1Event): number | undefined {
  const times = [ev.series?.lastObservedTime, ev.lastTimestamp, ev.eventTime, ev.firstTimestamp, ev.metadata?.creationTimestamp]
    .map((t) => toMillis(t))
    .filter((t): t is number => t !== undefined);
  return times.length ? Math.max(...times) : undefined;
}

/** An instant as findings show it (event and eviction times alike): ISO 8601 in UTC, whole seconds
 * without ".000" — 2026-11-25T09:48:12Z; sub-second times keep their milliseconds. */
export function evidenceTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
