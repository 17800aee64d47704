/**
 * Which fields of each event type hold personal data, sealed at rest under the person's key. Adding a
 * personal field to an event type, or a new event type with personal fields, is one line here. A field
 * holding a phone number (E.164) also gets its masked form, calling code and keyed fingerprint in the clear.
 */
export const PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  PhoneMethodAdded: ['phoneNumber', 'extension'],
  PhoneNumberChangeStarted: ['phoneNumber', 'extension'],
  PhoneNumberChanged: ['phoneNumber', 'extension', 'previousPhoneNumber'],
  // A provider's or carrier's words may quote the number.
  CodeDeliveryFailed: ['reason'],
  CodeUndeliverable: ['reason'],
  AuditRecordAccessed: ['clientAddress', 'userAgent'],
};

/**
 * Metadata fields that are personal data on every event: where a request came from, and the reason a help-desk
 * administrator gave for changing a person's methods (free text about the person: "lost phone +1 425…").
 */
export const PERSONAL_METADATA_FIELDS: readonly string[] = ['clientAddress', 'userAgent', 'reason'];
