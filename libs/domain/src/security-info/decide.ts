import type {
  AddPhoneMethod,
  ChangeDefault,
  DeleteMethod,
  ResendCode,
  SecurityInfoCommand,
  SecurityInfoCommandMetadata,
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

const HOUR_MS = 3_600_000;

/** Pure: the events a command records, or a SecurityInfoRefusal thrown when the rules refuse it. */
export function decide(command: SecurityInfoCommand, state: SecurityInfo): SecurityInfoEvent[] {
  switch (command.type) {
    case 'AddPhoneMethod':
      return addPhoneMethod(command, state);
    case 'ResendCode':
      return resendCode(command, state);
    case 'VerifyPhone':
      return verifyPhone(command, state);
    case 'DeleteMethod':
      return deleteMethod(command, state);
    case 'ChangeDefault':
      return changeDefault(command, state);
  }
}

function addPhoneMethod(
  { data: command, metadata: ctx }: AddPhoneMethod,
  state: SecurityInfo,
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
  requireCooldownOfDeletedMethodsCode(state, ctx);
  const taken = state.methods.find((m) => m.phoneType === command.phoneType);
  if (taken) {
    throw new SecurityInfoRefusal(
      'phone-type-taken',
      `This account already has a ${command.phoneType} phone (${taken.methodId}); delete it before adding another.`,
    );
  }
  const { methodId, codeId } = command;
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
    codeSent(methodId, codeId, number.e164, command.deliveryMethod, ctx),
  ];
}

function resendCode({ data: command, metadata: ctx }: ResendCode, state: SecurityInfo): SecurityInfoEvent[] {
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
  return [codeSent(method.methodId, command.codeId, method.phoneNumber, channel, ctx)];
}

function verifyPhone(
  { data: command, metadata: ctx }: VerifyPhone,
  state: SecurityInfo,
): SecurityInfoEvent[] {
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
  if (!ctx.codes.matches(code.codeId, command.code)) {
    const attemptsRemaining = ctx.policy.maxVerifyAttempts - code.failedAttempts - 1;
    throw new SecurityInfoRefusal(
      'code-incorrect',
      attemptsRemaining > 0
        ? `That code is not right; ${attemptsRemaining} attempt${attemptsRemaining === 1 ? '' : 's'} left.`
        : 'That code is not right, and it is now locked; ask for a new code.',
      { attemptsRemaining },
      [
        {
          type: 'VerificationFailed',
          data: { methodId: method.methodId, codeId: code.codeId, attemptsRemaining },
        },
      ],
    );
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

function deleteMethod({ data: command }: DeleteMethod, state: SecurityInfo): SecurityInfoEvent[] {
  const method = requireMethod(state, command.methodId);
  const deleted: SecurityInfoEvent = {
    type: 'MethodDeleted',
    data: { methodId: method.methodId, phoneType: method.phoneType },
  };
  if (state.defaultMethod?.methodId !== method.methodId) return [deleted];
  const remaining = state.methods.filter((m) => m.methodId !== method.methodId);
  return [deleted, defaultChanged(state, nextDefault(remaining), 'defaultMethodDeleted')];
}

function changeDefault({ data: command }: ChangeDefault, state: SecurityInfo): SecurityInfoEvent[] {
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
  ctx: SecurityInfoCommandMetadata,
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

/**
 * Adding a phone observes the resend cooldown of the account's last code when that code's method has since
 * been deleted, so add-and-delete loops cannot mint codes faster than resends (adding a second phone type
 * beside a live one is not held up: that one's own resends are limited per method).
 */
function requireCooldownOfDeletedMethodsCode(state: SecurityInfo, ctx: SecurityInfoCommandMetadata): void {
  const lastCodeAt = state.recentCodeTimes.at(-1);
  if (!lastCodeAt || state.methods.some((m) => mayHaveReceived(m, lastCodeAt))) return;
  const allowedAt = Date.parse(lastCodeAt) + ctx.policy.resendCooldownSeconds * 1000;
  if (ctx.now.getTime() < allowedAt) {
    throw new SecurityInfoRefusal(
      'resend-cooldown',
      'A code was sent moments ago; wait before adding a phone.',
      {
        retryAt: new Date(allowedAt).toISOString(),
      },
    );
  }
}

/** Whether a live method may be the one a code sent at `sentAt` went to (a verified one drops its codes). */
function mayHaveReceived(method: PhoneMethod, sentAt: string): boolean {
  if (method.status === 'pendingVerification') return method.codes.at(-1)?.sentAt === sentAt;
  const at = Date.parse(sentAt);
  return Date.parse(method.addedAt) <= at && at <= Date.parse(method.verifiedAt ?? method.addedAt);
}

function requireAccountBelowCodeLimit(state: SecurityInfo, ctx: SecurityInfoCommandMetadata): void {
  requireBelowHourlyLimit(
    state.recentCodeTimes,
    ctx,
    ctx.policy.maxCodesPerAccountPerHour,
    `At most ${ctx.policy.maxCodesPerAccountPerHour} codes per hour can be sent for one account.`,
  );
}

function codeSent(
  methodId: string,
  codeId: string,
  phoneNumber: string,
  channel: DeliveryMethod,
  ctx: SecurityInfoCommandMetadata,
): CodeSent {
  return {
    type: 'CodeSent',
    data: {
      methodId,
      codeId,
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
