import type { DefaultSignInMethod, DeliveryMethod, PhoneType } from './phone-method';

/**
 * The facts recorded on a user's Security info stream. Times are ISO-8601 strings (UTC) so the events read
 * the same in any store. No event ever carries a verification code: only the code's id.
 */
export interface PhoneMethodAdded {
  type: 'PhoneMethodAdded';
  data: {
    methodId: string;
    phoneType: PhoneType;
    /** E.164. */
    phoneNumber: string;
    extension: string | null;
    /** How the person asked to get codes when adding it ("Text me a code" = sms). */
    deliveryMethod: DeliveryMethod;
    addedAt: string;
  };
}

export interface CodeSent {
  type: 'CodeSent';
  data: {
    methodId: string;
    codeId: string;
    channel: DeliveryMethod;
    /** Masked: "+1 XXXXXXXX00". The full number is on PhoneMethodAdded. */
    destination: string;
    sentAt: string;
    expiresAt: string;
  };
}

export interface VerificationFailed {
  type: 'VerificationFailed';
  data: {
    methodId: string;
    codeId: string;
    /** 0 means the code is now locked: only a new code helps. */
    attemptsRemaining: number;
  };
}

export interface PhoneVerified {
  type: 'PhoneVerified';
  data: {
    methodId: string;
    codeId: string;
    /** The channel that proved the phone. */
    deliveryMethod: DeliveryMethod;
    verifiedAt: string;
  };
}

export interface MethodDeleted {
  type: 'MethodDeleted';
  data: {
    methodId: string;
    phoneType: PhoneType;
  };
}

export type DefaultChangeReason = 'user' | 'firstVerifiedMethod' | 'defaultMethodDeleted';

export interface DefaultChanged {
  type: 'DefaultChanged';
  data: {
    /** null when no verified method is left. */
    current: DefaultSignInMethod | null;
    previous: DefaultSignInMethod | null;
    reason: DefaultChangeReason;
  };
}

/** Code dispatch outcomes, recorded by the dispatcher so auditors see what became of each code. */
export type CodeDeliveryProvider = 'outbox' | 'http' | 'twilio';

/** The provider took the message (it may still fail to reach the phone: see CodeDelivered/Undeliverable). */
export interface CodeDeliveryAccepted {
  type: 'CodeDeliveryAccepted';
  data: {
    methodId: string;
    codeId: string;
    provider: CodeDeliveryProvider;
    providerMessageId: string;
    attempts: number;
  };
}

/** The provider refused the message (permanent) or kept failing until the attempts ran out. */
export interface CodeDeliveryFailed {
  type: 'CodeDeliveryFailed';
  data: {
    methodId: string;
    codeId: string;
    provider: CodeDeliveryProvider;
    reason: string;
    attempts: number;
    permanent: boolean;
  };
}

/** A limit against SMS pumping stopped the message: it was never handed to a provider. */
export type CodeDeliveryBlockReason =
  'destinationHourlyLimit' | 'destinationDailyLimit' | 'countryNotAllowed' | 'globalRateLimit';

export interface CodeDeliveryBlocked {
  type: 'CodeDeliveryBlocked';
  data: { methodId: string; codeId: string; reason: CodeDeliveryBlockReason };
}

/** The code was no longer worth sending when its turn came. */
export type CodeDeliverySkipReason = 'superseded' | 'expired' | 'methodGone' | 'methodVerified';

export interface CodeDeliverySkipped {
  type: 'CodeDeliverySkipped';
  data: { methodId: string; codeId: string; reason: CodeDeliverySkipReason };
}

/** From the provider's delivery report: the message reached the phone. */
export interface CodeDelivered {
  type: 'CodeDelivered';
  data: { methodId: string; codeId: string; provider: CodeDeliveryProvider; providerMessageId: string };
}

/** From the provider's delivery report: the message cannot reach the phone. */
export interface CodeUndeliverable {
  type: 'CodeUndeliverable';
  data: {
    methodId: string;
    codeId: string;
    provider: CodeDeliveryProvider;
    providerMessageId: string;
    reason: string;
  };
}

export type CodeDeliveryEvent =
  | CodeDeliveryAccepted
  | CodeDeliveryFailed
  | CodeDeliveryBlocked
  | CodeDeliverySkipped
  | CodeDelivered
  | CodeUndeliverable;

export type SecurityInfoEvent =
  | PhoneMethodAdded
  | CodeSent
  | VerificationFailed
  | PhoneVerified
  | MethodDeleted
  | DefaultChanged
  | CodeDeliveryEvent;

export type SecurityInfoEventType = SecurityInfoEvent['type'];

/** What became of codes: recorded on a user's code-delivery stream, never moving the page's revision. */
export const CODE_DELIVERY_EVENT_TYPES: readonly CodeDeliveryEvent['type'][] = [
  'CodeDeliveryAccepted',
  'CodeDeliveryFailed',
  'CodeDeliveryBlocked',
  'CodeDeliverySkipped',
  'CodeDelivered',
  'CodeUndeliverable',
];

export const SECURITY_INFO_EVENT_TYPES: readonly SecurityInfoEventType[] = [
  'PhoneMethodAdded',
  'CodeSent',
  'VerificationFailed',
  'PhoneVerified',
  'MethodDeleted',
  'DefaultChanged',
  ...CODE_DELIVERY_EVENT_TYPES,
];

/** Version of the event payload shapes above, stamped into every event's metadata. */
export const SECURITY_INFO_SCHEMA_VERSION = 1;
