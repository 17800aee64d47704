import { SECURITY_INFO_SCHEMA_VERSION, type SecurityInfoEvent, type SecurityInfoEventType } from './events';
import { UnknownEventError } from './security-info';

/** An event as a store gives it back: a type name and JSON, with the metadata it was written with. */
export interface StoredEvent {
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** A stored event whose shape is not the one its type and schema version promise. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    readonly eventType: string,
    message: string,
  ) {
    super(`${eventType}: ${message}`);
  }
}

type DataOf<T extends SecurityInfoEventType> = Extract<SecurityInfoEvent, { type: T }>['data'];

/** The fields each event type must carry (null is a value: `extension: null`). Checked on every read. */
const REQUIRED_FIELDS: { [T in SecurityInfoEventType]: ReadonlyArray<keyof DataOf<T>> } = {
  PhoneMethodAdded: ['methodId', 'phoneType', 'phoneNumber', 'extension', 'deliveryMethod', 'addedAt'],
  CodeSent: ['methodId', 'codeId', 'channel', 'destination', 'sentAt', 'expiresAt'],
  VerificationFailed: ['methodId', 'codeId', 'attemptsRemaining'],
  PhoneVerified: ['methodId', 'codeId', 'deliveryMethod', 'verifiedAt'],
  PhoneVerifiedByAdministrator: ['methodId', 'deliveryMethod', 'verifiedAt', 'administrator'],
  MethodDeleted: ['methodId', 'phoneType'],
  DefaultChanged: ['current', 'previous', 'reason'],
  PhoneNumberChangeStarted: ['methodId', 'phoneNumber', 'extension', 'deliveryMethod', 'startedAt'],
  PhoneNumberChangeCancelled: ['methodId', 'reason'],
  PhoneNumberChanged: [
    'methodId',
    'codeId',
    'phoneNumber',
    'extension',
    'previousPhoneNumber',
    'deliveryMethod',
    'changedAt',
  ],
  PersonalDataErased: ['reason', 'by', 'erasedAt'],
  CodeDeliveryAccepted: ['methodId', 'codeId', 'provider', 'providerMessageId', 'attempts'],
  CodeDeliveryFailed: ['methodId', 'codeId', 'provider', 'reason', 'attempts', 'permanent'],
  CodeDeliveryBlocked: ['methodId', 'codeId', 'reason'],
  CodeDeliverySkipped: ['methodId', 'codeId', 'reason'],
  CodeDelivered: ['methodId', 'codeId', 'provider', 'providerMessageId'],
  CodeUndeliverable: ['methodId', 'codeId', 'provider', 'providerMessageId', 'reason'],
  SecurityNoticeSent: [
    'noticeId',
    'changes',
    'by',
    'methodId',
    'channel',
    'destination',
    'provider',
    'providerMessageId',
    'webhook',
    'attempts',
  ],
  SecurityNoticeFailed: ['noticeId', 'reason', 'attempts', 'permanent'],
  SecurityNoticeSkipped: ['noticeId', 'reason'],
  SignInChallengeStarted: ['challengeId', 'purpose', 'methodId', 'channel', 'requestedBy', 'startedAt'],
  SignInChallengeCodeSent: [
    'challengeId',
    'purpose',
    'methodId',
    'codeId',
    'channel',
    'destination',
    'sentAt',
    'expiresAt',
  ],
  SignInChallengeFailed: [
    'challengeId',
    'purpose',
    'methodId',
    'codeId',
    'channel',
    'attemptsRemaining',
    'failedAt',
  ],
  SignInChallengeSucceeded: ['challengeId', 'purpose', 'methodId', 'codeId', 'channel', 'verifiedAt'],
};

/**
 * Upcasters: `UPCASTERS[v]` turns an event written at schema version v into version v + 1. Every version
 * before SECURITY_INFO_SCHEMA_VERSION needs one; events are read in today's shape, never rewritten.
 */
const UPCASTERS: Record<number, (event: { type: string; data: Record<string, unknown> }) => typeof event> = {
  // 1 → 2: the same fields; version 2 only seals the personal ones at rest, and they reach here opened.
  1: (event) => event,
};

/**
 * The one boundary from a stored event to a domain event: the type must be one the domain knows, the schema
 * version one it can read (upcast to today's), and the data must carry its type's fields. Events written
 * before versions were stamped count as version 1.
 */
export function securityInfoEventOf(stored: StoredEvent): SecurityInfoEvent {
  const version = schemaVersionOf(stored);
  let event = { type: stored.type, data: stored.data };
  for (let v = version; v < SECURITY_INFO_SCHEMA_VERSION; v++) {
    const upcast = UPCASTERS[v];
    if (!upcast) throw new MalformedEventError(stored.type, `no upcaster from schema version ${v}`);
    event = upcast(event);
  }
  if (!isSecurityInfoEvent(event)) throw new UnknownEventError(event.type);
  const required = requiredFieldsOf(event.type);
  for (const field of required) {
    // Every event is checked: the list of what is missing is built only when something is.
    if (!(field in event.data)) {
      const missing = required.filter((f) => !(f in event.data));
      throw new MalformedEventError(event.type, `missing ${missing.join(', ')}`);
    }
  }
  return event;
}

function schemaVersionOf(stored: StoredEvent): number {
  const version = stored.metadata.schemaVersion ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new MalformedEventError(stored.type, `schema version ${JSON.stringify(version)} is not one`);
  }
  if (version > SECURITY_INFO_SCHEMA_VERSION) {
    throw new MalformedEventError(
      stored.type,
      `written at schema version ${version}; this Signet reads up to ${SECURITY_INFO_SCHEMA_VERSION}`,
    );
  }
  return version;
}

function isSecurityInfoEvent(event: {
  type: string;
  data: Record<string, unknown>;
}): event is SecurityInfoEvent {
  return Object.hasOwn(REQUIRED_FIELDS, event.type) && typeof event.data === 'object' && event.data !== null;
}

function requiredFieldsOf(type: SecurityInfoEventType): readonly PropertyKey[] {
  return REQUIRED_FIELDS[type];
}
