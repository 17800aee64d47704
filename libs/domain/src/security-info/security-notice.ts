import type { SecurityInfoEvent } from './events';
import { DEFAULT_FALLBACK_ORDER, type DeliveryMethod } from './phone-method';
import { maskPhoneNumber } from './phone-number';
import type { PhoneMethod, SecurityInfo } from './security-info';
import {
  DEFAULT_METHODS_POLICY,
  whyNotAllowedByPolicy,
  type MethodsPolicy,
} from '../methods-policy/methods-policy';

/**
 * Security notices (as Supabase mails one when a factor is enrolled): when a method is verified, deleted, its
 * number changed, or the default changed, the person is told on a channel the change did not just create.
 * One notice per change (per request: its events share a causation id). Never a code, never a full number.
 */
export type SecurityChange = 'methodVerified' | 'methodDeleted' | 'numberChanged' | 'defaultChanged';

/** What a recorded event changed, for a notice; null for what needs none (a lapse, a move by the rules). */
export function securityChangeOf(event: SecurityInfoEvent): SecurityChange | null {
  switch (event.type) {
    case 'PhoneVerified':
    case 'PhoneVerifiedByAdministrator':
      return 'methodVerified';
    case 'MethodDeleted':
      return event.data.reason === undefined ||
        event.data.reason === 'user' ||
        event.data.reason === 'administrator'
        ? 'methodDeleted'
        : null;
    case 'PhoneNumberChanged':
      return 'numberChanged';
    case 'DefaultChanged':
      return event.data.reason === 'user' || event.data.reason === 'administrator' ? 'defaultChanged' : null;
    default:
      return null;
  }
}

/** The event types that may call for a notice (the dispatcher follows these). */
export const NOTICE_TRIGGER_TYPES: readonly SecurityInfoEvent['type'][] = [
  'PhoneVerified',
  'PhoneVerifiedByAdministrator',
  'MethodDeleted',
  'PhoneNumberChanged',
  'DefaultChanged',
];

export interface NoticeRecipient {
  methodId: string;
  /** E.164. */
  to: string;
  extension: string | null;
  channel: DeliveryMethod;
}

/** The methods a change just created or re-pointed: a notice must not go (only) to them. */
function createdBy(change: readonly SecurityInfoEvent[]): Set<string> {
  return new Set(
    change.flatMap((e) =>
      e.type === 'PhoneVerified' ||
      e.type === 'PhoneVerifiedByAdministrator' ||
      e.type === 'PhoneNumberChanged'
        ? [e.data.methodId]
        : [],
    ),
  );
}

/**
 * Who is told, after `change`: the default phone (by its channel) unless the change just created it, else
 * another verified phone (in the fallback order, by the channel that proved it), each only as the
 * authentication methods policy allows; null when none is left.
 */
export function noticeRecipient(
  state: SecurityInfo,
  change: readonly SecurityInfoEvent[],
  policy: MethodsPolicy = DEFAULT_METHODS_POLICY,
): NoticeRecipient | null {
  const created = createdBy(change);
  const usable = (m: PhoneMethod | undefined, channel?: DeliveryMethod): m is PhoneMethod =>
    m !== undefined &&
    m.status === 'verified' &&
    !created.has(m.methodId) &&
    whyNotAllowedByPolicy(policy, m.phoneType, channel ?? m.deliveryMethod, m.phoneNumber) === null;
  const recipient = (m: PhoneMethod, channel: DeliveryMethod): NoticeRecipient => ({
    methodId: m.methodId,
    to: m.phoneNumber,
    extension: m.extension,
    channel,
  });
  const current = state.defaultMethod;
  const byDefault = current ? state.methods.find((m) => m.methodId === current.methodId) : undefined;
  if (current && usable(byDefault, current.deliveryMethod))
    return recipient(byDefault, current.deliveryMethod);
  for (const choice of DEFAULT_FALLBACK_ORDER) {
    const other = state.methods.find(
      (m) => usable(m) && m.phoneType === choice.phoneType && m.deliveryMethod === choice.deliveryMethod,
    );
    if (other) return recipient(other, choice.deliveryMethod);
  }
  return null;
}

/** What changed, with the numbers involved masked: the notice's facts, for the text and the webhook. */
export interface NoticeFacts {
  changes: SecurityChange[];
  /** Masked ("+1 XXXXXXXX99") numbers of the methods the change touched. */
  maskedNumbers: string[];
  /** `self`, or `helpDesk` when an authentication administrator made the change. */
  by: 'self' | 'helpDesk';
}

export function noticeFacts(
  before: SecurityInfo,
  after: SecurityInfo,
  change: readonly SecurityInfoEvent[],
  byHelpDesk: boolean,
): NoticeFacts {
  const changes = [...new Set(change.map(securityChangeOf).filter((c): c is SecurityChange => c !== null))];
  const touched = new Set(change.flatMap((e) => ('methodId' in e.data ? [String(e.data.methodId)] : [])));
  const numbers = [...touched].flatMap((id) => {
    const method =
      after.methods.find((m) => m.methodId === id) ?? before.methods.find((m) => m.methodId === id);
    return method ? [maskPhoneNumber(method.phoneNumber)] : [];
  });
  return { changes, maskedNumbers: [...new Set(numbers)], by: byHelpDesk ? 'helpDesk' : 'self' };
}

const CHANGE_WORDS: Record<SecurityChange, string> = {
  methodVerified: 'a phone was added',
  methodDeleted: 'a phone was removed',
  numberChanged: "a phone's number was changed",
  defaultChanged: 'your default sign-in method was changed',
};

/** The notice's text (a text message, or what a call says): no code, no full number. */
export function noticeText(facts: NoticeFacts, at: string, link: string | null): string {
  const what = facts.changes.map((c) => CHANGE_WORDS[c]).join('; ');
  const who = facts.by === 'helpDesk' ? ' by your help desk' : '';
  const numbers = facts.maskedNumbers.length ? ` (${facts.maskedNumbers.join(', ')})` : '';
  const check = link
    ? ` If this was not you, review your security info: ${link}`
    : ' If this was not you, contact your help desk.';
  return `Signet security notice: ${what}${numbers}${who} at ${at.slice(0, 16).replace('T', ' ')} UTC.${check}`;
}
