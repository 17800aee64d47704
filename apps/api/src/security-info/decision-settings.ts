import type { SecurityInfoPolicy, VerificationCodes } from '@signet/domain';

/** The configured rules (TTL, cooldown, attempts) and the code deriver, as the decider needs them. */
export interface DecisionSettings {
  policy: SecurityInfoPolicy;
  codes: VerificationCodes;
}

export const DECISION_SETTINGS = Symbol('DecisionSettings');
