import type { EventFilter } from './event-store.port';

/** An empty list would be ambiguous (keep nothing? keep everything?): omit the field to keep everything. */
export function validateFilter(filter: EventFilter): void {
  if (filter.streamPrefixes?.length === 0) throw new RangeError('filter.streamPrefixes must not be empty');
  if (filter.eventTypes?.length === 0) throw new RangeError('filter.eventTypes must not be empty');
}

/** Whether an event passes the filter: one of its stream prefixes and one of its event types, when given. */
export function matchesFilter(
  filter: EventFilter | undefined,
  event: { streamId: string; type: string },
): boolean {
  if (!filter) return true;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) {
    return false;
  }
  return !filter.eventTypes || filter.eventTypes.includes(event.type);
}
