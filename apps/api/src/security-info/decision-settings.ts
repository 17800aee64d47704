import type { SecurityInfoPolicy, StepUpRule, VerificationCodes } from '@signet/domain';

/** The configured rules (TTL, cooldown, attempts, step-up) and the code deriver, as the decider needs them. */
export interface DecisionSettings {
  policy: SecurityInfoPolicy;
  codes: VerificationCodes;
  stepUp: StepUpRule;
}

export const DECISION_SETTINGS = Symbol('DecisionSettings');
