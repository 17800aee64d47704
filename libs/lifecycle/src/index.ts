export * from './signet-process';
export * from './metrics';
