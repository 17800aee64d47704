import {
  channelsAllowedByPolicy,
  DEFAULT_METHODS_POLICY,
  defaultUnderPolicy,
  type MethodsPolicy,
} from '../methods-policy/methods-policy';
import type { SecurityInfoEvent } from './events';
import {
  defaultMethodLabel,
  deliveryMethodsFor,
  PHONE_TYPE_LABELS,
  PHONE_TYPES,
  type DeliveryMethod,
  type PhoneType,
} from './phone-method';
import { displayPhoneNumber, maskPhoneNumber } from './phone-number';
import type { SecurityInfoPolicy } from './policy';
import {
  evolve,
  findMethod,
  initialState,
  isLapsed,
  lapsesAt,
  verificationOf,
  type PhoneMethod,
  type SecurityInfo,
} from './security-info';

/**
 * What became of a code, as the page tells it: `queued` (recorded, not yet handed to a provider), `sent`
 * (a provider took it), `delivered` / `undeliverable` (the provider's delivery report), `blocked` (a limit
 * against SMS pumping stopped it), `failed` (the provider refused it or kept failing), `skipped` (no longer
 * worth sending when its turn came).
 */
export const CODE_DELIVERY_STATUSES = [
  'queued',
  'sent',
  'delivered',
  'undeliverable',
  'blocked',
  'failed',
  'skipped',
] as const;
export type CodeDeliveryStatus = (typeof CODE_DELIVERY_STATUSES)[number];

export interface CodeDeliveryView {
  status: CodeDeliveryStatus;
  /**
   * Why, where there is a why: the limit (`blocked`), the provider's error class (`failed`:
   * `providerRejected` or `providerUnavailable`), the skip reason, the carrier's report (`undeliverable`, with
   * any number in it blanked).
   */
  reason: string | null;
}

/** The delivery of each live code (the latest code of each method under verification), by code id. */
export type CodeDeliveries = Readonly<Record<string, CodeDeliveryView>>;

/**
 * The page's state: the Security info state (the command side's own fold) and what became of each live code,
 * folded from both of the user's streams (Security info and code delivery).
 */
export interface SecurityInfoPageState {
  securityInfo: SecurityInfo;
  deliveries: CodeDeliveries;
}

export const initialPageState: SecurityInfoPageState = { securityInfo: initialState, deliveries: {} };

/** Pure: the page's state after one more event of either stream. */
export function evolvePageState(
  state: SecurityInfoPageState,
  event: SecurityInfoEvent,
): SecurityInfoPageState {
  const securityInfo = evolve(state.securityInfo, event);
  const deliveries = deliveriesAfter(state.deliveries, event);
  return { securityInfo, deliveries: liveOnly(deliveries, securityInfo) };
}

function deliveriesAfter(deliveries: CodeDeliveries, event: SecurityInfoEvent): CodeDeliveries {
  switch (event.type) {
    case 'CodeSent':
      return withDelivery(deliveries, event, { status: 'queued', reason: null });
    case 'CodeDeliveryAccepted':
      return withDelivery(deliveries, event, { status: 'sent', reason: null }, false);
    case 'CodeDelivered':
      return withDelivery(deliveries, event, { status: 'delivered', reason: null });
    case 'CodeUndeliverable':
      return withDelivery(deliveries, event, {
        status: 'undeliverable',
        reason: withoutNumbers(event.data.reason),
      });
    case 'CodeDeliveryBlocked':
      return withDelivery(deliveries, event, { status: 'blocked', reason: event.data.reason }, false);
    case 'CodeDeliveryFailed':
      // The provider's error class, not its text (which may name the number): the audit trail has the text.
      return withDelivery(
        deliveries,
        event,
        { status: 'failed', reason: event.data.permanent ? 'providerRejected' : 'providerUnavailable' },
        false,
      );
    case 'CodeDeliverySkipped':
      return withDelivery(deliveries, event, { status: 'skipped', reason: event.data.reason }, false);
    default:
      // Most events are about no delivery: nothing built for them.
      return deliveries;
  }
}

/**
 * The deliveries with the event's code's view set to `view`: only a sent code gets an entry (a code the page
 * never knew is not shown), and a delivery report is the last word (`replaceReported` false: a late
 * "accepted" never hides "delivered" or "undeliverable").
 */
function withDelivery(
  deliveries: CodeDeliveries,
  event: SecurityInfoEvent & { data: { codeId: string } },
  view: CodeDeliveryView,
  replaceReported = true,
): CodeDeliveries {
  const codeId = event.data.codeId;
  const current = deliveries[codeId];
  if (!current && event.type !== 'CodeSent') return deliveries;
  if (!replaceReported && current && (current.status === 'delivered' || current.status === 'undeliverable')) {
    return deliveries;
  }
  return { ...deliveries, [codeId]: view };
}

/**
 * A carrier's report as the page may show it: any run of six or more digits (a phone number, a code a
 * provider echoed) is blanked; short error codes ("30003") stay.
 */
