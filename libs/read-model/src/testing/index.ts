export * from './security-info-history';
