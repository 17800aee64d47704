export * from './mongo-wire-double';
export * from './mongo-test-database';
