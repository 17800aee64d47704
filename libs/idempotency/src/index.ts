export * from './idempotency.port';
export * from './sqlite/sqlite-idempotency-store';
