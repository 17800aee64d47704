import { canReceiveSms } from './phone-number';

/**
 * Phone methods as Microsoft Graph's `phoneAuthenticationMethod` has them: one of each type per user.
 */
export const PHONE_TYPES = ['mobile', 'alternateMobile', 'office'] as const;
export type PhoneType = (typeof PHONE_TYPES)[number];

/** `sms` is "Text me a code", `voice` is "Call me". */
export const DELIVERY_METHODS = ['sms', 'voice'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

/**
 * Text messages go to the mobile number only, and only when its line can take a text (given the number,
 * E.164: a landline entered as the mobile gets calls only); any allowed number can take a call.
 */
export function deliveryMethodsFor(phoneType: PhoneType, e164?: string): readonly DeliveryMethod[] {
  if (phoneType !== 'mobile') return ['voice'];
  return e164 === undefined || canReceiveSms(e164) ? ['sms', 'voice'] : ['voice'];
}

export function allowsDelivery(phoneType: PhoneType, deliveryMethod: DeliveryMethod): boolean {
  return deliveryMethodsFor(phoneType).includes(deliveryMethod);
}

/** The label the Security info page shows for each phone type. */
export const PHONE_TYPE_LABELS: Record<PhoneType, string> = {
  mobile: 'Phone',
  alternateMobile: 'Alternate phone',
  office: 'Office phone',
};

/** A sign-in choice is a method plus the way its code reaches the person. */
export interface DefaultSignInMethod {
  methodId: string;
  deliveryMethod: DeliveryMethod;
}

/**
 * When the default method is deleted, the default moves to the first verified method in this order.
 * Documented in the README; changing it changes what users end up with.
 */
export const DEFAULT_FALLBACK_ORDER: ReadonlyArray<{ phoneType: PhoneType; deliveryMethod: DeliveryMethod }> =
  [
    { phoneType: 'mobile', deliveryMethod: 'sms' },
    { phoneType: 'mobile', deliveryMethod: 'voice' },
    { phoneType: 'alternateMobile', deliveryMethod: 'voice' },
    { phoneType: 'office', deliveryMethod: 'voice' },
  ];

/** "Phone - text +1 4255550100", "Office phone - call +1 4255550199x123" (`number` as displayPhoneNumber shows it). */
export function defaultMethodLabel(
  phoneType: PhoneType,
  deliveryMethod: DeliveryMethod,
  number: string,
): string {
  return `${PHONE_TYPE_LABELS[phoneType]} - ${deliveryMethod === 'sms' ? 'text' : 'call'} ${number}`;
}
