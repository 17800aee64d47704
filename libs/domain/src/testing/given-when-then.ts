import {
  securityInfoCommand,
  type SecurityInfoCommand,
  type SecurityInfoCommandMetadata,
  type SecurityInfoRequest,
} from '../security-info/commands';
import type { SecurityInfoEvent } from '../security-info/events';
import type { SecurityInfoPolicy } from '../security-info/policy';
import type { AuthenticationContext, StepUpRule } from '../security-info/step-up';
import type { PageView } from '../security-info/security-info-page';
import { SecurityInfoRefusal, type RefusalCode } from '../security-info/refusal';
import { securityInfoDecider } from '../security-info/security-info-decider';
import { VerificationCodes } from '../security-info/verification-code';
import { DeciderSpecification } from './decider-specification';

/**
 * Given/when/then for the Security info decider, on DeciderSpecification:
 *
 *   given([...events]).when(request, { now: at(61 * SECOND) }).then([...expectedEvents])
 *   given([...events]).when(request).thenRefused('method-not-found')
 *
 * A request becomes a command as the shell makes it (`securityInfoCommand`), with deterministic inputs: the
 * clock stands at T0 unless moved with `now`, ids are `id-1`, `id-2`, ... (continuing after the highest
 * `id-N` in the given events, so histories chain), and codes are checked by a real VerificationCodes with a
 * fixed test secret, so `codeFor(codeId)` is the code a person would have received.
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

/** The rules the specs decide under (the configuration's defaults are the same numbers). */
export const TEST_POLICY: SecurityInfoPolicy = {
  codeTtlSeconds: 600,
  resendCooldownSeconds: 60,
  maxVerifyAttempts: 5,
  maxCodesPerHour: 5,
  maxCodesPerAccountPerHour: 10,
  pendingMethodTtlHours: 24,
};

/** The step-up rule the specs decide under (MAX_AUTH_AGE_SECONDS's default, no STEP_UP_ACR). */
export const TEST_STEP_UP: StepUpRule = { maxAuthAgeSeconds: 600, acrValues: [] };

/** A person who signed in `ageSeconds` before the command (a password only, unless `amr` says more). */
export function signedIn(
  ageSeconds: number,
  more: Partial<AuthenticationContext> = {},
): AuthenticationContext {
  return {
    authTime: Math.floor(T0.getTime() / 1000) - ageSeconds,
    acr: null,
    amr: ['pwd'],
    ageSeconds,
    ...more,
  };
}

/** How the specs look at a page: at T0, under TEST_POLICY. */
export const TEST_VIEW: PageView = { now: T0, policy: TEST_POLICY };

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

/** The command for a request, as the shell would make it at `now` under `policy`, with ids from `firstId`. */
export function commandFor(
  request: SecurityInfoRequest,
  overrides: Partial<SecurityInfoCommandMetadata> = {},
  firstId = 1,
): SecurityInfoCommand {
  let next = firstId;
  return securityInfoCommand(request, {
    now: T0,
    policy: TEST_POLICY,
    codes,
    // Commands are made by a person who has just signed in, unless a spec says otherwise.
    authentication: signedIn(0),
    stepUp: TEST_STEP_UP,
    newId: () => `id-${next++}`,
    ...overrides,
  });
}

const specification = DeciderSpecification.for(securityInfoDecider);

export function given(history: readonly SecurityInfoEvent[]) {
  return {
    when(request: SecurityInfoRequest, overrides: Partial<SecurityInfoCommandMetadata> = {}) {
      const when = specification(history).when(commandFor(request, overrides, nextIdAfter(history)));
      const refused = (code: RefusalCode, details?: SecurityInfoRefusal['details']) =>
        when.thenThrows(SecurityInfoRefusal, (refusal) => {
          expect(refusal.code).toBe(code);
          if (details) expect(refusal.details).toEqual(details);
        });
      return {
        /** Asserts the recorded events, and that they fold onto the state; returns the longer history. */
        then: (expected: SecurityInfoEvent[]): SecurityInfoEvent[] => when.then(expected),
        /** Asserts a refusal with this code (and these details, when given) that records nothing. */
        thenRefused(code: RefusalCode, details?: SecurityInfoRefusal['details']): SecurityInfoRefusal {
          const { error } = refused(code, details);
          expect(error.recordedEvents).toEqual([]);
          return error;
        },
        /** Asserts a refusal that records `events` (a wrong code); returns the history with them. */
        thenRefusedRecording(
          code: RefusalCode,
          details: SecurityInfoRefusal['details'],
          events: SecurityInfoEvent[],
        ): SecurityInfoEvent[] {
          const { error, history: longer } = refused(code, details);
          expect(error.recordedEvents).toEqual(events);
          return longer;
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
