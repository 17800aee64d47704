import type { DeliveryMethod } from '../security-info/phone-method';

/**
 * Why a trusted service challenges a person with their registered phone: a sign-in's second step, or a
 * password reset. The message text names it ("Your Signet sign-in code is …").
 */
export const CHALLENGE_PURPOSES = ['signIn', 'passwordReset'] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

/**
 * The facts recorded on a user's sign-in challenge stream (`signInChallenge-<userId>`), never on the Security
 * info stream: a challenge must not move the page's revision. Like every event, they carry code ids, never
 * codes.
 */
export interface SignInChallengeStarted {
  type: 'SignInChallengeStarted';
  data: {
    challengeId: string;
    purpose: ChallengePurpose;
    /** The method and channel the first code goes to (a resend may switch: see SignInChallengeCodeSent). */
    methodId: string;
    channel: DeliveryMethod;
    /** The requesting service: the subject of its token (the event's actor says the same). */
    requestedBy: string;
    startedAt: string;
  };
}

export interface SignInChallengeCodeSent {
  type: 'SignInChallengeCodeSent';
  data: {
    challengeId: string;
    purpose: ChallengePurpose;
    methodId: string;
    codeId: string;
    channel: DeliveryMethod;
    /** Masked: "+1 XXXXXXXX00". */
    destination: string;
    sentAt: string;
    expiresAt: string;
  };
}

/** A wrong code was entered for a challenge: it counts against the code's attempts and the person's failures. */
export interface SignInChallengeFailed {
  type: 'SignInChallengeFailed';
  data: {
    challengeId: string;
    purpose: ChallengePurpose;
    methodId: string;
    codeId: string;
    channel: DeliveryMethod;
    /** 0 means the code is now locked. */
    attemptsRemaining: number;
    failedAt: string;
  };
}

/** The right code: the challenge is done, and never succeeds again. */
export interface SignInChallengeSucceeded {
  type: 'SignInChallengeSucceeded';
  data: {
    challengeId: string;
    purpose: ChallengePurpose;
    methodId: string;
    codeId: string;
    channel: DeliveryMethod;
    verifiedAt: string;
  };
}

export type SignInChallengeEvent =
  SignInChallengeStarted | SignInChallengeCodeSent | SignInChallengeFailed | SignInChallengeSucceeded;

export const SIGN_IN_CHALLENGE_EVENT_TYPES: readonly SignInChallengeEvent['type'][] = [
  'SignInChallengeStarted',
  'SignInChallengeCodeSent',
  'SignInChallengeFailed',
  'SignInChallengeSucceeded',
];
