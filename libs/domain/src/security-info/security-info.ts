import type { SecurityInfoEvent } from './events';
import type { DefaultSignInMethod, DeliveryMethod, PhoneType } from './phone-method';
import type { SecurityInfoPolicy } from './policy';

/** A code sent for a method that is still waiting for verification. */
export interface SentCode {
  codeId: string;
  channel: DeliveryMethod;
  sentAt: string;
  expiresAt: string;
  failedAttempts: number;
}

export interface PhoneMethod {
  methodId: string;
  phoneType: PhoneType;
  phoneNumber: string;
  extension: string | null;
  /** The channel of the latest code sent; after verification, the channel that proved the phone. */
  deliveryMethod: DeliveryMethod;
  status: 'pendingVerification' | 'verified';
  addedAt: string;
  verifiedAt: string | null;
  /** Codes sent while pending, oldest first; the last one is the only live one. Emptied on verification. */
  codes: SentCode[];
  /**
   * A change of a verified phone's number waiting for its code (Graph's update): the method keeps its number
   * until the new one is proven. Absent (states folded before changes existed) or null: none.
   */
  pendingChange?: PendingNumberChange | null;
  /**
   * When a sign-in challenge last succeeded with this method (the page's "last used"). Only folds that read
   * the user's sign-in challenge stream (the page, the audit) know it; absent or null: never, or not known.
   */
  lastUsedAt?: string | null;
}

export interface PendingNumberChange {
  /** E.164. */
  phoneNumber: string;
  extension: string | null;
  deliveryMethod: DeliveryMethod;
  startedAt: string;
  /** Codes sent to the new number, oldest first; the last one is the only live one. */
  codes: SentCode[];
}

/**
 * What a code of a method is proving right now: the method's own number while it is pending, or the new
 * number of its pending change; null for a verified method with no change under way.
 */
export interface VerificationInProgress {
  kind: 'method' | 'numberChange';
  phoneNumber: string;
  extension: string | null;
  deliveryMethod: DeliveryMethod;
  codes: readonly SentCode[];
}

export function verificationOf(method: PhoneMethod): VerificationInProgress | null {
  if (method.status === 'pendingVerification') {
    const { phoneNumber, extension, deliveryMethod, codes } = method;
    return { kind: 'method', phoneNumber, extension, deliveryMethod, codes };
  }
  const change = method.pendingChange;
  if (!change) return null;
  const { phoneNumber, extension, deliveryMethod, codes } = change;
  return { kind: 'numberChange', phoneNumber, extension, deliveryMethod, codes };
}

/** When a pending method lapses (`addedAt` + the pending-method TTL); null for a verified one. */
export function lapsesAt(
  method: PhoneMethod,
  policy: Pick<SecurityInfoPolicy, 'pendingMethodTtlHours'>,
): Date | null {
  if (method.status !== 'pendingVerification') return null;
  return new Date(Date.parse(method.addedAt) + policy.pendingMethodTtlHours * 3_600_000);
}

/** A pending method whose TTL is past: the page does not show it, and its slot is free. */
export function isLapsed(
  method: PhoneMethod,
  now: Date,
  policy: Pick<SecurityInfoPolicy, 'pendingMethodTtlHours'>,
): boolean {
  const at = lapsesAt(method, policy);
  return at !== null && now.getTime() >= at.getTime();
}

/** One user's Security info: their phone methods (in the order added) and their default sign-in method. */
export interface SecurityInfo {
  methods: PhoneMethod[];
  defaultMethod: DefaultSignInMethod | null;
  /**
   * When the account's most recent codes were sent, whatever method they were for (deleted ones too), newest
   * last: an account-wide limit, so deleting and re-adding a phone cannot be used to send codes without end.
   */
  recentCodeTimes: string[];
  /**
   * When the account's personal data was last erased (PersonalDataErased): the page says so, so that the person
   * knows why the methods they had are gone. A time, no personal data; it stays after the person registers
   * again. Absent (never erased, or a state folded before it was kept): none.
   */
  personalDataErasedAt?: string;
}

/** How many send times the state keeps: enough for any account-wide hourly limit the policy allows. */
export const RECENT_CODE_TIMES_KEPT = 50;

export const initialState: SecurityInfo = { methods: [], defaultMethod: null, recentCodeTimes: [] };

export function findMethod(state: SecurityInfo, methodId: string): PhoneMethod | undefined {
  return state.methods.find((m) => m.methodId === methodId);
}

function updateMethod(
  state: SecurityInfo,
  methodId: string,
  change: (m: PhoneMethod) => PhoneMethod,
): SecurityInfo {
  return { ...state, methods: state.methods.map((m) => (m.methodId === methodId ? change(m) : m)) };
}

