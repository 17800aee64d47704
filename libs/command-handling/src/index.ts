export * from './command-handler';
export * from './stream-states';
export * from './methods-policy';
