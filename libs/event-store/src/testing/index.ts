export * from './recording-reads';
export * from '../esdb/testing/esdb-double';
export { threadFromSources } from '../sqlite/testing/writer-thread-from-sources';
