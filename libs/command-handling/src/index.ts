export * from './command-handler';
export * from './stream-states';
