import type { EventStore, RecordedEvent } from './event-store.port';

/**
 * `readStreams` for an adapter that can only read one stream at a time: each stream is read once, forwards,
 * and their events are merged by global position as they come. Leaving early releases every read.
 */
export async function* readStreamsOneByOne(
  store: Pick<EventStore, 'readStream'>,
  streamIds: readonly string[],
): AsyncGenerator<RecordedEvent> {
  const readers = [...new Set(streamIds)].map((streamId) => store.readStream(streamId)[Symbol.asyncIterator]());
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
