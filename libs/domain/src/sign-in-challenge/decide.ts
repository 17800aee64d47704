import type { Decider } from '../decider';
import { channelsAllowedByPolicy, DEFAULT_METHODS_POLICY } from '../methods-policy/methods-policy';
import type { SecurityInfoEvent } from '../security-info/events';
import {
  deliveryMethodsFor,
  DEFAULT_FALLBACK_ORDER,
  type DeliveryMethod,
} from '../security-info/phone-method';
import { maskPhoneNumber } from '../security-info/phone-number';
import { codeIncorrect, SecurityInfoRefusal } from '../security-info/refusal';
import { findMethod, type PhoneMethod } from '../security-info/security-info';
import type {
  ResendSignInChallenge,
  SignInChallengeCommand,
  SignInChallengeCommandMetadata,
  SignInChallengePolicy,
  StartSignInChallenge,
  VerifySignInChallenge,
} from './commands';
import type { SignInChallengeCodeSent } from './events';
import {
  evolveSignInChallenges,
  initialSignInChallenges,
  type SignInChallenge,
  type SignInChallenges,
} from './sign-in-challenge';

const HOUR_MS = 3_600_000;

/**
 * Pure: the events a challenge command records (on the challenge stream), or a SecurityInfoRefusal. A code
 * goes only to a verified method, by a channel its type and line allow and the policy allows; the
 * registration codes' rules hold for challenge codes alike (TTL, resend cooldown per method, attempts, codes
 * per method and per account per hour, registration codes counted too), and a person with too many wrong
 * challenge codes in the last hour gets no challenge at all until the oldest of them is an hour old.
 */
export function decideSignInChallenge(
  command: SignInChallengeCommand,
  state: SignInChallenges,
): SecurityInfoEvent[] {
  switch (command.type) {
    case 'StartSignInChallenge':
      return start(command, state);
    case 'ResendSignInChallenge':
      return resend(command, state);
    case 'VerifySignInChallenge':
      return verify(command, state);
  }
}

export const signInChallengeDecider: Decider<SignInChallenges, SignInChallengeCommand, SecurityInfoEvent> = {
  decide: decideSignInChallenge,
  evolve: evolveSignInChallenges,
  initialState: () => initialSignInChallenges,
};

/**
 * The channels a challenge may use for a method: those its type and line allow (texts to a mobile that can
 * take them, calls to any), narrowed by the authentication methods policy.
 */
export function challengeChannelsFor(
  method: PhoneMethod,
  policy: Pick<SignInChallengePolicy, 'methodsPolicy'>,
): DeliveryMethod[] {
  return channelsAllowedByPolicy(
    policy.methodsPolicy ?? DEFAULT_METHODS_POLICY,
    method.phoneType,
    method.phoneNumber,
    deliveryMethodsFor(method.phoneType, method.phoneNumber),
  );
}

function start({ data, metadata: ctx }: StartSignInChallenge, state: SignInChallenges): SecurityInfoEvent[] {
  requireNotLockedOut(state, ctx);
  const { method, channel } =
    data.methodId === undefined
      ? defaultChoice(state, ctx, data.deliveryMethod)
      : namedChoice(state, ctx, data.methodId, data.deliveryMethod);
  requireCodeAllowed(state, method.methodId, ctx);
  return [
    {
      type: 'SignInChallengeStarted',
      data: {
        challengeId: data.challengeId,
        purpose: data.purpose,
        methodId: method.methodId,
        channel,
        requestedBy: ctx.requestedBy,
        startedAt: ctx.now.toISOString(),
      },
    },
    codeSent(data.challengeId, data.purpose, method, channel, data.codeId, ctx),
  ];
}

function resend(
  { data, metadata: ctx }: ResendSignInChallenge,
  state: SignInChallenges,
): SecurityInfoEvent[] {
  const challenge = requireOpenChallenge(state, data.challengeId);
  requireNotLockedOut(state, ctx);
  const last = challenge.codes.at(-1)!;
  const switching = data.methodId !== undefined && data.methodId !== last.methodId;
  const { method, channel } = namedChoice(
    state,
    ctx,
    data.methodId ?? last.methodId,
    data.deliveryMethod ?? (switching ? undefined : last.channel),
  );
  requireCodeAllowed(state, method.methodId, ctx);
  return [codeSent(challenge.challengeId, challenge.purpose, method, channel, data.codeId, ctx)];
}

