import type { DefaultSignInMethod, DeliveryMethod, PhoneType } from './phone-method';
import { SIGN_IN_CHALLENGE_EVENT_TYPES, type SignInChallengeEvent } from '../sign-in-challenge/events';
import type { SecurityChange } from './security-notice';

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

/**
 * A phone an authentication administrator registered for the person (Graph's admin API): verified without a
 * code, on the administrator's word. Follows the method's PhoneMethodAdded; names the administrator.
 */
export interface PhoneVerifiedByAdministrator {
  type: 'PhoneVerifiedByAdministrator';
  data: {
    methodId: string;
    deliveryMethod: DeliveryMethod;
    verifiedAt: string;
    /** The administrator's user id (the token's subject); the reason they gave is in the metadata. */
    administrator: string;
  };
}

/**
 * Why a method went: the person deleted it (`user`; events written before reasons were recorded have none,
 * and mean the same), a new phone of its type replaced it while it was still pending (`replaced`), it
 * stayed pending past the pending-method TTL (`lapsed`, with the moment it lapsed), or an authentication
 * administrator deleted it (`administrator`; who and why are in the metadata).
 */
export type MethodDeletedReason = 'user' | 'replaced' | 'lapsed' | 'administrator';

export interface MethodDeleted {
  type: 'MethodDeleted';
  data: {
    methodId: string;
    phoneType: PhoneType;
    /** Absent: `user`. */
    reason?: MethodDeletedReason;
    /** For `lapsed`: `addedAt` + the pending-method TTL, the moment the page stopped showing it. */
    lapsedAt?: string;
  };
}

/** A change of a verified phone's number began: a code went to the new number; the old one still works. */
export interface PhoneNumberChangeStarted {
  type: 'PhoneNumberChangeStarted';
  data: {
    methodId: string;
    /** The new number, E.164. */
    phoneNumber: string;
    extension: string | null;
    /** The channel the new number's codes go by. */
    deliveryMethod: DeliveryMethod;
    startedAt: string;
  };
}

/** A pending number change was given up: by the person (`user`), or by a newer change (`replaced`). */
export interface PhoneNumberChangeCancelled {
  type: 'PhoneNumberChangeCancelled';
  data: { methodId: string; reason: 'user' | 'replaced' };
}

/** The new number was proven with its code: the method has the new number from now on. */
export interface PhoneNumberChanged {
  type: 'PhoneNumberChanged';
  data: {
    methodId: string;
    codeId: string;
    /** The new number, E.164. */
    phoneNumber: string;
    extension: string | null;
    /** The number it had before, E.164. */
    previousPhoneNumber: string;
    /** The channel that proved the new number. */
    deliveryMethod: DeliveryMethod;
    changedAt: string;
  };
}

/**
 * `numberChanged`: the default's channel was texts and the method's new number cannot take them, so the
 * default became a call to it.
 */
export type DefaultChangeReason =
  | 'user'
  | 'firstVerifiedMethod'
  | 'defaultMethodDeleted'
  | 'numberChanged'
  /** An authentication administrator chose it (who and why are in the metadata). */
  | 'administrator'
  /** The authentication methods policy no longer allows the default: it moved as on delete. */
  | 'policy';

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
export type CodeDeliverySkipReason =
  | 'superseded'
  | 'expired'
  | 'methodGone'
  | 'methodVerified'
  /** A sign-in challenge's code whose challenge already succeeded. */
  | 'challengeCompleted'
  /** The authentication methods policy no longer allows its phone, channel or country. */
  | 'notAllowedByPolicy';

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

/**
 * The person's personal data was erased (GDPR Art. 17): their data key was destroyed, so every earlier event's
 * personal fields read `[erased]` for good. The account starts afresh: no methods, no default. Holds no
 * personal data itself.
 */
export interface PersonalDataErased {
  type: 'PersonalDataErased';
  data: {
    /** Why, as the privacy officer recorded it. */
    reason: string;
    /** The subject of whoever asked (a privacy officer's token, or the CLI's `--as`). */
    by: string;
    erasedAt: string;
  };
}

export type CodeDeliveryEvent =
  | CodeDeliveryAccepted
  | CodeDeliveryFailed
  | CodeDeliveryBlocked
  | CodeDeliverySkipped
  | CodeDelivered
  | CodeUndeliverable;

/**
 * A security notice's outcome (see security-notice.ts), on the code-delivery stream like a code's: one per
 * change (`noticeId`: the request that made it). Only masked numbers, never a code.
 */
export interface SecurityNoticeSent {
  type: 'SecurityNoticeSent';
  data: {
    noticeId: string;
    changes: SecurityChange[];
    by: 'self' | 'helpDesk';
    /** The phone told (null: none was left, only the webhook was), its channel and masked number. */
    methodId: string | null;
    channel: DeliveryMethod | null;
    destination: string | null;
    provider: CodeDeliveryProvider | null;
    providerMessageId: string | null;
    /** The signed `security-info.changed` webhook was accepted (false: none is configured). */
    webhook: boolean;
    attempts: number;
  };
}

export interface SecurityNoticeFailed {
  type: 'SecurityNoticeFailed';
  data: { noticeId: string; reason: string; attempts: number; permanent: boolean };
}

/** Nobody to tell: no verified phone the change did not just create and no webhook, or a limit blocked it. */
export interface SecurityNoticeSkipped {
  type: 'SecurityNoticeSkipped';
  data: { noticeId: string; reason: 'noRecipient' | CodeDeliveryBlockReason };
}

export type SecurityNoticeEvent = SecurityNoticeSent | SecurityNoticeFailed | SecurityNoticeSkipped;

export const SECURITY_NOTICE_EVENT_TYPES: readonly SecurityNoticeEvent['type'][] = [
  'SecurityNoticeSent',
  'SecurityNoticeFailed',
  'SecurityNoticeSkipped',
];

export type SecurityInfoEvent =
  | PhoneMethodAdded
  | CodeSent
  | VerificationFailed
  | PhoneVerified
  | PhoneVerifiedByAdministrator
  | MethodDeleted
  | DefaultChanged
  | PhoneNumberChangeStarted
  | PhoneNumberChangeCancelled
  | PhoneNumberChanged
  | PersonalDataErased
  | CodeDeliveryEvent
  | SecurityNoticeEvent
  /** On the user's sign-in challenge stream: read with the rest of their history, never on the page's stream. */
  | SignInChallengeEvent;

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
  'PhoneVerifiedByAdministrator',
  'MethodDeleted',
  'DefaultChanged',
  'PhoneNumberChangeStarted',
  'PhoneNumberChangeCancelled',
  'PhoneNumberChanged',
  'PersonalDataErased',
  ...CODE_DELIVERY_EVENT_TYPES,
  ...SECURITY_NOTICE_EVENT_TYPES,
  ...SIGN_IN_CHALLENGE_EVENT_TYPES,
];

/**
 * Version of the event payload shapes above, stamped into every event's metadata. 2: personal fields are
 * sealed at rest (see libs/personal-data); the domain reads them opened, in the same shape as version 1, whose
 * events keep their personal data in plain text.
 */
export const SECURITY_INFO_SCHEMA_VERSION = 2;