function withoutNumbers(reason: string): string {
  return reason.replace(/\+?\d(?:[\d\s().-]*\d)?/g, (run) =>
    run.replace(/\D/g, '').length >= 6 ? '[redacted]' : run,
  );
}

function liveCodeOf(method: PhoneMethod) {
  return verificationOf(method)?.codes.at(-1) ?? null;
}

/**
 * The id of a method's live code (as `liveCodeOf`, without building its verification): run for every event
 * the page folds, so it allocates nothing.
 */
function liveCodeIdOf(method: PhoneMethod): string | undefined {
  const codes =
    method.status === 'pendingVerification' ? method.codes : (method.pendingChange?.codes ?? undefined);
  return codes && codes.length > 0 ? codes[codes.length - 1].codeId : undefined;
}

function isLive(codeId: string, state: SecurityInfo): boolean {
  for (const method of state.methods) if (liveCodeIdOf(method) === codeId) return true;
  return false;
}

/** The deliveries of live codes only; the same object when all are live (as after most events). */
function liveOnly(deliveries: CodeDeliveries, state: SecurityInfo): CodeDeliveries {
  for (const codeId in deliveries) {
    if (Object.hasOwn(deliveries, codeId) && !isLive(codeId, state))
      return Object.fromEntries(Object.entries(deliveries).filter(([id]) => isLive(id, state)));
  }
  return deliveries;
}

/** The live code of a method, what became of it, and when the person may ask for another. */
export interface LastCodeView {
  codeId: string;
  channel: DeliveryMethod;
  sentAt: string;
  expiresAt: string;
  /** `sentAt` + the resend cooldown: when "Send another code" / "Call me instead" may be asked. */
  resendAvailableAt: string;
  delivery: CodeDeliveryStatus;
  /** Why, for `blocked`, `failed`, `skipped` and `undeliverable`; null otherwise. */
  reason: string | null;
}

/** One method as the Security info page lists it. */
export interface SecurityInfoPageMethod {
  methodId: string;
  type: 'phone';
  phoneType: PhoneType;
  /** As Microsoft Graph shows it: "+1 4255550100", an office extension appended as "x123". */
  phoneNumber: string;
  /** E.164: "+14255550100" (the extension, if any, is in `extension`). */
  e164: string;
  extension: string | null;
  /** "Phone", "Alternate phone", "Office phone". */
  label: string;
  /** How codes can reach this phone: sms (when its number can take a text) and voice for the mobile, voice for the others. */
  deliveryMethods: readonly DeliveryMethod[];
  status: 'pendingVerification' | 'verified';
  /**
   * `notAllowedByPolicy` when the authentication methods policy allows none of its channels (or its type, or
   * its country): it stays on the account, cannot be the default and receives no codes; `enabled` otherwise.
   */
  state: 'enabled' | 'notAllowedByPolicy';
  isDefault: boolean;
  addedAt: string;
  verifiedAt: string | null;
  /** For a pending method: when it lapses (is dropped, its slot freed) if not verified by then. */
  lapsesAt: string | null;
  /** A number change waiting for its code: the new number, masked ("+1 XXXXXXXX02"); null when none. */
  pendingNumber: string | null;
  /** The live code (while the method or its number change waits to be proven); null when none. */
  lastCode: LastCodeView | null;
  /** When a sign-in challenge (two-step verification, password reset) last succeeded with it; null: never. */
  lastUsedAt: string | null;
}

/** A type of phone the authentication methods policy lets a person add, and the channels it allows for it. */
export interface AllowedMethodType {
  phoneType: PhoneType;
  /**
   * The channels the policy allows for a new phone of this type, as far as they are known before the number
   * is: whether the number takes texts, and its country, are judged when it is added.
   */
  deliveryMethods: DeliveryMethod[];
}

/** What the Security info page shows for one user. */
export interface SecurityInfoPage {
  userId: string;
  methods: SecurityInfoPageMethod[];
  defaultMethod: { methodId: string; deliveryMethod: DeliveryMethod; label: string } | null;
  /**
   * The types of phone a method may be added as under the authentication methods policy, in the order of
   * PHONE_TYPES (a type none of whose channels it allows is left out). Whether the account already has one of
   * a type is another rule (one of each type), checked when it is added.
   */
  allowedMethodTypes: AllowedMethodType[];
  /**
   * The account's personal data was erased (its last erasure): the methods it had before are gone for good.
   * It stays when the person adds methods again afterwards. Only the time: no personal data. Null: never.
   */
  personalDataErased: { erasedAt: string } | null;
  /** The stream revision the page reflects, as a string (64-bit); null for a user with no history. */
  revision: string | null;
  /** When the last event the page reflects occurred; null for a user with no history. */
  updatedAt: string | null;
}

/** The rules the page is rendered under. */
export type PagePolicy = Pick<SecurityInfoPolicy, 'pendingMethodTtlHours' | 'resendCooldownSeconds'>;

