import { anEvent, eventStoreContract } from './event-store.contract';
import { observedEventStore, type AppendObserver } from './observed-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

// Whatever it observes, the store it wraps behaves as before.
eventStoreContract('observedEventStore over SqliteEventStore', async () => {
  const store = observedEventStore(new SqliteEventStore({ filename: ':memory:' }), () => {});
  return { store, cleanup: () => store.close() };
});

describe('observedEventStore', () => {
  it('tells the observer of each append and how it ended, never its data', async () => {
    const seen: Parameters<AppendObserver>[0][] = [];
    const store = observedEventStore(new SqliteEventStore({ filename: ':memory:' }), (append) =>
      seen.push(append),
    );
    await store.appendToStream('s-1', [anEvent('Observed')], { expectedRevision: 'no_stream' });
    await expect(
      store.appendToStream('s-1', [anEvent('Observed')], { expectedRevision: 'no_stream' }),
    ).rejects.toThrow();
    await store.close();

    expect(seen.map(({ streamId, outcome, events }) => [streamId, outcome, events.length])).toEqual([
      ['s-1', 'ok', 1],
      ['s-1', 'conflict', 1],
    ]);
  });
});
