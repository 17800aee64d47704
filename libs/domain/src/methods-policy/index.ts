export * from './methods-policy';
