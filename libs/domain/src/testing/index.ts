export * from './decider-specification';
export * from './given-when-then';
export * from './security-info-events';