function verify(
  { data, metadata: ctx }: VerifySignInChallenge,
  state: SignInChallenges,
): SecurityInfoEvent[] {
  const challenge = requireOpenChallenge(state, data.challengeId);
  requireNotLockedOut(state, ctx);
  // Every code but the latest died when the latest was sent.
  const code = challenge.codes.at(-1)!;
  const method = findMethod(state.securityInfo, code.methodId);
  if (!method || method.status !== 'verified') {
    throw new SecurityInfoRefusal(
      'method-not-found',
      'The method this code was sent to is no longer a verified sign-in method; start a new challenge.',
    );
  }
  if (code.failedAttempts >= ctx.policy.maxVerifyAttempts) {
    throw new SecurityInfoRefusal(
      'code-locked',
      'This code was entered wrongly too many times and no longer works; ask for a new code.',
    );
  }
  if (ctx.now.getTime() >= Date.parse(code.expiresAt)) {
    throw new SecurityInfoRefusal('code-expired', 'This code has expired; ask for a new code.');
  }
  const base = {
    challengeId: challenge.challengeId,
    purpose: challenge.purpose,
    methodId: code.methodId,
    codeId: code.codeId,
    channel: code.channel,
  };
  if (!ctx.codes.matches(code.codeId, data.code)) {
    const attemptsRemaining = ctx.policy.maxVerifyAttempts - code.failedAttempts - 1;
    throw codeIncorrect(attemptsRemaining, {
      type: 'SignInChallengeFailed',
      data: { ...base, attemptsRemaining, failedAt: ctx.now.toISOString() },
    });
  }
  return [{ type: 'SignInChallengeSucceeded', data: { ...base, verifiedAt: ctx.now.toISOString() } }];
}

/** The default sign-in method with its channel; when the policy disallows it, the next verified method allowed. */
function defaultChoice(
  state: SignInChallenges,
  ctx: SignInChallengeCommandMetadata,
  deliveryMethod: DeliveryMethod | undefined,
): { method: PhoneMethod; channel: DeliveryMethod } {
  const info = state.securityInfo;
  const candidates: Array<{ method: PhoneMethod | undefined; channel: DeliveryMethod }> = [];
  if (info.defaultMethod) {
    const method = findMethod(info, info.defaultMethod.methodId);
    candidates.push({ method, channel: deliveryMethod ?? info.defaultMethod.deliveryMethod });
  }
  for (const choice of DEFAULT_FALLBACK_ORDER) {
    const method = info.methods.find((m) => m.status === 'verified' && m.phoneType === choice.phoneType);
    candidates.push({ method, channel: deliveryMethod ?? choice.deliveryMethod });
  }
  for (const { method, channel } of candidates) {
    if (method?.status === 'verified' && challengeChannelsFor(method, ctx.policy).includes(channel)) {
      return { method, channel };
    }
  }
  throw new SecurityInfoRefusal(
    'no-sign-in-method',
    deliveryMethod
      ? `This person has no verified sign-in method that can receive a code by ${deliveryMethod}.`
      : 'This person has no verified sign-in method to send a code to.',
  );
}

/** A verified method named by the caller, with the channel asked for (or its own, or the first allowed). */
function namedChoice(
  state: SignInChallenges,
  ctx: SignInChallengeCommandMetadata,
  methodId: string,
  deliveryMethod: DeliveryMethod | undefined,
): { method: PhoneMethod; channel: DeliveryMethod } {
  const method = findMethod(state.securityInfo, methodId);
  if (!method) throw new SecurityInfoRefusal('method-not-found', `No method ${methodId} for this person.`);
  if (method.status !== 'verified') {
    throw new SecurityInfoRefusal(
      'method-not-verified',
      'Only a verified method can be used to sign in; this one still waits for its code.',
    );
  }
  const allowed = challengeChannelsFor(method, ctx.policy);
  const preferred =
    state.securityInfo.defaultMethod?.methodId === method.methodId
      ? state.securityInfo.defaultMethod.deliveryMethod
      : method.deliveryMethod;
  const channel = deliveryMethod ?? (allowed.includes(preferred) ? preferred : allowed[0]);
  if (channel === undefined || !allowed.includes(channel)) {
    throw new SecurityInfoRefusal(
      'delivery-method-not-allowed',
      channel === undefined
        ? 'No channel this method has is allowed for sign-in.'
        : `This ${method.phoneType} phone cannot be used to sign in by ${channel}.`,
      { field: 'deliveryMethod' },
    );
  }
  return { method, channel };
}

