export * from './schema/signet-config';
export * from './startup-errors';
export * from './waits/dependency-wait';
export * from './waits/with-timeout';
export * from './connection-string';
export * from './store-files/store-file';
export { rotateGeneratedSecret } from './secrets/stored-secrets';
