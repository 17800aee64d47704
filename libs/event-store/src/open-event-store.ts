import type { SignetConfig } from '@signet/config';
import type { EventStore } from './event-store.port';
import { HashChainingEventStore } from './hash-chain/hash-chaining-event-store';
import { EventStoreDbEventStore } from './esdb/eventstoredb-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/**
 * The event store the configuration asks for. The one place that chooses an adapter, shared by the API, the
 * CLI and the worker: EventStoreDB when `EVENTSTORE_URL` is set, else the embedded SQLite file. Callers
 * should `await waitForEventStore(store)` at start-up: an unreachable EventStoreDB then stops them, named.
 */
export function openEventStore(config: Pick<SignetConfig, 'eventStore'>): EventStore {
  // Every event written through Signet is hash-chained to its stream (tamper evidence, see hash-chain/).
  const inner: EventStore = config.eventStore.url
    ? new EventStoreDbEventStore({ url: config.eventStore.url })
    : new SqliteEventStore(config.eventStore);
  return new HashChainingEventStore(inner);
}
