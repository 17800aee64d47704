import type { DeliveryMethod } from '../security-info/phone-method';
import type { CodeCheck, SecurityInfoPolicy } from '../security-info/policy';
import type { ChallengePurpose } from './events';
import type { MethodsPolicy } from '../methods-policy/methods-policy';

/**
 * The rules for challenges: the registration codes' rules (TTL, cooldown, attempts, hourly limits), the
 * per-person limit of failed challenges, and the seam for the authentication methods policy (issue 12).
 */
export interface SignInChallengePolicy extends SecurityInfoPolicy {
  /** Wrong codes a person may enter for challenges in any rolling hour; then challenges are refused (429). */
  maxFailedChallengesPerHour: number;
  /**
   * The authentication methods policy in force: a challenge uses only the channels (and phones, and countries)
   * it allows; absent: every channel the phone's type and line allow. A method with none left is not used.
   */
  methodsPolicy?: MethodsPolicy;
}

/** What a trusted service (role `signInService`) asks, as it arrives from the shell: no time, no ids. */
export type SignInChallengeRequest =
  | {
      type: 'StartSignInChallenge';
      purpose: ChallengePurpose;
      /** A verified method; the default sign-in method when not given. */
      methodId?: string;
      deliveryMethod?: DeliveryMethod;
    }
  | {
      /** Another code for the challenge: on another channel, or to another verified method ("use my alternate"). */
      type: 'ResendSignInChallenge';
      challengeId: string;
      methodId?: string;
      deliveryMethod?: DeliveryMethod;
    }
  | { type: 'VerifySignInChallenge'; challengeId: string; code: string };

export interface SignInChallengeCommandMetadata {
  now: Date;
  policy: SignInChallengePolicy;
  codes: CodeCheck;
  /** The requesting service (its token's subject). */
  requestedBy: string;
}

interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
  metadata: SignInChallengeCommandMetadata;
}

type RequestOf<T extends SignInChallengeRequest['type']> = Omit<
  Extract<SignInChallengeRequest, { type: T }>,
  'type'
>;

export type StartSignInChallenge = Command<
  'StartSignInChallenge',
  RequestOf<'StartSignInChallenge'> & { challengeId: string; codeId: string }
>;
export type ResendSignInChallenge = Command<
  'ResendSignInChallenge',
  RequestOf<'ResendSignInChallenge'> & { codeId: string }
>;
export type VerifySignInChallenge = Command<'VerifySignInChallenge', RequestOf<'VerifySignInChallenge'>>;

export type SignInChallengeCommand = StartSignInChallenge | ResendSignInChallenge | VerifySignInChallenge;

/**
 * The command for a request. `challengeId` is the shell's to make (it names the user: see challengeIdFor), so
 * it is given, like the clock; the code's id comes from `newId`.
 */
export function signInChallengeCommand(
  request: SignInChallengeRequest,
  context: SignInChallengeCommandMetadata & { newId(): string; newChallengeId(): string },
): SignInChallengeCommand {
  const { newId, newChallengeId, ...metadata } = context;
  switch (request.type) {
    case 'StartSignInChallenge': {
      const { type, ...fields } = request;
      return { type, data: { ...fields, challengeId: newChallengeId(), codeId: newId() }, metadata };
    }
    case 'ResendSignInChallenge': {
      const { type, ...fields } = request;
      return { type, data: { ...fields, codeId: newId() }, metadata };
    }
    case 'VerifySignInChallenge': {
      const { type, ...data } = request;
      return { type, data, metadata };
    }
  }
}