function requireOpenChallenge(state: SignInChallenges, challengeId: string): SignInChallenge {
  const challenge = state.challenges[challengeId];
  if (!challenge) throw new SecurityInfoRefusal('challenge-not-found', 'No such challenge.');
  if (challenge.succeededAt !== null) {
    throw new SecurityInfoRefusal(
      'challenge-completed',
      'This challenge has already succeeded; a challenge succeeds once. Start a new one.',
    );
  }
  return challenge;
}

/** Too many wrong challenge codes in the last hour: no challenge until the oldest of them is an hour old. */
function requireNotLockedOut(state: SignInChallenges, ctx: SignInChallengeCommandMetadata): void {
  const limit = ctx.policy.maxFailedChallengesPerHour;
  const now = ctx.now.getTime();
  const lastHour = state.recentFailures.filter((at) => now - Date.parse(at) < HOUR_MS);
  if (lastHour.length >= limit) {
    throw new SecurityInfoRefusal(
      'too-many-failed-challenges',
      `Too many wrong codes for this person's challenges (at most ${limit} an hour); try again later.`,
      { retryAt: new Date(Date.parse(lastHour[lastHour.length - limit]) + HOUR_MS).toISOString() },
    );
  }
}

/**
 * The registration codes' rules: the resend cooldown and the hourly limit per method (over challenge codes
 * to it), and the hourly limit per account (over registration and challenge codes together).
 */
function requireCodeAllowed(
  state: SignInChallenges,
  methodId: string,
  ctx: SignInChallengeCommandMetadata,
): void {
  const now = ctx.now.getTime();
  const toMethod = state.recentCodes.filter((c) => c.methodId === methodId).map((c) => c.sentAt);
  const last = toMethod.at(-1);
  if (last) {
    const allowedAt = Date.parse(last) + ctx.policy.resendCooldownSeconds * 1000;
    if (now < allowedAt) {
      throw new SecurityInfoRefusal(
        'resend-cooldown',
        'A code was sent moments ago; wait before asking again.',
        {
          retryAt: new Date(allowedAt).toISOString(),
        },
      );
    }
  }
  belowHourlyLimit(toMethod, now, ctx.policy.maxCodesPerHour, 'one phone');
  const account = [...state.securityInfo.recentCodeTimes, ...state.recentCodes.map((c) => c.sentAt)].sort();
  belowHourlyLimit(account, now, ctx.policy.maxCodesPerAccountPerHour, 'one account');
}

function belowHourlyLimit(sentTimes: readonly string[], now: number, limit: number, what: string): void {
  const lastHour = sentTimes.filter((sentAt) => now - Date.parse(sentAt) < HOUR_MS);
  if (lastHour.length >= limit) {
    throw new SecurityInfoRefusal(
      'code-limit-reached',
      `At most ${limit} codes per hour can be sent to ${what}.`,
      {
        retryAt: new Date(Date.parse(lastHour[lastHour.length - limit]) + HOUR_MS).toISOString(),
      },
    );
  }
}

function codeSent(
  challengeId: string,
  purpose: SignInChallenge['purpose'],
  method: PhoneMethod,
  channel: DeliveryMethod,
  codeId: string,
  ctx: SignInChallengeCommandMetadata,
): SignInChallengeCodeSent {
  return {
    type: 'SignInChallengeCodeSent',
    data: {
      challengeId,
      purpose,
      methodId: method.methodId,
      codeId,
      channel,
      destination: maskPhoneNumber(method.phoneNumber),
      sentAt: ctx.now.toISOString(),
      expiresAt: new Date(ctx.now.getTime() + ctx.policy.codeTtlSeconds * 1000).toISOString(),
    },
  };
}
