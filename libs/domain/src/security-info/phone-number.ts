import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export interface NormalisedPhoneNumber {
  /** E.164, e.g. +14255550100. */
  e164: string;
  extension: string | null;
}

/**
 * Normalises what a person typed into E.164. Accepts international input ("+1 425 555 0100") or national
 * input with a country ("(425) 555-0100" + "US"), and an extension written into the number ("ext. 12").
 * Returns null when the number is not a valid phone number, using the full metadata so that impossible
 * number ranges are refused rather than texted.
 */
export function normalisePhoneNumber(input: string, countryCode?: string): NormalisedPhoneNumber | null {
  const parsed = parsePhoneNumberFromString(input, countryCode?.toUpperCase() as CountryCode | undefined);
  if (!parsed || !parsed.isValid()) return null;
  return { e164: parsed.number, extension: parsed.ext ?? null };
}

/** "+14255550100" -> "+1 XXXXXXXX00": enough for a person to recognise their phone, not to dial it. */
export function maskPhoneNumber(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const national = parsed ? parsed.nationalNumber : e164.replace(/^\+/, '');
  const prefix = parsed ? `+${parsed.countryCallingCode} ` : '';
  return `${prefix}${'X'.repeat(Math.max(0, national.length - 2))}${national.slice(-2)}`;
}

/** The number as the page shows it: E.164 with the extension appended RFC 3966-style ("x123"). */
export function displayPhoneNumber(e164: string, extension: string | null): string {
  return extension ? `${e164}x${extension}` : e164;
}
