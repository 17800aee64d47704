import { streamsOfUser } from '@signet/domain';
import type { EventStore, RecordedEvent } from '@signet/event-store';

/**
 * One user's whole history: their Security info, code-delivery and sign-in challenge streams, merged in log
 * order (global position), as it happened.
 */
export function readUserStreams(store: EventStore, userId: string): AsyncIterable<RecordedEvent> {
  return store.readStreams(streamsOfUser(userId));
}

/** How many events the user's streams hold now (for an export's progress). */
export async function countUserEvents(store: EventStore, userId: string): Promise<bigint> {
  let total = 0n;
  for (const streamId of streamsOfUser(userId)) {
    for await (const last of store.readStream(streamId, { direction: 'backwards', maxCount: 1 })) {
      total += last.revision + 1n;
    }
  }
  return total;
}
