export * from './event-store.port';
export { EventStoreClosedError, SqliteEventStore } from './sqlite/sqlite-event-store';
export type { SqliteEventStoreOptions, SqliteEventStoreStats } from './sqlite/sqlite-event-store';
export * from './open-event-store';