/** How the page is looked at: at which moment (pending methods past their TTL then are not shown), under which rules. */
export interface PageView {
  /** The moment the page is shown at: pending methods lapsed by then are left out. */
  now: Date;
  policy: PagePolicy;
  /** What became of the live codes (from the code-delivery stream); a code with no entry is `queued`. */
  deliveries?: CodeDeliveries;
  /** Show the numbers masked ("+1 XXXXXXXX00"): the auditors' default. */
  maskNumbers?: boolean;
  /** The authentication methods policy in force; absent: everything allowed. */
  methodsPolicy?: MethodsPolicy;
}

/**
 * Renders the page from the domain state: the one rendering used by the read model, the page query and the
 * auditors' "as of" view, so the page and its history can never disagree. A pending method whose TTL is past
 * at `view.now` is not shown, whether or not its lapse is recorded yet.
 */
export function renderSecurityInfoPage(
  userId: string,
  state: SecurityInfo,
  at: { revision: bigint | null; updatedAt: string | null },
  view: PageView,
): SecurityInfoPage {
  const policy = view.methodsPolicy ?? DEFAULT_METHODS_POLICY;
  const unlapsed = withoutLapsed(state, view);
  // The default as the policy lets it stand (a disallowed one shows moved, as the next change records it).
  const shown = { ...unlapsed, defaultMethod: defaultUnderPolicy(unlapsed, policy) };
  const number = (e164: string) => (view.maskNumbers ? maskPhoneNumber(e164) : e164);
  return {
    userId,
    methods: shown.methods.map((m) => {
      const allowed = channelsAllowedByPolicy(
        policy,
        m.phoneType,
        m.phoneNumber,
        deliveryMethodsFor(m.phoneType, m.phoneNumber),
      );
      return {
        methodId: m.methodId,
        type: 'phone',
        phoneType: m.phoneType,
        phoneNumber: view.maskNumbers
          ? maskedWithExtension(m.phoneNumber, m.extension)
          : displayPhoneNumber(m.phoneNumber, m.extension),
        e164: number(m.phoneNumber),
        extension: m.extension,
        label: PHONE_TYPE_LABELS[m.phoneType],
        deliveryMethods: allowed,
        status: m.status,
        state: allowed.length > 0 ? 'enabled' : 'notAllowedByPolicy',
        isDefault: shown.defaultMethod?.methodId === m.methodId,
        addedAt: m.addedAt,
        verifiedAt: m.verifiedAt,
        lapsesAt: lapsesAt(m, view.policy)?.toISOString() ?? null,
        pendingNumber: m.pendingChange ? maskPhoneNumber(m.pendingChange.phoneNumber) : null,
        lastCode: lastCodeView(m, view),
        lastUsedAt: m.lastUsedAt ?? null,
      };
    }),
    defaultMethod: defaultMethodView(shown, view.maskNumbers),
    allowedMethodTypes: allowedMethodTypes(policy),
    personalDataErased: state.personalDataErasedAt ? { erasedAt: state.personalDataErasedAt } : null,
    revision: at.revision === null ? null : at.revision.toString(),
    updatedAt: at.updatedAt,
  };
}

/** The types of phone the policy lets a person add, with the channels it allows for each. */
function allowedMethodTypes(policy: MethodsPolicy): AllowedMethodType[] {
  return PHONE_TYPES.map((phoneType) => ({
    phoneType,
    deliveryMethods: channelsAllowedByPolicy(policy, phoneType, null, deliveryMethodsFor(phoneType)),
  })).filter((type) => type.deliveryMethods.length > 0);
}

/** The state as the page shows it at `view.now`: lapsed pending methods left out (as the decider treats them). */
function withoutLapsed(state: SecurityInfo, view: PageView): SecurityInfo {
  const kept = state.methods.filter((m) => !isLapsed(m, view.now, view.policy));
  return kept.length === state.methods.length ? state : { ...state, methods: kept };
}

function lastCodeView(method: PhoneMethod, view: PageView): LastCodeView | null {
  const code = liveCodeOf(method);
  if (!code) return null;
  const delivery = view.deliveries?.[code.codeId] ?? { status: 'queued', reason: null };
  return {
    codeId: code.codeId,
    channel: code.channel,
    sentAt: code.sentAt,
    expiresAt: code.expiresAt,
    resendAvailableAt: new Date(
      Date.parse(code.sentAt) + view.policy.resendCooldownSeconds * 1000,
    ).toISOString(),
    delivery: delivery.status,
    reason: delivery.reason,
  };
}

function maskedWithExtension(e164: string, extension: string | null): string {
  return extension ? `${maskPhoneNumber(e164)}x${extension}` : maskPhoneNumber(e164);
}

/** The default sign-in method with its label ("Phone - text +1 4255550100"), or null. */
export function defaultMethodView(
  state: SecurityInfo,
  maskNumbers = false,
): SecurityInfoPage['defaultMethod'] {
  const current = state.defaultMethod && findMethod(state, state.defaultMethod.methodId);
  if (!state.defaultMethod || !current) return null;
  const number = maskNumbers
    ? maskedWithExtension(current.phoneNumber, current.extension)
    : displayPhoneNumber(current.phoneNumber, current.extension);
  return {
    ...state.defaultMethod,
    label: defaultMethodLabel(current.phoneType, state.defaultMethod.deliveryMethod, number),
  };
}
