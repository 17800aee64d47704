import type { RecordedEvent } from './event-store.port';

/**
 * Reads of several streams, each in its own order, merged by global position as they come: how an adapter
 * without a read of several streams at once answers `readStreams`. Leaving early releases every read.
 */
export async function* mergedInLogOrder(
  reads: AsyncIterable<RecordedEvent>[],
): AsyncGenerator<RecordedEvent> {
  const readers = reads.map((read) => read[Symbol.asyncIterator]());
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
