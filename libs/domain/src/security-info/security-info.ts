import type { SecurityInfoEvent } from './events';
import type { DefaultSignInMethod, DeliveryMethod, PhoneType } from './phone-method';

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
      const changed = updateMethod(state, event.data.methodId, (m) => ({
        ...m,
        // The channel last asked for sticks: a person who asked for a call keeps getting calls.
        deliveryMethod: channel,
        codes: [...m.codes, { codeId, channel, sentAt, expiresAt, failedAttempts: 0 }],
      }));
      return {
        ...changed,
        recentCodeTimes: [...state.recentCodeTimes, sentAt].slice(-RECENT_CODE_TIMES_KEPT),
      };
    }
    case 'VerificationFailed':
      return updateMethod(state, event.data.methodId, (m) => ({
        ...m,
        codes: m.codes.map((c) =>
          c.codeId === event.data.codeId ? { ...c, failedAttempts: c.failedAttempts + 1 } : c,
        ),
      }));
    case 'PhoneVerified':
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
    case 'CodeDeliveryAccepted':
    case 'CodeDeliveryFailed':
    case 'CodeDeliveryBlocked':
    case 'CodeDeliverySkipped':
    case 'CodeDelivered':
    case 'CodeUndeliverable':
      // What became of a message, for the audit trail: the page and the rules do not depend on it.
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
