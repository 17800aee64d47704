export * from './recording-reads';
export * from '../esdb/testing/esdb-double';
