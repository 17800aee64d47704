export { createSignetClient, type Problem, type SignetClient } from './client';
export type { components, operations, paths } from './schema';
