import type { EventStore, ReadStreamOptions } from '../event-store.port';

/**
 * The store, seen through a wrapper that keeps the options of every `readStream` call: lets a test show what
 * a cache read, and from which revision. `reads` may be emptied (`reads.length = 0`) between steps.
 */
export function recordingReads(inner: EventStore): {
  store: EventStore;
  reads: (ReadStreamOptions | undefined)[];
} {
  const reads: (ReadStreamOptions | undefined)[] = [];
  const store = Object.assign(Object.create(inner) as EventStore, {
    readStream: (streamId: string, options?: ReadStreamOptions) => {
      reads.push(options);
      return inner.readStream(streamId, options);
    },
  });
  return { store, reads };
}
