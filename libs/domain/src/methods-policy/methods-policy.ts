import type { Decider } from '../decider';
import {
  DEFAULT_FALLBACK_ORDER,
  type DefaultSignInMethod,
  type DeliveryMethod,
  type PhoneType,
} from '../security-info/phone-method';
import { parsedPhoneNumber } from '../security-info/phone-number';
import type { PhoneMethod, SecurityInfo } from '../security-info/security-info';

/**
 * The authentication methods policy for the whole deployment, shaped like Entra's: which phone methods and
 * channels may be used at all, and which countries' numbers (by calling code). Empty lists: no restriction.
 */
export interface MethodsPolicy {
  methods: Record<PolicyMethod, { state: PolicyState }>;
  allowedCallingCodes: string[];
  deniedCallingCodes: string[];
}

/** `sms` and `voice` are channels to any phone; `officePhone` is the office phone type, whatever channel. */
export const POLICY_METHODS = ['sms', 'voice', 'officePhone'] as const;
export type PolicyMethod = (typeof POLICY_METHODS)[number];
export const POLICY_STATES = ['enabled', 'disabled'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];

/** Until an administrator sets one: everything allowed. */
export const DEFAULT_METHODS_POLICY: MethodsPolicy = {
  methods: { sms: { state: 'enabled' }, voice: { state: 'enabled' }, officePhone: { state: 'enabled' } },
  allowedCallingCodes: [],
  deniedCallingCodes: [],
};

/** The policy's one stream: its history is the audit trail of every change. */
export const METHODS_POLICY_STREAM = 'authenticationMethodsPolicy';

export interface MethodsPolicyChanged {
  type: 'AuthenticationMethodsPolicyChanged';
  data: { policy: MethodsPolicy; previous: MethodsPolicy; changedAt: string };
}
export type MethodsPolicyEvent = MethodsPolicyChanged;

export interface SetMethodsPolicy {
  type: 'SetMethodsPolicy';
  data: { policy: MethodsPolicy };
  metadata: { now: Date };
}

/** Pure: a policy that changes something is recorded whole (with the one it replaces); the same one is not. */
export const methodsPolicyDecider: Decider<MethodsPolicy, SetMethodsPolicy, MethodsPolicyEvent> = {
  decide({ data, metadata }, current) {
    const policy = normalised(data.policy);
    if (JSON.stringify(policy) === JSON.stringify(normalised(current))) return [];
    return [
      {
        type: 'AuthenticationMethodsPolicyChanged',
        data: { policy, previous: current, changedAt: metadata.now.toISOString() },
      },
    ];
  },
  evolve: (_state, event) => event.data.policy,
  initialState: () => DEFAULT_METHODS_POLICY,
};

/** Calling codes sorted and without duplicates, so one policy has one form. */
function normalised(policy: MethodsPolicy): MethodsPolicy {
  const codes = (list: string[]) => [...new Set(list)].sort((a, b) => Number(a) - Number(b));
  return {
    methods: {
      sms: { state: policy.methods.sms.state },
      voice: { state: policy.methods.voice.state },
      officePhone: { state: policy.methods.officePhone.state },
    },
    allowedCallingCodes: codes(policy.allowedCallingCodes),
    deniedCallingCodes: codes(policy.deniedCallingCodes),
  };
}

/** The one boundary from a stored policy event to a domain event. */
export function methodsPolicyEventOf(stored: {
  type: string;
  data: Record<string, unknown>;
}): MethodsPolicyEvent {
  if (stored.type !== 'AuthenticationMethodsPolicyChanged' || !stored.data.policy || !stored.data.previous) {
    throw new Error(`Not an authentication methods policy event: ${stored.type}`);
  }
  return stored as unknown as MethodsPolicyEvent;
}

/**
 * Why the policy does not allow codes to reach `e164` (a phone of `phoneType`) by `channel`, or null when it
 * does: the channel disabled, office phones disabled, or the number's calling code not allowed. `e164` null:
 * a number not known yet (a method about to be added), judged on its type and channel only.
 */
export function whyNotAllowedByPolicy(
  policy: MethodsPolicy,
  phoneType: PhoneType,
  channel: DeliveryMethod,
  e164: string | null,
): string | null {
  if (phoneType === 'office' && policy.methods.officePhone.state === 'disabled') {
    return 'Office phones are not allowed by the authentication methods policy.';
  }
  if (policy.methods[channel].state === 'disabled') {
    return `${channel === 'sms' ? 'Text messages are' : 'Calls are'} not allowed by the authentication methods policy.`;
  }
  // Parsing a number costs more than the rest of the check (once per message sent): only for a country list.
  if (policy.allowedCallingCodes.length === 0 && policy.deniedCallingCodes.length === 0) return null;
  const callingCode = e164 === null ? undefined : parsedPhoneNumber(e164)?.countryCallingCode;
  if (
    callingCode !== undefined &&
    ((policy.allowedCallingCodes.length > 0 && !policy.allowedCallingCodes.includes(callingCode)) ||
      policy.deniedCallingCodes.includes(callingCode))
  ) {
    return `Numbers on +${callingCode} are not allowed by the authentication methods policy.`;
  }
  return null;
}

/** The channels of `channels` the policy allows for this phone (`e164` null: a number not known yet). */
export function channelsAllowedByPolicy(
  policy: MethodsPolicy,
  phoneType: PhoneType,
  e164: string | null,
  channels: readonly DeliveryMethod[],
): DeliveryMethod[] {
  return channels.filter((channel) => whyNotAllowedByPolicy(policy, phoneType, channel, e164) === null);
}

/**
 * The first verified method in DEFAULT_FALLBACK_ORDER whose channel the policy allows, matched on its type and
 * on the channel that proved it (a mobile proved by a call falls back as mobile-voice), or null.
 */
export function nextAllowedDefault(
  methods: readonly PhoneMethod[],
  policy: MethodsPolicy = DEFAULT_METHODS_POLICY,
): DefaultSignInMethod | null {
  for (const choice of DEFAULT_FALLBACK_ORDER) {
    const method = methods.find(
      (m) =>
        m.status === 'verified' &&
        m.phoneType === choice.phoneType &&
        m.deliveryMethod === choice.deliveryMethod &&
        whyNotAllowedByPolicy(policy, m.phoneType, choice.deliveryMethod, m.phoneNumber) === null,
    );
    if (method) return { methodId: method.methodId, deliveryMethod: choice.deliveryMethod };
  }
  return null;
}

/**
 * The default as the policy lets it stand: the recorded one while the policy allows it; otherwise it moves as
 * on delete (to the next allowed method). Re-allowing it brings the recorded one back until the move is
 * recorded (as DefaultChanged, reason `policy`, by the person's next change).
 */
export function defaultUnderPolicy(
  state: SecurityInfo,
  policy: MethodsPolicy = DEFAULT_METHODS_POLICY,
): DefaultSignInMethod | null {
  const current = state.defaultMethod;
  if (!current) return null;
  const method = state.methods.find((m) => m.methodId === current.methodId);
  if (
    method &&
    whyNotAllowedByPolicy(policy, method.phoneType, current.deliveryMethod, method.phoneNumber) === null
  ) {
    return current;
  }
  return nextAllowedDefault(state.methods, policy);
}
