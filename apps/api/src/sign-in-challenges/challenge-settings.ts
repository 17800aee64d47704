import type { SignInChallengePolicy, VerificationCodes } from '@signet/domain';

/** The configured rules for challenges and the code deriver, as the challenge decider needs them. */
export interface ChallengeSettings {
  policy: SignInChallengePolicy;
  codes: VerificationCodes;
}

export const CHALLENGE_SETTINGS = Symbol('ChallengeSettings');
