import type { EventFilter } from './event-store.port';

/** An empty list would be ambiguous (keep nothing? keep everything?): omit the field to keep everything. */
export function validateFilter(filter: EventFilter): void {
  if (filter.streamPrefixes?.length === 0) throw new RangeError('filter.streamPrefixes must not be empty');
  if (filter.eventTypes?.length === 0) throw new RangeError('filter.eventTypes must not be empty');
  const partition = filter.partition;
  if (
    partition &&
    !(
      Number.isInteger(partition.count) &&
      Number.isInteger(partition.index) &&
      partition.count >= 1 &&
      partition.index >= 0 &&
      partition.index < partition.count
    )
  ) {
    throw new RangeError('filter.partition needs an integer count ≥ 1 and an index in [0, count)');
  }
}

/** The part (of `count`) a stream's key falls in: FNV-1a of its UTF-16 code units, modulo `count`. */
export function partitionOfKey(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/** The key a stream is partitioned by: what follows the first of the filter's prefixes it starts with. */
function partitionKeyOf(filter: EventFilter, streamId: string): string {
  const prefix = filter.streamPrefixes?.find((p) => streamId.startsWith(p));
  return prefix === undefined ? streamId : streamId.slice(prefix.length);
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
  if (filter.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  const partition = filter.partition;
  return (
    !partition || partitionOfKey(partitionKeyOf(filter, event.streamId), partition.count) === partition.index
  );
}
