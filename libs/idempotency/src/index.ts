export * from './idempotency.port';
export * from './open-idempotency-store';
export * from './sqlite/sqlite-idempotency-store';
