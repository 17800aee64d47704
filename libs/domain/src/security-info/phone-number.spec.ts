import {
  canReceiveSms,
  displayPhoneNumber,
  maskPhoneNumber,
  normalisePhoneNumber,
  parsedPhoneNumber,
  whyNumberNotAllowed,
  withPhoneNumbersParsedOnce,
} from './phone-number';

describe('normalisePhoneNumber', () => {
  it.each<[string, string | undefined, string]>([
    ['+1 425 555 0100', undefined, '+14255550100'],
    ['+14255550100', undefined, '+14255550100'],
    ['(425) 555-0100', 'US', '+14255550100'],
    ['(425) 555-0100', 'us', '+14255550100'],
    ['+44 20 7946 0958', undefined, '+442079460958'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+1 425 555 0100', 'GB', '+14255550100'],
  ])('normalises %p (country %p) to %p', (input, country, e164) => {
    expect(normalisePhoneNumber(input, country)).toMatchObject({ e164, extension: null });
  });

  it.each([
    '+1 425 555 0199 ext. 123',
    '+1 425 555 0199 ext 123',
    '+1 425 555 0199 x123',
    '+1 425 555 0199;ext=123',
  ])('reads the extension written into %p', (input) => {
    expect(normalisePhoneNumber(input)).toMatchObject({ e164: '+14255550199', extension: '123' });
  });

  it.each<[string, string | undefined]>([
    ['(425) 555-0100', undefined],
    ['(425) 555-0100', 'XX'],
    ['+1 999 555 0100', undefined],
    ['+1 425 555 01', undefined],
    ['12', undefined],
    ['not a number', undefined],
    ['', 'US'],
  ])('returns null for %p (country %p)', (input, country) => {
    expect(normalisePhoneNumber(input, country)).toBeNull();
  });
});

describe('maskPhoneNumber', () => {
  it('keeps the country code and the last two digits only', () => {
    expect(maskPhoneNumber('+14255550100')).toBe('+1 XXXXXXXX00');
    expect(maskPhoneNumber('+442079460958')).toBe('+44 XXXXXXXX58');
  });

  it('never shows more than the last two digits of the national number', () => {
    const masked = maskPhoneNumber('+14255550199');
    expect(masked).not.toContain('425');
    expect(masked.replace(/\D/g, '')).toBe('199');
  });
});

describe('displayPhoneNumber', () => {
  it("shows Graph's form, +{country code} {national number}, with the extension appended RFC 3966-style", () => {
    expect(displayPhoneNumber('+14255550199', '123')).toBe('+1 4255550199x123');
  });

  it('shows the number without an extension', () => {
    expect(displayPhoneNumber('+14255550100', null)).toBe('+1 4255550100');
    expect(displayPhoneNumber('+442079460018', null)).toBe('+44 2079460018');
  });
});

describe('line types (libphonenumber-js full metadata)', () => {
  it.each([
    ['+1 425 555 0100', 'FIXED_LINE_OR_MOBILE'],
    ['+44 20 7946 0018', 'FIXED_LINE'],
    ['+1 900 200 1234', 'PREMIUM_RATE'],
    ['+1 800 555 0100', 'TOLL_FREE'],
  ])('reads the line type of %p: %p', (input, lineType) => {
    expect(normalisePhoneNumber(input)?.lineType).toBe(lineType);
  });

  it.each([
    ['+14255550100', true], // fixed line or mobile
    ['+447400123456', true], // UK mobile
    ['+442079460018', false], // UK fixed line
    ['+18005550100', false], // toll-free
    ['+19002001234', false], // premium rate
  ])('knows whether %p can take a text: %p', (e164, sms) => {
    expect(canReceiveSms(e164)).toBe(sms);
  });

  it.each([
    ['+449098790000', { lineType: 'PREMIUM_RATE' }],
    ['+19002001234', { lineType: 'PREMIUM_RATE' }],
    ['+979123456789', { callingCode: '979' }],
    ['+870773111632', { callingCode: '870' }],
  ])('never allows %p (toll fraud): %p', (e164, why) => {
    expect(whyNumberNotAllowed(e164)).toEqual(why);
  });

  it.each(['+14255550100', '+442079460018', '+18005550100', '+447400123456'])('allows %p', (e164) => {
    expect(whyNumberNotAllowed(e164)).toBeNull();
  });
});

describe('withPhoneNumbersParsedOnce', () => {
  // International input, national input with its country, Crown dependencies and NANPA neighbours sharing a
  // calling code, a premium-rate and a non-geographic number, one that does not parse.
  const inputs: [string, string | undefined][] = [
    ['+1 425 555 0100', undefined],
    ['(425) 555-0100', 'US'],
    ['+1 604 555 0100', undefined],
    ['+44 7781 123456', undefined],
    ['07781 123456', 'GG'],
    ['+44 20 7946 0018 ext. 12', undefined],
    ['+1 900 200 1234', undefined],
    ['+979 123456789', undefined],
  ];
  const looks = (input: string, country: string | undefined) => {
    const number = normalisePhoneNumber(input, country);
    const e164 = number?.e164 ?? '+999';
    return {
      number,
      why: whyNumberNotAllowed(e164),
      sms: canReceiveSms(e164),
      masked: maskPhoneNumber(e164),
      shown: displayPhoneNumber(e164, number?.extension ?? null),
      callingCode: parsedPhoneNumber(e164)?.countryCallingCode,
    };
  };

  it.each(inputs)('answers for %p (%p) as the parses one by one do', (input, country) => {
    expect(withPhoneNumbersParsedOnce(() => looks(input, country))).toEqual(looks(input, country));
  });

  it('parses a number once within a call, and keeps nothing once it returns (or throws)', () => {
    const [first, again] = withPhoneNumbersParsedOnce(() => [
      parsedPhoneNumber('+14255550100'),
      withPhoneNumbersParsedOnce(() => parsedPhoneNumber('+14255550100')),
    ]);
    expect(again).toBe(first);
    const later = withPhoneNumbersParsedOnce(() => parsedPhoneNumber('+14255550100'));
    expect(later).not.toBe(first);
    expect(later?.number).toBe(first?.number);
    expect(() =>
      withPhoneNumbersParsedOnce(() => {
        parsedPhoneNumber('+14255550100');
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(parsedPhoneNumber('+14255550100')).not.toBe(parsedPhoneNumber('+14255550100'));
  });
});
