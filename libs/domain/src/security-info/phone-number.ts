import {
  parsePhoneNumberFromString,
  type CountryCode,
  type NumberType,
  type PhoneNumber,
} from 'libphonenumber-js/max';

/** A number's line type as libphonenumber-js's full metadata has it (undefined: valid, type unknown). */
export type LineType = NonNullable<NumberType>;

/** A number parsed once for one decision or one answer: the parse, and its line type once asked for. */
interface SharedParse {
  parsed: PhoneNumber | undefined;
  lineType?: LineType | null;
}

/**
 * The parses of one synchronous call of `withPhoneNumbersParsedOnce`, by E.164; null outside one. A parse costs
 * 12–21 µs (the full metadata) and a command looked at its number up to seven times. Never kept beyond the call:
 * no number stays in memory after the decision or answer it was parsed for.
 */
let sharedParses: Map<string, SharedParse> | null = null;

/**
 * Runs `work` (synchronous: a decision, the building of an answer) with each E.164 number it looks at parsed
 * once, whatever it asks of it (line type, mask, display, calling code); the parses are dropped when it returns.
 */
export function withPhoneNumbersParsedOnce<T>(work: () => T): T {
  if (sharedParses) return work();
  sharedParses = new Map();
  try {
    return work();
  } finally {
    sharedParses = null;
  }
}

function parseOf(e164: string): SharedParse {
  let shared = sharedParses?.get(e164);
  if (!shared) {
    shared = { parsed: parsePhoneNumberFromString(e164) };
    sharedParses?.set(e164, shared);
  }
  return shared;
}

export interface NormalisedPhoneNumber {
  /** E.164, e.g. +14255550100. */
  e164: string;
  extension: string | null;
  /** The line type by the full metadata; null when the metadata does not say. */
  lineType: LineType | null;
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
  const lineType = parsed.getType() ?? null;
  // Written with its country code and no country to read it by, the input parses as its E.164 form would
  // (same calling code, national number, country and type): the checks that follow in this decision use it.
  if (sharedParses && countryCode === undefined) sharedParses.set(parsed.number, { parsed, lineType });
  return { e164: parsed.number, extension: parsed.ext ?? null, lineType };
}

/** An E.164 number parsed (once within `withPhoneNumbersParsedOnce`); undefined when it does not parse. */
export function parsedPhoneNumber(e164: string): PhoneNumber | undefined {
  return parseOf(e164).parsed;
}

/** The line type of an E.164 number (asked of the metadata once within `withPhoneNumbersParsedOnce`). */
function lineTypeOf(e164: string): { parsed: PhoneNumber | undefined; lineType: LineType | null } {
  const shared = parseOf(e164);
  if (shared.lineType === undefined) shared.lineType = shared.parsed?.getType() ?? null;
  return { parsed: shared.parsed, lineType: shared.lineType };
}

/**
 * Line types no code is ever sent to, by text or by call: paid or shared-revenue lines and lines that are
 * not a person's phone. Sending codes there is how toll fraud (IRSF, SMS pumping) makes money.
 */
export const LINE_TYPES_NOT_ALLOWED: ReadonlySet<LineType> = new Set<LineType>([
  'PREMIUM_RATE',
  'SHARED_COST',
  'UAN',
  'PERSONAL_NUMBER',
  'PAGER',
  'VOICEMAIL',
]);

/**
 * Country calling codes of no country: international networks, satellite services, premium and shared-cost
 * services (ITU-T E.164 "non-geographic" codes, as the metadata knows them). Never called, never texted.
 */
export const CALLING_CODES_NOT_ALLOWED: ReadonlySet<string> = new Set([
  '800', // International Freephone
  '808', // International Shared Cost Service
  '870', // Inmarsat
  '878', // Universal Personal Telecommunications
  '881', // Global Mobile Satellite System
  '882', // International Networks
  '883', // International Networks
  '888', // OCHA (humanitarian)
  '979', // International Premium Rate Service
]);

/** Line types that cannot take a text message ("Text me a code" is refused for them). */
export const LINE_TYPES_WITHOUT_SMS: ReadonlySet<LineType> = new Set<LineType>([
  'FIXED_LINE',
  'TOLL_FREE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'UAN',
  'PAGER',
  'VOICEMAIL',
]);

/** Why a number may never get a code: its line type or its network; null when it may. */
export function whyNumberNotAllowed(e164: string): { lineType: LineType } | { callingCode: string } | null {
  const parsed = parsedPhoneNumber(e164);
  if (!parsed) return null;
  if (CALLING_CODES_NOT_ALLOWED.has(parsed.countryCallingCode)) {
    return { callingCode: parsed.countryCallingCode };
  }
  const { lineType } = lineTypeOf(e164);
  return lineType && LINE_TYPES_NOT_ALLOWED.has(lineType) ? { lineType } : null;
}

/**
 * Whether a number can take a text: mobile, fixed-line-or-mobile and VoIP numbers can (and numbers whose type
 * the metadata does not know); fixed lines, toll-free, premium-rate, shared-cost, UAN, pager and voicemail
 * numbers cannot.
 */
export function canReceiveSms(e164: string): boolean {
  const { lineType } = lineTypeOf(e164);
  return !lineType || !LINE_TYPES_WITHOUT_SMS.has(lineType);
}

/** "+14255550100" -> "+1 XXXXXXXX00": enough for a person to recognise their phone, not to dial it. */
export function maskPhoneNumber(e164: string): string {
  if (e164 === ERASED) return e164;
  const parsed = parsedPhoneNumber(e164);
  const national = parsed ? parsed.nationalNumber : e164.replace(/^\+/, '');
  const prefix = parsed ? `+${parsed.countryCallingCode} ` : '';
  return `${prefix}${'X'.repeat(Math.max(0, national.length - 2))}${national.slice(-2)}`;
}

/**
 * The number as the page shows it, in Microsoft Graph's form `+{country code} {national number}`, with an
 * office extension appended RFC 3966-style: "+1 4255550100", "+1 4255550199x123".
 */
export function displayPhoneNumber(e164: string, extension: string | null): string {
  if (e164 === ERASED) return e164;
  const parsed = parsedPhoneNumber(e164);
  const number = parsed ? `+${parsed.countryCallingCode} ${parsed.nationalNumber}` : e164;
  return extension ? `${number}x${extension}` : number;
}

/** The number in E.164 with the extension appended ("+14255550199x123"): the `e164` field of the page. */
export function e164WithExtension(e164: string, extension: string | null): string {
  return extension ? `${e164}x${extension}` : e164;
}

/** What a reader sees where personal data was and its key is gone (crypto-shredded). */
export const ERASED = '[erased]';
