import type {
  AddPhoneMethod,
  CancelPhoneNumberChange,
  ChangeDefault,
  ChangePhoneNumber,
  DeleteMethod,
  ErasePersonalData,
  RegisterPhoneMethod,
  ResendCode,
  SecurityInfoCommand,
  SecurityInfoCommandMetadata,
  VerifyPhone,
} from './commands';
import type { CodeSent, DefaultChanged, MethodDeleted, SecurityInfoEvent } from './events';
import {
  allowsDelivery,
  type DefaultSignInMethod,
  type DeliveryMethod,
  type PhoneType,
} from './phone-method';
import {
  canReceiveSms,
  maskPhoneNumber,
  normalisePhoneNumber,
  whyNumberNotAllowed,
  withPhoneNumbersParsedOnce,
  type LineType,
} from './phone-number';
import { codeIncorrect, SecurityInfoRefusal } from './refusal';
import { requireRecentSignIn } from './step-up';
import {
  DEFAULT_METHODS_POLICY,
  defaultUnderPolicy,
  nextAllowedDefault,
  whyNotAllowedByPolicy,
  type MethodsPolicy,
} from '../methods-policy/methods-policy';
import {
  evolve,
  findMethod,
  isLapsed,
  lapsesAt,
  verificationOf,
  type PhoneMethod,
  type SecurityInfo,
  type SentCode,
  type VerificationInProgress,
} from './security-info';

const HOUR_MS = 3_600_000;

/**
 * Pure: the events a command records, or a SecurityInfoRefusal thrown when the rules refuse it.
 *
 * Once the account has a verified method, a change needs a recent sign-in (`step-up-required`, see step-up.ts).
 *
 * Pending methods past the pending-method TTL have lapsed: the command is decided as if they were gone (their
 * slots are free), and when it records anything, their lapse is recorded first (MethodDeleted, reason
 * `lapsed`, at the moment each lapsed). A refusal, or a command that changes nothing, records no lapse: the
 * lapse is a rule of time, the page shows it whether or not it is recorded yet.
 */
export function decide(command: SecurityInfoCommand, state: SecurityInfo): SecurityInfoEvent[] {
  if (command.type === 'ErasePersonalData') return erasePersonalData(command);
  // Each number the decision looks at (its checks, the code's destination) is parsed once.
  return withPhoneNumbersParsedOnce(() => decideWithParsesShared(command, state));
}

function decideWithParsesShared(
  command: Exclude<SecurityInfoCommand, ErasePersonalData>,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  // First: a stale sign-in learns nothing of the account (not even whether a method exists).
  requireRecentSignIn(command, state);
  const lapses = lapsesBy(state, command.metadata);
  // A default the policy no longer allows moves as on delete; like a lapse, recorded with the next change.
  const moved = defaultMovedByPolicy(lapses.reduce(evolve, state), command.metadata);
  const before = [...lapses, ...moved];
  const current = before.reduce(evolve, state);
  const events = decideOn(command, current);
  return events.length > 0 ? [...before, ...events] : [];
}

function policyOf(ctx: SecurityInfoCommandMetadata): MethodsPolicy {
  return ctx.methodsPolicy ?? DEFAULT_METHODS_POLICY;
}

function defaultMovedByPolicy(state: SecurityInfo, ctx: SecurityInfoCommandMetadata): DefaultChanged[] {
  const allowed = defaultUnderPolicy(state, policyOf(ctx));
  const current = state.defaultMethod;
  if (current?.methodId === allowed?.methodId && current?.deliveryMethod === allowed?.deliveryMethod)
    return [];
  return [defaultChanged(state, allowed, 'policy')];
}

/** Refuses a code (or a default) by `channel` to a phone the authentication methods policy does not allow. */
function requireAllowedByPolicy(
  ctx: SecurityInfoCommandMetadata,
  phoneType: PhoneType,
  channel: DeliveryMethod,
  e164: string,
): void {
  const why = whyNotAllowedByPolicy(policyOf(ctx), phoneType, channel, e164);
  if (why) throw new SecurityInfoRefusal('method-not-allowed-by-policy', why);
}

