import type { SecurityInfoRequest } from '../security-info/commands';
import type {
  CodeDelivered,
  CodeDeliveryAccepted,
  CodeDeliveryBlocked,
  CodeDeliveryFailed,
  CodeSent,
  CodeUndeliverable,
  DefaultChanged,
  MethodDeleted,
  PhoneMethodAdded,
  PhoneNumberChangeCancelled,
  PhoneNumberChanged,
  PhoneNumberChangeStarted,
  PhoneVerified,
  SecurityInfoEvent,
  VerificationFailed,
} from '../security-info/events';
import { maskPhoneNumber } from '../security-info/phone-number';
import type { DefaultSignInMethod, DeliveryMethod, PhoneType } from '../security-info/phone-method';
import { randomUUID } from 'node:crypto';
import { securityInfoRecord, type SecurityInfoRecord } from '../security-info/event-record';
import { iso, SECOND, T0, TEST_POLICY } from './given-when-then';

/**
 * The one set of Security info event builders for every test. Times are milliseconds after T0; numbers
 * are the seed's (+1 425 555 01xx). Method and code ids are whatever the test names.
 */

export const NUMBERS: Record<PhoneType, string> = {
  mobile: '+14255550100',
  alternateMobile: '+14255550101',
  office: '+14255550199',
};
export const MASKED: Record<PhoneType, string> = {
  mobile: '+1 XXXXXXXX00',
  alternateMobile: '+1 XXXXXXXX01',
  office: '+1 XXXXXXXX99',
};
/** The page's `allowedMethodTypes` when the authentication methods policy allows everything. */
export const EVERY_METHOD_TYPE: ReadonlyArray<{ phoneType: PhoneType; deliveryMethods: DeliveryMethod[] }> = [
  { phoneType: 'mobile', deliveryMethods: ['sms', 'voice'] },
  { phoneType: 'alternateMobile', deliveryMethods: ['voice'] },
  { phoneType: 'office', deliveryMethods: ['voice'] },
];

export const channelFor = (phoneType: PhoneType): DeliveryMethod =>
  phoneType === 'mobile' ? 'sms' : 'voice';

export function added(
  methodId: string,
  phoneType: PhoneType,
  { deliveryMethod = channelFor(phoneType), at: atMs = 0, extension = null as string | null } = {},
): PhoneMethodAdded {
  return {
    type: 'PhoneMethodAdded',
    data: {
      methodId,
      phoneType,
      phoneNumber: NUMBERS[phoneType],
      extension,
      deliveryMethod,
      addedAt: iso(atMs),
    },
  };
}

export function sent(
  methodId: string,
  codeId: string,
  {
    at: atMs = 0,
    channel = 'sms' as DeliveryMethod,
    phoneType = 'mobile' as PhoneType,
    ttlSeconds = TEST_POLICY.codeTtlSeconds,
  } = {},
): CodeSent {
  return {
    type: 'CodeSent',
    data: {
      methodId,
      codeId,
      channel,
      destination: MASKED[phoneType],
      sentAt: iso(atMs),
      expiresAt: iso(atMs + ttlSeconds * SECOND),
    },
  };
}

export function failed(methodId: string, codeId: string, attemptsRemaining: number): VerificationFailed {
  return { type: 'VerificationFailed', data: { methodId, codeId, attemptsRemaining } };
}

export function verifiedEvent(
  methodId: string,
  codeId: string,
  deliveryMethod: DeliveryMethod,
  verifiedAt = 0,
): PhoneVerified {
  return { type: 'PhoneVerified', data: { methodId, codeId, deliveryMethod, verifiedAt: iso(verifiedAt) } };
}

export function deleted(methodId: string, phoneType: PhoneType): MethodDeleted {
  return { type: 'MethodDeleted', data: { methodId, phoneType } };
}

/** A pending method a new phone of its type replaced. */
export function replaced(methodId: string, phoneType: PhoneType): MethodDeleted {
  return { type: 'MethodDeleted', data: { methodId, phoneType, reason: 'replaced' } };
}

/** A pending method that lapsed `lapsedAtMs` after T0 (its `addedAt` + the pending-method TTL). */
export function lapsed(methodId: string, phoneType: PhoneType, lapsedAtMs: number): MethodDeleted {
  return {
    type: 'MethodDeleted',
    data: { methodId, phoneType, reason: 'lapsed', lapsedAt: iso(lapsedAtMs) },
  };
}

/** Numbers a phone's number can be changed to (+1 425 555 01xx, SMS-capable). */
export const NEW_NUMBERS = { mobile: '+14255550102', office: '+14255550198' } as const;

export function changeStarted(
  methodId: string,
  phoneNumber: string,
  { deliveryMethod = 'sms' as DeliveryMethod, at: atMs = 0, extension = null as string | null } = {},
): PhoneNumberChangeStarted {
  return {
    type: 'PhoneNumberChangeStarted',
    data: { methodId, phoneNumber, extension, deliveryMethod, startedAt: iso(atMs) },
  };
}

