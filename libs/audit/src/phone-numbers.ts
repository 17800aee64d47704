import { maskPhoneNumber } from '@signet/domain';

/**
 * Whether an audit answer shows phone numbers in full. Masked ("+1 XXXXXXXX00") unless a caller asked to
 * reveal them and gave a reason; either way the choice is written to the access log.
 */
export type PhoneNumberDisclosure = 'masked' | 'revealed';

/** A full E.164 number: what masking hides. Masked ones ("+1 XXXXXXXX00") no longer match. */
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Masks every full phone number in an event's data, whatever field holds it: event types added later (a
 * delivery report naming its destination) are masked without this code knowing them.
 */
export function disclosePhoneNumbers<T>(value: T, disclosure: PhoneNumberDisclosure): T {
  return disclosure === 'revealed' ? value : (maskDeep(value) as T);
}

function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return E164.test(value) ? maskPhoneNumber(value) : value;
  if (Array.isArray(value)) return value.map(maskDeep);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item)]));
  }
  return value;
}
