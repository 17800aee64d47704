import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from './event-store.port';

/** Told of every append: how long it took, whether it was written, and what (for metrics; never the data). */
export type AppendObserver = (append: {
  streamId: string;
  events: readonly EventToAppend[];
  seconds: number;
  outcome: 'ok' | 'conflict' | 'error';
}) => void;

/** An EventStore that tells an observer about each append and otherwise passes everything through. */
export function observedEventStore(store: EventStore, observe: AppendObserver): EventStore {
  return {
    async appendToStream(
      streamId: string,
      events: EventToAppend[],
      options: { expectedRevision: ExpectedRevision },
    ): Promise<AppendResult> {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const result = await store.appendToStream(streamId, events, options);
        observe({ streamId, events, seconds: seconds(), outcome: 'ok' });
        return result;
      } catch (error) {
        const conflict = (error as Error)?.name === 'WrongExpectedRevisionError';
        observe({ streamId, events, seconds: seconds(), outcome: conflict ? 'conflict' : 'error' });
        throw error;
      }
    },
    readStream: (streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> =>
      store.readStream(streamId, options),
    readStreams: (streamIds: readonly string[]): AsyncIterable<RecordedEvent> => store.readStreams(streamIds),
    readAll: (options?: ReadAllOptions): AsyncIterable<RecordedEvent> => store.readAll(options),
    subscribeToAll: (options?: SubscribeOptions): Subscription => store.subscribeToAll(options),
    headPosition: () => store.headPosition(),
    ping: (options?: { write?: boolean }) => store.ping(options),
    close: () => store.close(),
  };
}
