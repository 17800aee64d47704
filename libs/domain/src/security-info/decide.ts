import type {
  AddPhoneMethod,
  ChangeDefault,
  DeleteMethod,
  ResendCode,
  SecurityInfoCommand,
  VerifyPhone,
} from './commands';
import type { CodeSent, DefaultChanged, SecurityInfoEvent } from './events';
import {
  allowsDelivery,
  DEFAULT_FALLBACK_ORDER,
  type DefaultSignInMethod,
  type DeliveryMethod,
  type PhoneType,
} from './phone-method';
import { maskPhoneNumber, normalisePhoneNumber } from './phone-number';
import { SecurityInfoRefusal } from './refusal';
import { findMethod, type PhoneMethod, type SecurityInfo } from './security-info';

export interface SecurityInfoPolicy {
  /** How long a code stays usable. */
  codeTtlSeconds: number;
  /** Minimum wait between two codes for one method. */
  resendCooldownSeconds: number;
  /** Wrong entries of one code before it locks. */
  maxVerifyAttempts: number;
  /** Codes one method may get in any rolling hour (the first one included). */
  maxCodesPerHour: number;
  /** Codes one account may get in any rolling hour, over all its methods, deleted ones included. */
  maxCodesPerAccountPerHour: number;
}

export const DEFAULT_POLICY: SecurityInfoPolicy = {
  codeTtlSeconds: 600,
  resendCooldownSeconds: 60,
  maxVerifyAttempts: 5,
  maxCodesPerHour: 5,
  maxCodesPerAccountPerHour: 10,
};

/** Everything a decision needs from outside, passed in so that `decide` stays pure and replayable. */
export interface DecisionContext {
  now: Date;
  /** Fresh ids for methods and codes. */
  newId(): string;
  /** Checks a code a person typed against the code derived for `codeId`. */
  codeMatches(codeId: string, code: string): boolean;
  policy: SecurityInfoPolicy;
}

const HOUR_MS = 3_600_000;

/** Pure: the events a command records, or a SecurityInfoRefusal thrown when the rules refuse it. */
export function decide(
  command: SecurityInfoCommand,
  state: SecurityInfo,
  ctx: DecisionContext,
): SecurityInfoEvent[] {
  switch (command.type) {
    case 'AddPhoneMethod':
      return addPhoneMethod(command, state, ctx);
    case 'ResendCode':
      return resendCode(command, state, ctx);
    case 'VerifyPhone':
      return verifyPhone(command, state, ctx);
    case 'DeleteMethod':
      return deleteMethod(command, state);
    case 'ChangeDefault':
      return changeDefault(command, state);
  }
}

function addPhoneMethod(
  command: AddPhoneMethod,
  state: SecurityInfo,
  ctx: DecisionContext,
): SecurityInfoEvent[] {
  requireDeliveryAllowed(command.phoneType, command.deliveryMethod);
  const number = normalisePhoneNumber(command.phoneNumber, command.countryCode);
  if (!number) {
    throw new SecurityInfoRefusal(
      'invalid-phone-number',
      command.countryCode
        ? `"${command.phoneNumber}" is not a valid phone number in ${command.countryCode.toUpperCase()}.`
        : `"${command.phoneNumber}" is not a valid phone number; write it with its country code (+1 425 555 0100) or give countryCode.`,
      { field: 'phoneNumber' },
    );
  }
  if (command.extension && number.extension && command.extension !== number.extension) {
    throw new SecurityInfoRefusal(
      'invalid-phone-number',
      'The number carries an extension that differs from the extension field.',
      { field: 'extension' },
    );
  }
  const extension = command.extension || number.extension;
  if (extension && command.phoneType !== 'office') {
    throw new SecurityInfoRefusal('extension-not-allowed', 'Only an office phone can have an extension.', {
      field: 'extension',
    });
  }
  requireAccountBelowCodeLimit(state, ctx);
  const taken = state.methods.find((m) => m.phoneType === command.phoneType);
  if (taken) {
    throw new SecurityInfoRefusal(
      'phone-type-taken',
      `This account already has a ${command.phoneType} phone (${taken.methodId}); delete it before adding another.`,
    );
  }
  const methodId = ctx.newId();
  return [
    {
      type: 'PhoneMethodAdded',
      data: {
        methodId,
        phoneType: command.phoneType,
        phoneNumber: number.e164,
        extension: extension ?? null,
        deliveryMethod: command.deliveryMethod,
        addedAt: ctx.now.toISOString(),
      },
    },
    codeSent(methodId, number.e164, command.deliveryMethod, ctx),
  ];
}