/** Pure: the state after one more event. Unknown method ids are ignored rather than thrown on. */
export function evolve(state: SecurityInfo, event: SecurityInfoEvent): SecurityInfo {
  switch (event.type) {
    case 'PhoneMethodAdded': {
      const d = event.data;
      const method: PhoneMethod = {
        methodId: d.methodId,
        phoneType: d.phoneType,
        phoneNumber: d.phoneNumber,
        extension: d.extension,
        deliveryMethod: d.deliveryMethod,
        status: 'pendingVerification',
        addedAt: d.addedAt,
        verifiedAt: null,
        codes: [],
      };
      return { ...state, methods: [...state.methods, method] };
    }
    case 'CodeSent': {
      const { codeId, channel, sentAt, expiresAt } = event.data;
      const code: SentCode = { codeId, channel, sentAt, expiresAt, failedAttempts: 0 };
      const changed = updateMethod(state, event.data.methodId, (m) =>
        m.status === 'verified' && m.pendingChange
          ? // A code for the new number of a pending change: the method itself is untouched.
            {
              ...m,
              pendingChange: {
                ...m.pendingChange,
                deliveryMethod: channel,
                codes: [...m.pendingChange.codes, code],
              },
            }
          : {
              ...m,
              // The channel last asked for sticks: a person who asked for a call keeps getting calls.
              deliveryMethod: channel,
              codes: [...m.codes, code],
            },
      );
      return {
        ...changed,
        recentCodeTimes: [...state.recentCodeTimes, sentAt].slice(-RECENT_CODE_TIMES_KEPT),
      };
    }
    case 'VerificationFailed': {
      const failedOnce = (codes: SentCode[]) =>
        codes.map((c) =>
          c.codeId === event.data.codeId ? { ...c, failedAttempts: c.failedAttempts + 1 } : c,
        );
      return updateMethod(state, event.data.methodId, (m) => ({
        ...m,
        codes: failedOnce(m.codes),
        ...(m.pendingChange
          ? { pendingChange: { ...m.pendingChange, codes: failedOnce(m.pendingChange.codes) } }
          : {}),
      }));
    }
    case 'PhoneVerified':
    case 'PhoneVerifiedByAdministrator':
      return updateMethod(state, event.data.methodId, (m) => ({
        ...m,
        status: 'verified',
        deliveryMethod: event.data.deliveryMethod,
        verifiedAt: event.data.verifiedAt,
        codes: [],
      }));
    case 'MethodDeleted':
      return { ...state, methods: state.methods.filter((m) => m.methodId !== event.data.methodId) };
    case 'DefaultChanged':
      return { ...state, defaultMethod: event.data.current };
    case 'PhoneNumberChangeStarted': {
      const { phoneNumber, extension, deliveryMethod, startedAt } = event.data;
      return updateMethod(state, event.data.methodId, (m) => ({
        ...m,
        pendingChange: { phoneNumber, extension, deliveryMethod, startedAt, codes: [] },
      }));
    }
    case 'PhoneNumberChangeCancelled':
      return updateMethod(state, event.data.methodId, (m) => ({ ...m, pendingChange: null }));
    case 'PhoneNumberChanged': {
      const { phoneNumber, extension, deliveryMethod, changedAt } = event.data;
      return updateMethod(state, event.data.methodId, (m) => ({
        ...m,
        phoneNumber,
        extension,
        deliveryMethod,
        verifiedAt: changedAt,
        pendingChange: null,
      }));
    }
    case 'PersonalDataErased':
      // The account starts afresh: what it held is unreadable now, and nothing of it may still be used. The
      // times of recent codes are no personal data and keep counting against the account's hourly limit, and
      // the time of the erasure stays for the page to tell.
      return {
        ...initialState,
        recentCodeTimes: state.recentCodeTimes,
        personalDataErasedAt: event.data.erasedAt,
      };
    case 'CodeDeliveryAccepted':
    case 'CodeDeliveryFailed':
    case 'CodeDeliveryBlocked':
    case 'CodeDeliverySkipped':
    case 'CodeDelivered':
    case 'CodeUndeliverable':
    case 'SecurityNoticeSent':
    case 'SecurityNoticeFailed':
    case 'SecurityNoticeSkipped':
      // What became of a message, for the audit trail: the page and the rules do not depend on it.
      return state;
    case 'SignInChallengeSucceeded':
      // Read only where the challenge stream is followed too (the page, the audit): "last used".
      return updateMethod(state, event.data.methodId, (m) => ({ ...m, lastUsedAt: event.data.verifiedAt }));
    case 'SignInChallengeStarted':
    case 'SignInChallengeCodeSent':
    case 'SignInChallengeFailed':
      // A challenge changes nothing on the page: its codes are not the method's codes.
      return state;
    default:
      // A type this code does not know (a newer writer, a corrupt row): never skip it silently.
      throw new UnknownEventError((event as { type: unknown }).type);
  }
}

export class UnknownEventError extends Error {
  override readonly name = 'UnknownEventError';
  constructor(readonly eventType: unknown) {
    super(`Unknown Security info event type ${JSON.stringify(eventType)}`);
  }
}

export function fold(events: Iterable<SecurityInfoEvent>, from: SecurityInfo = initialState): SecurityInfo {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
}