/** Always recorded, even for an account with nothing left: the request and who made it are the record. */
function erasePersonalData(command: ErasePersonalData): SecurityInfoEvent[] {
  const { reason, by } = command.data;
  return [{ type: 'PersonalDataErased', data: { reason, by, erasedAt: command.metadata.now.toISOString() } }];
}

function decideOn(
  command: Exclude<SecurityInfoCommand, ErasePersonalData>,
  state: SecurityInfo,
): SecurityInfoEvent[] {
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
    case 'ChangePhoneNumber':
      return changePhoneNumber(command, state);
    case 'CancelPhoneNumberChange':
      return cancelPhoneNumberChange(command, state);
    case 'RegisterPhoneMethod':
      return registerPhoneMethod(command, state);
  }
}

/** MethodDeleted (reason `lapsed`) for every pending method whose TTL is past at the command's time. */
function lapsesBy(state: SecurityInfo, ctx: SecurityInfoCommandMetadata): MethodDeleted[] {
  return state.methods
    .filter((m) => isLapsed(m, ctx.now, ctx.policy))
    .map((m) => ({
      type: 'MethodDeleted',
      data: {
        methodId: m.methodId,
        phoneType: m.phoneType,
        reason: 'lapsed',
        lapsedAt: lapsesAt(m, ctx.policy)!.toISOString(),
      },
    }));
}

/** A number as a person typed it, checked as every number a code may go to is checked. */
function acceptedNumber(
  input: { phoneNumber: string; countryCode?: string; extension?: string },
  phoneType: PhoneType,
  channel: DeliveryMethod,
  ctx: SecurityInfoCommandMetadata,
): { e164: string; extension: string | null } {
  requireDeliveryAllowed(phoneType, channel);
  const number = normalisePhoneNumber(input.phoneNumber, input.countryCode);
  if (!number) {
    throw new SecurityInfoRefusal(
      'invalid-phone-number',
      input.countryCode
        ? `"${input.phoneNumber}" is not a valid phone number in ${input.countryCode.toUpperCase()}.`
        : `"${input.phoneNumber}" is not a valid phone number; write it with its country code (+1 425 555 0100) or give countryCode.`,
      { field: 'phoneNumber' },
    );
  }
  if (input.extension && number.extension && input.extension !== number.extension) {
    throw new SecurityInfoRefusal(
      'invalid-phone-number',
      'The number carries an extension that differs from the extension field.',
      { field: 'extension' },
    );
  }
  const extension = input.extension || number.extension;
  if (extension && phoneType !== 'office') {
    throw new SecurityInfoRefusal('extension-not-allowed', 'Only an office phone can have an extension.', {
      field: 'extension',
    });
  }
  const notAllowed = whyNumberNotAllowed(number.e164);
  if (notAllowed) {
    throw new SecurityInfoRefusal(
      'number-not-allowed',
      'callingCode' in notAllowed
        ? `Numbers on +${notAllowed.callingCode} (international networks and services) cannot be used to sign in.`
        : `This is a ${lineTypeName(notAllowed.lineType)} number; codes are never sent to one. Use your own phone's number.`,
      { field: 'phoneNumber' },
    );
  }
  requireSmsCapable(number.e164, channel);
  requireAllowedByPolicy(ctx, phoneType, channel, number.e164);
  return { e164: number.e164, extension: extension ?? null };
}

/** An alternate mobile phone needs a mobile phone (pending or verified) on the account first. */
function requireMobileFirst(state: SecurityInfo, phoneType: PhoneType): void {
  if (phoneType === 'alternateMobile' && !state.methods.some((m) => m.phoneType === 'mobile')) {
    throw new SecurityInfoRefusal(
      'mobile-required',
      'Add a mobile phone before an alternate mobile phone: an account always has a mobile phone first.',
    );
  }
}

