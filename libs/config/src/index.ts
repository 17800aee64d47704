export * from './signet-config';
export * from './dependency-wait';
export * from './connection-string';
