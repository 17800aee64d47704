export * from './signet-config';
