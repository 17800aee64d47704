import {
  defaultMethodLabel,
  deliveryMethodsFor,
  PHONE_TYPE_LABELS,
  type DeliveryMethod,
  type PhoneType,
} from './phone-method';
import { displayPhoneNumber } from './phone-number';
import { findMethod, type SecurityInfo } from './security-info';

/** One method as the Security info page lists it. */
export interface SecurityInfoPageMethod {
  methodId: string;
  type: 'phone';
  phoneType: PhoneType;
  /** E.164, with an office extension appended as "x123". */
  phoneNumber: string;
  /** "Phone", "Alternate phone", "Office phone". */
  label: string;
  /** How codes can reach this phone: sms and voice for the mobile, voice for the others. */
  deliveryMethods: readonly DeliveryMethod[];
  status: 'pendingVerification' | 'verified';
  isDefault: boolean;
  addedAt: string;
  verifiedAt: string | null;
}

/** What the Security info page shows for one user. */
export interface SecurityInfoPage {
  userId: string;
  methods: SecurityInfoPageMethod[];
  defaultMethod: { methodId: string; deliveryMethod: DeliveryMethod; label: string } | null;
  /** The stream revision the page reflects, as a string (64-bit); null for a user with no history. */
  revision: string | null;
  /** When the last event the page reflects occurred; null for a user with no history. */
  updatedAt: string | null;
}

/**
 * Renders the page from the domain state: the one rendering used by the read model, the page query and the
 * auditors' "as of" view, so the page and its history can never disagree.
 */
export function renderSecurityInfoPage(
  userId: string,
  state: SecurityInfo,
  at: { revision: bigint | null; updatedAt: string | null },
): SecurityInfoPage {
  return {
    userId,
    methods: state.methods.map((m) => ({
      methodId: m.methodId,
      type: 'phone',
      phoneType: m.phoneType,
      phoneNumber: displayPhoneNumber(m.phoneNumber, m.extension),
      label: PHONE_TYPE_LABELS[m.phoneType],
      deliveryMethods: deliveryMethodsFor(m.phoneType),
      status: m.status,
      isDefault: state.defaultMethod?.methodId === m.methodId,
      addedAt: m.addedAt,
      verifiedAt: m.verifiedAt,
    })),
    defaultMethod: defaultMethodView(state),
    revision: at.revision === null ? null : at.revision.toString(),
    updatedAt: at.updatedAt,
  };
}

/** The default sign-in method with its label ("Phone - text +14255550100"), or null. */
export function defaultMethodView(state: SecurityInfo): SecurityInfoPage['defaultMethod'] {
  const current = state.defaultMethod && findMethod(state, state.defaultMethod.methodId);
  if (!state.defaultMethod || !current) return null;
  const number = displayPhoneNumber(current.phoneNumber, current.extension);
  return {
    ...state.defaultMethod,
    label: defaultMethodLabel(current.phoneType, state.defaultMethod.deliveryMethod, number),
  };
}
