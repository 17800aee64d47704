import { streamsOfUser } from '@signet/domain';
import type { EventStore, RecordedEvent } from '@signet/event-store';

/**
 * One user's whole history: their Security info, code-delivery and sign-in challenge streams, merged in log
 * order (global position), as it happened. Each stream is read once, forwards; leaving early releases them.
 */
export async function* readUserStreams(store: EventStore, userId: string): AsyncGenerator<RecordedEvent> {
  const readers = streamsOfUser(userId).map((streamId) => store.readStream(streamId)[Symbol.asyncIterator]());
  try {
    const next = await Promise.all(readers.map((reader) => reader.next()));
    for (;;) {
      let pick = -1;
      for (let i = 0; i < next.length; i++) {
        const candidate = next[i];
        if (candidate.done) continue;
        if (pick === -1 || candidate.value.position < (next[pick].value as RecordedEvent).position) pick = i;
      }
      if (pick === -1) return;
      yield next[pick].value as RecordedEvent;
      next[pick] = await readers[pick].next();
    }
  } finally {
    await Promise.all(readers.map((reader) => reader.return?.()));
  }
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
