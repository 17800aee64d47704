/**
 * Test-only helpers shared by the specs and the end-to-end tests. Never imported by production code (the
 * production build leaves this library out).
 */
export { eventually, type EventuallyOptions } from './eventually';
export { TestClock } from './test-clock';
