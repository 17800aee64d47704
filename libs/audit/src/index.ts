export * from './access-log';
export * from './as-of';
export * from './audit-query';
export * from './chain-verification';
export * from './export';
export * from './history';
export * from './phone-numbers';
export * from './user-streams';
