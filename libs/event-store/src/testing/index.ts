export * from './recording-reads';
