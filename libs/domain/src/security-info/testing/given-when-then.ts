import type { SecurityInfoCommand } from '../commands';
import { decide, DEFAULT_POLICY, type DecisionContext } from '../decide';
import type { SecurityInfoEvent } from '../events';
import { SecurityInfoRefusal, type RefusalCode } from '../refusal';
import { fold } from '../security-info';
import { VerificationCodes } from '../verification-code';

/**
 * Given/when/then for the Security info decider:
 *
 *   given([...events]).when(command, { now: at(61 * SECOND) }).then([...expectedEvents])
 *   given([...events]).when(command).thenRefused('method-not-found')
 *
 * Tests run against a fake, deterministic DecisionContext: the clock stands at T0 unless moved with `now`,
 * ids are `id-1`, `id-2`, ... (continuing after the highest `id-N` in the given events, so histories chain),
 * and codes are checked by a real VerificationCodes with a fixed test secret, so `codeFor(codeId)` is the
 * code a person would have received.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const T0 = new Date('2030-01-01T09:00:00.000Z');

/** The moment `ms` after T0. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** The ISO string the events record for the moment `ms` after T0. */
export function iso(ms: number): string {
  return at(ms).toISOString();
}

export const TEST_SECRET = Buffer.from('signet-test-secret-32-bytes-long', 'utf8');
const codes = new VerificationCodes(TEST_SECRET);

/** The code a person receives for `codeId`. */
export function codeFor(codeId: string): string {
  return codes.codeFor(codeId);
}

/** A well-formed code that is certainly not the one for `codeId`. */
export function wrongCodeFor(codeId: string): string {
  return codeFor(codeId) === '000000' ? '111111' : '000000';
}

export function testContext(overrides: Partial<DecisionContext> = {}, firstId = 1): DecisionContext {
  let next = firstId;
  return {
    now: T0,
    newId: () => `id-${next++}`,
    codeMatches: (codeId, code) => codes.matches(codeId, code),
    policy: DEFAULT_POLICY,
    ...overrides,
  };
}

export function given(history: readonly SecurityInfoEvent[]) {
  return {
    when(command: SecurityInfoCommand, ctxOverrides: Partial<DecisionContext> = {}) {
      const state = deepFreeze(fold(history));
      const ctx = testContext(ctxOverrides, nextIdAfter(history));
      const run = () => decide(command, state, ctx);
      return {
        /** Asserts the recorded events, and that they fold onto the state; returns the longer history. */
        then(expected: SecurityInfoEvent[]): SecurityInfoEvent[] {
          const events = run();
          expect(events).toEqual(expected);
          expect(() => fold(events, state)).not.toThrow();
          return [...history, ...events];
        },
        /** Asserts a SecurityInfoRefusal with this code (and these details, when given); returns it. */
        thenRefused(code: RefusalCode, details?: SecurityInfoRefusal['details']): SecurityInfoRefusal {
          let refusal: unknown;
          try {
            run();
          } catch (error) {
            refusal = error;
          }
          expect(refusal).toBeInstanceOf(SecurityInfoRefusal);
          const { code: actual, details: actualDetails } = refusal as SecurityInfoRefusal;
          expect(actual).toBe(code);
          if (details) expect(actualDetails).toEqual(details);
          return refusal as SecurityInfoRefusal;
        },
      };
    },
  };
}

/** Fresh ids continue after the highest `id-N` already used, so `given(history)` can chain decisions. */
function nextIdAfter(history: readonly SecurityInfoEvent[]): number {
  const used = [...JSON.stringify(history).matchAll(/"id-(\d+)"/g)].map((m) => Number(m[1]));
  return Math.max(0, ...used) + 1;
}

/** `decide` must not change the state it is given; freezing it turns any mutation into a TypeError. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