export function changeCancelled(methodId: string, reason: 'user' | 'replaced'): PhoneNumberChangeCancelled {
  return { type: 'PhoneNumberChangeCancelled', data: { methodId, reason } };
}

export function numberChanged(
  methodId: string,
  codeId: string,
  phoneNumber: string,
  previousPhoneNumber: string,
  { deliveryMethod = 'sms' as DeliveryMethod, at: atMs = 0, extension = null as string | null } = {},
): PhoneNumberChanged {
  return {
    type: 'PhoneNumberChanged',
    data: {
      methodId,
      codeId,
      phoneNumber,
      extension,
      previousPhoneNumber,
      deliveryMethod,
      changedAt: iso(atMs),
    },
  };
}

/** A code sent to `phoneNumber` (masked as CodeSent masks it), for a number change or any other number. */
export function sentTo(
  methodId: string,
  codeId: string,
  phoneNumber: string,
  { at: atMs = 0, channel = 'sms' as DeliveryMethod, ttlSeconds = TEST_POLICY.codeTtlSeconds } = {},
): CodeSent {
  return {
    type: 'CodeSent',
    data: {
      methodId,
      codeId,
      channel,
      destination: maskPhoneNumber(phoneNumber),
      sentAt: iso(atMs),
      expiresAt: iso(atMs + ttlSeconds * SECOND),
    },
  };
}

// ---- What became of a code (the code-delivery stream) ----------------------------------------------------

export function deliveryAccepted(methodId: string, codeId: string): CodeDeliveryAccepted {
  return {
    type: 'CodeDeliveryAccepted',
    data: { methodId, codeId, provider: 'outbox', providerMessageId: `msg-${codeId}`, attempts: 1 },
  };
}

export function deliveryBlocked(
  methodId: string,
  codeId: string,
  reason: CodeDeliveryBlocked['data']['reason'] = 'destinationHourlyLimit',
): CodeDeliveryBlocked {
  return { type: 'CodeDeliveryBlocked', data: { methodId, codeId, reason } };
}

export function deliveryFailed(
  methodId: string,
  codeId: string,
  reason = 'provider error',
): CodeDeliveryFailed {
  return {
    type: 'CodeDeliveryFailed',
    data: { methodId, codeId, provider: 'outbox', reason, attempts: 3, permanent: false },
  };
}

export function delivered(methodId: string, codeId: string): CodeDelivered {
  return {
    type: 'CodeDelivered',
    data: { methodId, codeId, provider: 'twilio', providerMessageId: `msg-${codeId}` },
  };
}

export function undeliverable(methodId: string, codeId: string, reason = '30003'): CodeUndeliverable {
  return {
    type: 'CodeUndeliverable',
    data: { methodId, codeId, provider: 'twilio', providerMessageId: `msg-${codeId}`, reason },
  };
}

export function defaultChanged(
  current: DefaultSignInMethod | null,
  previous: DefaultSignInMethod | null,
  reason: DefaultChanged['data']['reason'],
): DefaultChanged {
  return { type: 'DefaultChanged', data: { current, previous, reason } };
}

/** A phone added at T0 whose first code (`<methodId>-code`) is still waiting. */
export function pending(
  methodId: string,
  phoneType: PhoneType,
  channel = channelFor(phoneType),
): SecurityInfoEvent[] {
  return [
    added(methodId, phoneType, { deliveryMethod: channel }),
    sent(methodId, `${methodId}-code`, { channel, phoneType }),
  ];
}

/** A phone added and verified at T0 (not made default: add `defaultChanged` for that). */
export function verified(
  methodId: string,
  phoneType: PhoneType,
  channel = channelFor(phoneType),
): SecurityInfoEvent[] {
  return [...pending(methodId, phoneType, channel), verifiedEvent(methodId, `${methodId}-code`, channel)];
}

export const def = (methodId: string, deliveryMethod: DeliveryMethod): DefaultSignInMethod => ({
  methodId,
  deliveryMethod,
});

export function addPhone(
  phoneNumber: string,
  phoneType: PhoneType = 'mobile',
  rest: Partial<AddPhoneRequest> = {},
): AddPhoneRequest {
  return {
    type: 'AddPhoneMethod',
    phoneNumber,
    phoneType,
    deliveryMethod: channelFor(phoneType),
    ...rest,
  };
}

type AddPhoneRequest = Extract<SecurityInfoRequest, { type: 'AddPhoneMethod' }>;

/** An event in the envelope every writer uses (securityInfoRecord), ready to append to a store in a test. */
export function recordOf(
  event: SecurityInfoEvent,
  { id = randomUUID(), occurredAt = T0 as Date | string, commandType = 'Test' } = {},
): SecurityInfoRecord {
  return securityInfoRecord(event, id, occurredAt, {
    actor: { subject: 'test', roles: [] },
    commandType,
    correlationId: null,
    causationId: null,
    clientAddress: null,
    userAgent: null,
  });
}
