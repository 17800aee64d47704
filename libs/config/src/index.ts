export * from './signet-config';
export * from './dependency-wait';
