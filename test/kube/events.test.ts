import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event } from '@kubernetes/client-node';
import { eventCount, eventLastSeen, evidenceTime } from '../../src/kube/events.js';

// Timestamps are ISO strings in the raw objects the checks receive, whatever the model types say.
type RawEvent = Omit<CoreV1Event, 'series' | 'eventTime' | 'firstTimestamp' | 'lastTimestamp' | 'metadata'> & {
  series?: { count?: number; lastObservedTime?: string };
  eventTime?: string | null; firstTimestamp?: string | null; lastTimestamp?: string | null;
  metadata?: { name?: string; creationTimestamp?: string };
};
const event = (e: Partial<RawEvent>): CoreV1Event => ({ involvedObject: {}, metadata: { name: 'x.1' }, ...e }) as unknown as CoreV1Event;
const ms = (iso: string) => Date.parse(iso);

describe('eventCount', () => {
  it.each<[string, Partial<RawEvent>, number]>([
    ['legacy recorder: count', { count: 7 }, 7],
    ['events.k8s.io recorder: the series count', { series: { count: 4, lastObservedTime: '2026-11-25T11:00:00.000000Z' } }, 4],
    ['both: the series counts the whole series', { count: 1, series: { count: 12 } }, 12],
    ['a first occurrence with nothing set happened once', {}, 1],
    ['count 0 (an unset int32) is one occurrence', { count: 0 }, 1],
    ['a series without a count falls back to count', { count: 3, series: { lastObservedTime: '2026-11-25T11:00:00Z' } }, 3],
  ])('%s', (_, e, want) => {
    expect(eventCount(event(e))).toBe(want);
  });
});

describe('eventLastSeen', () => {
  it.each<[string, Partial<RawEvent>, number | undefined]>([
    ['legacy: lastTimestamp over firstTimestamp', { firstTimestamp: '2026-11-25T09:00:00Z', lastTimestamp: '2026-11-25T11:30:00Z' }, ms('2026-11-25T11:30:00Z')],
    ['events.k8s.io: series.lastObservedTime over eventTime (the first occurrence)',
      { eventTime: '2026-11-25T09:00:00.123456Z', series: { count: 3, lastObservedTime: '2026-11-25T11:45:00.500000Z' } }, ms('2026-11-25T11:45:00.500Z')],
    ['events.k8s.io, first occurrence: eventTime', { eventTime: '2026-11-25T10:15:00.000001Z', lastTimestamp: null, firstTimestamp: null }, ms('2026-11-25T10:15:00.000Z')],
    ['a stale series beside a newer lastTimestamp: the newer one', { lastTimestamp: '2026-11-25T11:59:00Z', series: { count: 2, lastObservedTime: '2026-11-25T08:00:00Z' } }, ms('2026-11-25T11:59:00Z')],
    ['only the object\'s creation time', { metadata: { name: 'x.2', creationTimestamp: '2026-11-25T07:00:00Z' } }, ms('2026-11-25T07:00:00Z')],
    ['no time at all', { lastTimestamp: null, eventTime: null }, undefined],
    ['garbage is no time', { lastTimestamp: 'yesterday' }, undefined],
  ])('%s', (_, e, want) => {
    expect(eventLastSeen(event(e))).toBe(want);
  });
});

describe('evidenceTime', () => {
  it('drops ".000" from whole seconds and keeps real milliseconds', () => {
    expect(evidenceTime(Date.parse('2026-11-25T09:48:12Z'))).toBe('2026-11-25T09:48:12Z');
    expect(evidenceTime(Date.parse('2026-11-25T09:48:12.250Z'))).toBe('2026-11-25T09:48:12.250Z');
  });
});