/** The pending phone a new one of `phoneType` replaces, if any; refused when a verified one holds the slot. */
function slotFor(state: SecurityInfo, phoneType: PhoneType): PhoneMethod | undefined {
  const taken = state.methods.find((m) => m.phoneType === phoneType);
  if (taken?.status === 'verified') {
    throw new SecurityInfoRefusal(
      'phone-type-taken',
      `This account already has a ${phoneType} phone (${taken.methodId}); delete it before adding another.`,
    );
  }
  return taken;
}

function replacedBy(taken: PhoneMethod | undefined): MethodDeleted[] {
  return taken
    ? [
        {
          type: 'MethodDeleted',
          data: { methodId: taken.methodId, phoneType: taken.phoneType, reason: 'replaced' },
        },
      ]
    : [];
}

function phoneMethodAdded(
  methodId: string,
  request: { phoneType: PhoneType; deliveryMethod: DeliveryMethod },
  number: { e164: string; extension: string | null },
  ctx: SecurityInfoCommandMetadata,
): SecurityInfoEvent {
  return {
    type: 'PhoneMethodAdded',
    data: {
      methodId,
      phoneType: request.phoneType,
      phoneNumber: number.e164,
      extension: number.extension,
      deliveryMethod: request.deliveryMethod,
      addedAt: ctx.now.toISOString(),
    },
  };
}

function addPhoneMethod(
  { data: command, metadata: ctx }: AddPhoneMethod,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  const number = acceptedNumber(command, command.phoneType, command.deliveryMethod, ctx);
  requireMobileFirst(state, command.phoneType);
  requireAccountBelowCodeLimit(state, ctx);
  requireCooldownOfDeletedMethodsCode(state, ctx);
  const taken = slotFor(state, command.phoneType);
  // A pending phone of the type gives way to the new one; its codes die with it, but still count: the
  // cooldown and the per-phone limit run on, so replacing a phone is no way round them.
  if (taken) requireCodeAllowed(taken.codes, ctx);
  const { methodId, codeId } = command;
  return [
    ...replacedBy(taken),
    phoneMethodAdded(methodId, command, number, ctx),
    codeSent(methodId, codeId, number.e164, command.deliveryMethod, ctx),
  ];
}

/**
 * As in Graph, a phone an authentication administrator adds is registered verified, without a code (no code
 * is sent, so no code limit applies); it becomes the default when the account has none.
 */
function registerPhoneMethod(
  { data: command, metadata: ctx }: RegisterPhoneMethod,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  const administrator = ctx.administrator;
  if (!administrator) throw new Error("RegisterPhoneMethod is an authentication administrator's command");
  const number = acceptedNumber(command, command.phoneType, command.deliveryMethod, ctx);
  requireMobileFirst(state, command.phoneType);
  const taken = slotFor(state, command.phoneType);
  const { methodId, deliveryMethod } = command;
  const events: SecurityInfoEvent[] = [
    ...replacedBy(taken),
    phoneMethodAdded(methodId, command, number, ctx),
    {
      type: 'PhoneVerifiedByAdministrator',
      data: { methodId, deliveryMethod, verifiedAt: ctx.now.toISOString(), administrator },
    },
  ];
  if (state.defaultMethod) return events;
  return [...events, defaultChanged(state, { methodId, deliveryMethod }, 'firstVerifiedMethod')];
}

function resendCode({ data: command, metadata: ctx }: ResendCode, state: SecurityInfo): SecurityInfoEvent[] {
  const { method, verification } = requireVerification(state, command.methodId);
  const channel = command.deliveryMethod ?? verification.deliveryMethod;
  requireDeliveryAllowed(method.phoneType, channel);
  requireSmsCapable(verification.phoneNumber, channel);
  requireAllowedByPolicy(ctx, method.phoneType, channel, verification.phoneNumber);
  requireCodeAllowed(verification.codes, ctx);
  requireAccountBelowCodeLimit(state, ctx);
  return [codeSent(method.methodId, command.codeId, verification.phoneNumber, channel, ctx)];
}

