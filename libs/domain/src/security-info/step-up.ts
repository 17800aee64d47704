import type { ErasePersonalData, SecurityInfoCommand } from './commands';
import { SecurityInfoRefusal } from './refusal';
import type { SecurityInfo } from './security-info';

/**
 * How strongly the person behind a command signed in, from their token (OpenID Connect's `auth_time`, `acr`,
 * `amr`): recorded beside the events it caused, and weighed by the step-up rule (RFC 9470).
 */
export interface AuthenticationContext {
  /** The token's `auth_time` (Unix seconds); null when it carries none. */
  authTime: number | null;
  acr: string | null;
  amr: readonly string[];
  /**
   * Seconds between `auth_time` and the command, measured by the clock that checks the token's `exp` (the
   * token's times are the identity provider's, never the decision clock's); null without `auth_time`.
   */
  ageSeconds: number | null;
}

/** What a command changing an account that has a verified method asks of the sign-in behind it. */
export interface StepUpRule {
  /** MAX_AUTH_AGE_SECONDS: the sign-in must be at most this old. */
  maxAuthAgeSeconds: number;
  /** STEP_UP_ACR: when not empty, the token's `acr` must be one of these, or its `amr` a second factor. */
  acrValues: readonly string[];
}

/** `amr` values (RFC 8176) that show a second factor: any one satisfies STEP_UP_ACR in place of an `acr`. */
export const SECOND_FACTOR_AMR = ['mfa', 'otp', 'sms', 'hwk', 'swk', 'fido'] as const;

/**
 * Commands that only narrow what was already asked (cancelling a number change) need no step-up: they can
 * never hand an account to someone else.
 */
const NEEDS_NO_STEP_UP: ReadonlySet<SecurityInfoCommand['type']> = new Set(['CancelPhoneNumberChange']);

/**
 * Once an account has a verified method, a change to it needs a recent (and, with STEP_UP_ACR, strong)
 * sign-in: anyone holding a stale token must not add their own phone and make it the default. An account
 * with no verified method needs only a valid token, so that a person can bootstrap their first method. An
 * administrator acting for the person needs a recent sign-in of their own for every change.
 */
export function requireRecentSignIn(
  command: Exclude<SecurityInfoCommand, ErasePersonalData>,
  state: SecurityInfo,
): void {
  // An administrator's own sign-in always needs step-up: the bootstrap is the person's, never theirs.
  if (!command.metadata.administrator) {
    if (NEEDS_NO_STEP_UP.has(command.type)) return;
    if (!state.methods.some((m) => m.status === 'verified')) return;
  }
  const { authentication, stepUp } = command.metadata;
  const why = whyNotStrongEnough(authentication, stepUp);
  if (why) {
    throw new SecurityInfoRefusal('step-up-required', why, {
      stepUp: { maxAgeSeconds: stepUp.maxAuthAgeSeconds, acrValues: [...stepUp.acrValues] },
    });
  }
}

/** Null when the sign-in satisfies the rule; otherwise what is missing, in words. */
export function whyNotStrongEnough(
  authentication: AuthenticationContext | null | undefined,
  rule: StepUpRule,
): string | null {
  if (authentication?.ageSeconds == null) {
    return 'Sign in again to change your security info: the token does not say when you signed in (auth_time).';
  }
  if (authentication.ageSeconds > rule.maxAuthAgeSeconds) {
    return `Sign in again to change your security info: you signed in more than ${rule.maxAuthAgeSeconds} seconds ago.`;
  }
  if (rule.acrValues.length === 0) return null;
  const strongAcr = authentication.acr !== null && rule.acrValues.includes(authentication.acr);
  const secondFactor = authentication.amr.some((m) => (SECOND_FACTOR_AMR as readonly string[]).includes(m));
  if (strongAcr || secondFactor) return null;
  return 'Sign in again with a second factor to change your security info.';
}
