export * from './event-store.port';
export { EventStoreClosedError, SqliteEventStore } from './sqlite/sqlite-event-store';
export type { SqliteEventStoreOptions, SqliteEventStoreStats } from './sqlite/sqlite-event-store';
export * from './open-event-store';
export * from './esdb/eventstoredb-event-store';
export * from './hash-chain/event-hash';
export { HashChainingEventStore } from './hash-chain/hash-chaining-event-store';
