export * from './event-store.port';
export * from './event-store.errors';
export * from './wait-for-event-store';
export { SqliteEventStore } from './sqlite/sqlite-event-store';
export type { SqliteEventStoreOptions, SqliteEventStoreStats } from './sqlite/sqlite-event-store';
export * from './open-event-store';
export * from './hash-chain/event-hash';
export { HashChainingEventStore } from './hash-chain/hash-chaining-event-store';
export * from './observed-event-store';
