import type { RecordedRefusal } from '../decider';
import type { SecurityInfoEvent } from './events';

/**
 * Why a command was refused. `kind` says what sort of refusal it is, so that a shell maps kinds (not every
 * code) to its own vocabulary: HTTP statuses, CLI exit codes.
 */
export type RefusalKind = 'invalid' | 'notFound' | 'conflict' | 'gone' | 'tooSoon' | 'stepUp' | 'forbidden';

export const REFUSALS = {
  'invalid-phone-number': 'invalid',
  'delivery-method-not-allowed': 'invalid',
  'extension-not-allowed': 'invalid',
  'method-not-found': 'notFound',
  'phone-type-taken': 'conflict',
  'method-already-verified': 'conflict',
  'method-not-verified': 'conflict',
  'code-incorrect': 'invalid',
  'code-locked': 'conflict',
  'code-expired': 'gone',
  'resend-cooldown': 'tooSoon',
  'code-limit-reached': 'tooSoon',
  'mobile-required': 'conflict',
  'number-cannot-receive-sms': 'invalid',
  'number-not-allowed': 'invalid',
  'number-unchanged': 'invalid',
  'no-pending-change': 'notFound',
  // The sign-in behind the command is too old or too weak for a change (RFC 9470): sign in again.
  'step-up-required': 'stepUp',
  // The authentication methods policy does not allow this method, channel or country (Entra's policy).
  'method-not-allowed-by-policy': 'forbidden',
  // Sign-in challenges (signInChallengeDecider): the code refusals above apply to their codes alike.
  'no-sign-in-method': 'conflict',
  'challenge-not-found': 'notFound',
  'challenge-completed': 'conflict',
  'too-many-failed-challenges': 'tooSoon',
} as const satisfies Record<string, RefusalKind>;

export type RefusalCode = keyof typeof REFUSALS;

/**
 * A command the rules refuse. Most refusals record nothing; a wrong code records VerificationFailed (the
 * attempts left count down), so its refusal carries the events to record before the refusal is answered.
 */
export class SecurityInfoRefusal extends Error implements RecordedRefusal<SecurityInfoEvent> {
  override readonly name = 'SecurityInfoRefusal';
  readonly kind: RefusalKind;

  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly details: {
      /** The input field at fault, for `invalid` refusals. */
      field?: string;
      /** When the refused command becomes possible, for `tooSoon` refusals (ISO-8601). */
      retryAt?: string;
      /** For `code-incorrect`: wrong entries left before the code locks (0: it is locked now). */
      attemptsRemaining?: number;
      /** For `step-up-required`: what a new sign-in must satisfy (RFC 9470's `max_age`, `acr_values`). */
      stepUp?: { maxAgeSeconds: number; acrValues: string[] };
    } = {},
    readonly recordedEvents: readonly SecurityInfoEvent[] = [],
  ) {
    super(message);
    this.kind = REFUSALS[code];
  }
}

/**
 * A wrong code, for a phone being proven or a sign-in challenge alike: refused with the attempts left, and
 * recorded (`failure`), since each wrong entry counts towards locking the code.
 */
export function codeIncorrect(attemptsRemaining: number, failure: SecurityInfoEvent): SecurityInfoRefusal {
  return new SecurityInfoRefusal(
    'code-incorrect',
    attemptsRemaining > 0
      ? `That code is not right; ${attemptsRemaining} attempt${attemptsRemaining === 1 ? '' : 's'} left.`
      : 'That code is not right, and it is now locked; ask for a new code.',
    { attemptsRemaining },
    [failure],
  );
}
