export * from './events';
export * from './commands';
export * from './challenge-id';
export * from './sign-in-challenge';
export * from './decide';