function resendCode(command: ResendCode, state: SecurityInfo, ctx: DecisionContext): SecurityInfoEvent[] {
  const method = requirePending(state, command.methodId);
  const channel = command.deliveryMethod ?? method.deliveryMethod;
  requireDeliveryAllowed(method.phoneType, channel);

  const now = ctx.now.getTime();
  const last = method.codes[method.codes.length - 1];
  if (last) {
    const allowedAt = Date.parse(last.sentAt) + ctx.policy.resendCooldownSeconds * 1000;
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
  requireBelowHourlyLimit(
    method.codes.map((c) => c.sentAt),
    ctx,
    ctx.policy.maxCodesPerHour,
    `At most ${ctx.policy.maxCodesPerHour} codes per hour can be sent to one phone.`,
  );
  requireAccountBelowCodeLimit(state, ctx);
  return [codeSent(method.methodId, method.phoneNumber, channel, ctx)];
}

function verifyPhone(command: VerifyPhone, state: SecurityInfo, ctx: DecisionContext): SecurityInfoEvent[] {
  const method = requirePending(state, command.methodId);
  // Every code but the latest died when the latest was sent.
  const code = method.codes[method.codes.length - 1];
  if (!code || code.failedAttempts >= ctx.policy.maxVerifyAttempts) {
    throw new SecurityInfoRefusal(
      'code-locked',
      'This code was entered wrongly too many times and no longer works; ask for a new code.',
    );
  }
  if (ctx.now.getTime() >= Date.parse(code.expiresAt)) {
    throw new SecurityInfoRefusal('code-expired', 'This code has expired; ask for a new code.');
  }
  if (!ctx.codeMatches(code.codeId, command.code)) {
    return [
      {
        type: 'VerificationFailed',
        data: {
          methodId: method.methodId,
          codeId: code.codeId,
          attemptsRemaining: ctx.policy.maxVerifyAttempts - code.failedAttempts - 1,
        },
      },
    ];
  }
  const verified: SecurityInfoEvent = {
    type: 'PhoneVerified',
    data: {
      methodId: method.methodId,
      codeId: code.codeId,
      deliveryMethod: code.channel,
      verifiedAt: ctx.now.toISOString(),
    },
  };
  if (state.defaultMethod) return [verified];
  return [
    verified,
    defaultChanged(state, { methodId: method.methodId, deliveryMethod: code.channel }, 'firstVerifiedMethod'),
  ];
}

function deleteMethod(command: DeleteMethod, state: SecurityInfo): SecurityInfoEvent[] {
  const method = requireMethod(state, command.methodId);
  const deleted: SecurityInfoEvent = {
    type: 'MethodDeleted',
    data: { methodId: method.methodId, phoneType: method.phoneType },
  };
  if (state.defaultMethod?.methodId !== method.methodId) return [deleted];
  const remaining = state.methods.filter((m) => m.methodId !== method.methodId);
  return [deleted, defaultChanged(state, nextDefault(remaining), 'defaultMethodDeleted')];
}

function changeDefault(command: ChangeDefault, state: SecurityInfo): SecurityInfoEvent[] {
  const method = requireMethod(state, command.methodId);
  if (method.status !== 'verified') {
    throw new SecurityInfoRefusal(
      'method-not-verified',
      'Only a verified method can be the default; verify it with its code first.',
    );
  }
  requireDeliveryAllowed(method.phoneType, command.deliveryMethod);
  const current = state.defaultMethod;
  if (current?.methodId === method.methodId && current.deliveryMethod === command.deliveryMethod) return [];
  return [
    defaultChanged(state, { methodId: method.methodId, deliveryMethod: command.deliveryMethod }, 'user'),
  ];
}

/**
 * The first verified method in DEFAULT_FALLBACK_ORDER, matched on its type and on the channel that proved it
 * (a mobile proved by a call falls back as mobile-voice, not as texts it never showed it receives), or null.
 */
export function nextDefault(methods: readonly PhoneMethod[]): DefaultSignInMethod | null {
  for (const choice of DEFAULT_FALLBACK_ORDER) {
    const method = methods.find(
      (m) =>
        m.status === 'verified' &&
        m.phoneType === choice.phoneType &&
        m.deliveryMethod === choice.deliveryMethod,
    );
    if (method) return { methodId: method.methodId, deliveryMethod: choice.deliveryMethod };
  }
  return null;
}

/** Refuses a code when `sentTimes` already holds `limit` sends in the rolling hour before now. */
function requireBelowHourlyLimit(
  sentTimes: readonly string[],
  ctx: DecisionContext,
  limit: number,
  message: string,
): void {
  const now = ctx.now.getTime();
  const lastHour = sentTimes.filter((sentAt) => now - Date.parse(sentAt) < HOUR_MS);
  if (lastHour.length >= limit) {
    throw new SecurityInfoRefusal('code-limit-reached', message, {
      retryAt: new Date(Date.parse(lastHour[lastHour.length - limit]) + HOUR_MS).toISOString(),
    });
  }
}

function requireAccountBelowCodeLimit(state: SecurityInfo, ctx: DecisionContext): void {
  requireBelowHourlyLimit(
    state.recentCodeTimes,
    ctx,
    ctx.policy.maxCodesPerAccountPerHour,
    `At most ${ctx.policy.maxCodesPerAccountPerHour} codes per hour can be sent for one account.`,
  );
}

function codeSent(
  methodId: string,
  phoneNumber: string,
  channel: DeliveryMethod,
  ctx: DecisionContext,
): CodeSent {
  return {
    type: 'CodeSent',
    data: {
      methodId,
      codeId: ctx.newId(),
      channel,
      destination: maskPhoneNumber(phoneNumber),
      sentAt: ctx.now.toISOString(),
      expiresAt: new Date(ctx.now.getTime() + ctx.policy.codeTtlSeconds * 1000).toISOString(),
    },
  };
}

function defaultChanged(
  state: SecurityInfo,
  current: DefaultSignInMethod | null,
  reason: DefaultChanged['data']['reason'],
): DefaultChanged {
  return { type: 'DefaultChanged', data: { current, previous: state.defaultMethod, reason } };
}

function requireMethod(state: SecurityInfo, methodId: string): PhoneMethod {
  const method = findMethod(state, methodId);
  if (!method) throw new SecurityInfoRefusal('method-not-found', `No method ${methodId} on this account.`);
  return method;
}

function requirePending(state: SecurityInfo, methodId: string): PhoneMethod {
  const method = requireMethod(state, methodId);
  if (method.status === 'verified') {
    throw new SecurityInfoRefusal('method-already-verified', 'This phone is already verified.');
  }
  return method;
}

function requireDeliveryAllowed(phoneType: PhoneType, deliveryMethod: DeliveryMethod): void {
  if (!allowsDelivery(phoneType, deliveryMethod)) {
    throw new SecurityInfoRefusal(
      'delivery-method-not-allowed',
      `A ${phoneType} phone cannot receive codes by ${deliveryMethod}; text messages go to the mobile phone only.`,
      { field: 'deliveryMethod' },
    );
  }
}
