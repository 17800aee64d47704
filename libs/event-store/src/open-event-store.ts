import { withoutPassword, type Dependency, type SignetConfig } from '@signet/config';
import type { EventStore } from './event-store.port';
import { HashChainingEventStore } from './hash-chain/hash-chaining-event-store';
import type * as EventStoreDb from './esdb/eventstoredb-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { waitForEventStore } from './wait-for-event-store';

/**
 * The event store the configuration asks for. The one place that chooses an adapter, shared by the API, the
 * CLI and the worker: EventStoreDB when `EVENTSTORE_URL` is set, else the embedded SQLite file. Processes
 * wait for it at start-up (`eventStoreDependency`): an unreachable EventStoreDB then stops them, named.
 */
export function openEventStore(config: Pick<SignetConfig, 'eventStore'>): EventStore {
  // Every event written through Signet is hash-chained to its stream (tamper evidence, see hash-chain/).
  const inner: EventStore = config.eventStore.url
    ? // Loaded only when asked for: its gRPC client alone holds ~20 MB in a process that never uses it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      new (require('./esdb/eventstoredb-event-store') as typeof EventStoreDb).EventStoreDbEventStore({
        url: config.eventStore.url,
      })
    : new SqliteEventStore(config.eventStore);
  return new HashChainingEventStore(inner);
}

/** The event store as a start-up dependency: named, and pointed at by EVENTSTORE_URL (or the SQLite file). */
export function eventStoreDependency(
  store: EventStore,
  config: Pick<SignetConfig, 'eventStore'>,
): Dependency {
  const { url, filename } = config.eventStore;
  return {
    name: 'The event store',
    configuredBy: `EVENTSTORE_URL: ${url ? withoutPassword(url) : `(unset: ${filename})`}`,
    waitFor: (timeoutMs) => waitForEventStore(store, { timeoutMs }),
  };
}