function verifyPhone(
  { data: command, metadata: ctx }: VerifyPhone,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  const { method, verification } = requireVerification(state, command.methodId);
  // Every code but the latest died when the latest was sent.
  const code = verification.codes[verification.codes.length - 1];
  if (!code || code.failedAttempts >= ctx.policy.maxVerifyAttempts) {
    throw new SecurityInfoRefusal(
      'code-locked',
      'This code was entered wrongly too many times and no longer works; ask for a new code.',
    );
  }
  if (ctx.now.getTime() >= Date.parse(code.expiresAt)) {
    throw new SecurityInfoRefusal('code-expired', 'This code has expired; ask for a new code.');
  }
  requireAllowedByPolicy(ctx, method.phoneType, code.channel, verification.phoneNumber);
  if (!ctx.codes.matches(code.codeId, command.code)) {
    const attemptsRemaining = ctx.policy.maxVerifyAttempts - code.failedAttempts - 1;
    throw codeIncorrect(attemptsRemaining, {
      type: 'VerificationFailed',
      data: { methodId: method.methodId, codeId: code.codeId, attemptsRemaining },
    });
  }
  if (verification.kind === 'numberChange') return numberChanged(state, method, verification, code, ctx);
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

/** The new number is proven: swapped in one event (and a default by text to it becomes a call if need be). */
function numberChanged(
  state: SecurityInfo,
  method: PhoneMethod,
  change: VerificationInProgress,
  code: SentCode,
  ctx: SecurityInfoCommandMetadata,
): SecurityInfoEvent[] {
  const changed: SecurityInfoEvent = {
    type: 'PhoneNumberChanged',
    data: {
      methodId: method.methodId,
      codeId: code.codeId,
      phoneNumber: change.phoneNumber,
      extension: change.extension,
      previousPhoneNumber: method.phoneNumber,
      deliveryMethod: code.channel,
      changedAt: ctx.now.toISOString(),
    },
  };
  const current = state.defaultMethod;
  if (
    current?.methodId === method.methodId &&
    current.deliveryMethod === 'sms' &&
    !canReceiveSms(change.phoneNumber)
  ) {
    return [
      changed,
      defaultChanged(state, { methodId: method.methodId, deliveryMethod: 'voice' }, 'numberChanged'),
    ];
  }
  return [changed];
}

function changePhoneNumber(
  { data: command, metadata: ctx }: ChangePhoneNumber,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  const method = requireMethod(state, command.methodId);
  if (method.status !== 'verified') {
    throw new SecurityInfoRefusal(
      'method-not-verified',
      'This phone is not verified yet: add it again with the right number (a pending phone is replaced).',
    );
  }
  const channel = command.deliveryMethod ?? method.deliveryMethod;
  const number = acceptedNumber(command, method.phoneType, channel, ctx);
  if (number.e164 === method.phoneNumber && number.extension === method.extension) {
    throw new SecurityInfoRefusal('number-unchanged', 'This phone already has that number.', {
      field: 'phoneNumber',
    });
  }
  const previous = method.pendingChange;
  requireCodeAllowed(previous?.codes ?? [], ctx);
  requireAccountBelowCodeLimit(state, ctx);
  return [
    ...(previous
      ? [
          {
            type: 'PhoneNumberChangeCancelled',
            data: { methodId: method.methodId, reason: 'replaced' },
          } as const,
        ]
      : []),
    {
      type: 'PhoneNumberChangeStarted',
      data: {
        methodId: method.methodId,
        phoneNumber: number.e164,
        extension: number.extension,
        deliveryMethod: channel,
        startedAt: ctx.now.toISOString(),
      },
    },
    codeSent(method.methodId, command.codeId, number.e164, channel, ctx),
  ];
}

function cancelPhoneNumberChange(
  { data: command }: CancelPhoneNumberChange,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  const method = requireMethod(state, command.methodId);
  if (!method.pendingChange) {
    throw new SecurityInfoRefusal(
      'no-pending-change',
      'This phone has no number change waiting to be proven.',
    );
  }
  return [{ type: 'PhoneNumberChangeCancelled', data: { methodId: method.methodId, reason: 'user' } }];
}

function deleteMethod(
  { data: command, metadata: ctx }: DeleteMethod,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  const method = requireMethod(state, command.methodId);
  const deleted: SecurityInfoEvent = {
    type: 'MethodDeleted',
    data: {
      methodId: method.methodId,
      phoneType: method.phoneType,
      ...(ctx.administrator ? { reason: 'administrator' as const } : {}),
    },
  };
  if (state.defaultMethod?.methodId !== method.methodId) return [deleted];
  const remaining = state.methods.filter((m) => m.methodId !== method.methodId);
  return [
    deleted,
    defaultChanged(state, nextAllowedDefault(remaining, policyOf(ctx)), 'defaultMethodDeleted'),
  ];
}

function changeDefault(
  { data: command, metadata: ctx }: ChangeDefault,
  state: SecurityInfo,
): SecurityInfoEvent[] {
  const method = requireMethod(state, command.methodId);
  if (method.status !== 'verified') {
    throw new SecurityInfoRefusal(
      'method-not-verified',
      'Only a verified method can be the default; verify it with its code first.',
    );
  }
  requireDeliveryAllowed(method.phoneType, command.deliveryMethod);
  requireSmsCapable(method.phoneNumber, command.deliveryMethod);
  requireAllowedByPolicy(ctx, method.phoneType, command.deliveryMethod, method.phoneNumber);
  const current = state.defaultMethod;
  if (current?.methodId === method.methodId && current.deliveryMethod === command.deliveryMethod) return [];
  return [
    defaultChanged(
      state,
      { methodId: method.methodId, deliveryMethod: command.deliveryMethod },
      ctx.administrator ? 'administrator' : 'user',
    ),
  ];
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

/** The resend cooldown and the per-phone hourly limit, over the codes already sent for this phone. */
function requireCodeAllowed(codes: readonly SentCode[], ctx: SecurityInfoCommandMetadata): void {
  const last = codes[codes.length - 1];
  if (last) {
    const allowedAt = Date.parse(last.sentAt) + ctx.policy.resendCooldownSeconds * 1000;
    if (ctx.now.getTime() < allowedAt) {
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
    codes.map((c) => c.sentAt),
    ctx,
    ctx.policy.maxCodesPerHour,
    `At most ${ctx.policy.maxCodesPerHour} codes per hour can be sent to one phone.`,
  );
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
  if (method.pendingChange?.codes.at(-1)?.sentAt === sentAt) return true;
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

/** The method and what its codes are proving now: the pending method itself, or its pending number change. */
function requireVerification(
  state: SecurityInfo,
  methodId: string,
): { method: PhoneMethod; verification: VerificationInProgress } {
  const method = requireMethod(state, methodId);
  const verification = verificationOf(method);
  if (!verification) {
    throw new SecurityInfoRefusal('method-already-verified', 'This phone is already verified.');
  }
  return { method, verification };
}

function requireSmsCapable(e164: string, channel: DeliveryMethod): void {
  if (channel === 'sms' && !canReceiveSms(e164)) {
    throw new SecurityInfoRefusal(
      'number-cannot-receive-sms',
      'This number cannot receive text messages (it is a landline or a service number); choose "Call me" (voice).',
      { field: 'deliveryMethod' },
    );
  }
}

const LINE_TYPE_NAMES: Partial<Record<LineType, string>> = {
  PREMIUM_RATE: 'premium-rate',
  SHARED_COST: 'shared-cost',
  UAN: 'universal access (UAN)',
  PERSONAL_NUMBER: 'personal-number service',
  PAGER: 'pager',
  VOICEMAIL: 'voicemail',
};

function lineTypeName(lineType: LineType): string {
  return LINE_TYPE_NAMES[lineType] ?? lineType.toLowerCase();
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
