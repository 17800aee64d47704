import type { SecurityInfoEvent } from '../security-info/events';
import type { DeliveryMethod } from '../security-info/phone-method';
import {
  evolve as evolveSecurityInfo,
  initialState as noSecurityInfo,
  RECENT_CODE_TIMES_KEPT,
  type SecurityInfo,
} from '../security-info/security-info';
import type { ChallengePurpose } from './events';

/** One code of a challenge; the last one is the only live one. */
export interface ChallengeCode {
  codeId: string;
  methodId: string;
  channel: DeliveryMethod;
  sentAt: string;
  expiresAt: string;
  failedAttempts: number;
}

export interface SignInChallenge {
  challengeId: string;
  purpose: ChallengePurpose;
  requestedBy: string;
  startedAt: string;
  codes: ChallengeCode[];
  /** When it succeeded; null while open. A challenge succeeds at most once. */
  succeededAt: string | null;
}

/**
 * What challenges are decided on: the person's Security info (their verified methods and default, folded
 * from the Security info stream), their challenges, and the recent challenge codes and failures (for the
 * cooldown, the hourly limits and the failure limit). Folded from both streams in log order.
 */
export interface SignInChallenges {
  securityInfo: SecurityInfo;
  challenges: Readonly<Record<string, SignInChallenge>>;
  /** Challenge codes sent recently, newest last (the per-method cooldown and the hourly limits). */
  recentCodes: ReadonlyArray<{ methodId: string; sentAt: string }>;
  /** When wrong challenge codes were entered, newest last (the per-person failure limit). */
  recentFailures: readonly string[];
}

export const initialSignInChallenges: SignInChallenges = {
  securityInfo: noSecurityInfo,
  challenges: {},
  recentCodes: [],
  recentFailures: [],
};

/** How many failures the state keeps: enough for any failure limit the configuration allows. */
export const RECENT_FAILURES_KEPT = 100;

/** Pure: challenge events change the challenges; every other event the Security info they rely on. */
export function evolveSignInChallenges(state: SignInChallenges, event: SecurityInfoEvent): SignInChallenges {
  switch (event.type) {
    case 'SignInChallengeStarted': {
      const { challengeId, purpose, requestedBy, startedAt } = event.data;
      const challenge: SignInChallenge = {
        challengeId,
        purpose,
        requestedBy,
        startedAt,
        codes: [],
        succeededAt: null,
      };
      return { ...state, challenges: { ...state.challenges, [challengeId]: challenge } };
    }
    case 'SignInChallengeCodeSent': {
      const { challengeId, codeId, methodId, channel, sentAt, expiresAt } = event.data;
      const recentCodes = [...state.recentCodes, { methodId, sentAt }].slice(-RECENT_CODE_TIMES_KEPT);
      const challenge = state.challenges[challengeId];
      if (!challenge) return { ...state, recentCodes };
      const code: ChallengeCode = { codeId, methodId, channel, sentAt, expiresAt, failedAttempts: 0 };
      return {
        ...state,
        recentCodes,
        challenges: {
          ...state.challenges,
          [challengeId]: { ...challenge, codes: [...challenge.codes, code] },
        },
      };
    }
    case 'SignInChallengeFailed': {
      const { challengeId, codeId, failedAt } = event.data;
      const recentFailures = [...state.recentFailures, failedAt].slice(-RECENT_FAILURES_KEPT);
      const challenge = state.challenges[challengeId];
      if (!challenge) return { ...state, recentFailures };
      const codes = challenge.codes.map((c) =>
        c.codeId === codeId ? { ...c, failedAttempts: c.failedAttempts + 1 } : c,
      );
      return {
        ...state,
        recentFailures,
        challenges: { ...state.challenges, [challengeId]: { ...challenge, codes } },
      };
    }
    case 'SignInChallengeSucceeded': {
      const { challengeId, verifiedAt } = event.data;
      const challenge = state.challenges[challengeId];
      const securityInfo = evolveSecurityInfo(state.securityInfo, event);
      if (!challenge) return { ...state, securityInfo };
      return {
        ...state,
        securityInfo,
        challenges: { ...state.challenges, [challengeId]: { ...challenge, succeededAt: verifiedAt } },
      };
    }
    default:
      return { ...state, securityInfo: evolveSecurityInfo(state.securityInfo, event) };
  }
}

/** The challenge a code was sent for, with that code; null for a code of no challenge. */
export function challengeOfCode(
  state: Pick<SignInChallenges, 'challenges'>,
  codeId: string,
): { challenge: SignInChallenge; code: ChallengeCode } | null {
  for (const challenge of Object.values(state.challenges)) {
    const code = challenge.codes.find((c) => c.codeId === codeId);
    if (code) return { challenge, code };
  }
  return null;
}
