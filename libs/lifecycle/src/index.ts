export * from './signet-process';
export * from './metrics';
export * from './logging';
