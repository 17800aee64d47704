import type { SignetConfig } from '@signet/config';
import type { EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/**
 * The event store the configuration asks for. The one place that chooses an adapter, shared by the API, the
 * CLI and the worker (EventStoreDB joins here when `EVENTSTORE_URL` is set).
 */
export function openEventStore(config: Pick<SignetConfig, 'eventStore'>): EventStore {
  return new SqliteEventStore(config.eventStore);
}
