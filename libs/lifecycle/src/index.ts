export * from './signet-process';
