import { displayPhoneNumber, maskPhoneNumber, normalisePhoneNumber } from './phone-number';

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
    expect(normalisePhoneNumber(input, country)).toEqual({ e164, extension: null });
  });

  it.each([
    '+1 425 555 0199 ext. 123',
    '+1 425 555 0199 ext 123',
    '+1 425 555 0199 x123',
    '+1 425 555 0199;ext=123',
  ])('reads the extension written into %p', (input) => {
    expect(normalisePhoneNumber(input)).toEqual({ e164: '+14255550199', extension: '123' });
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
  it('appends the extension RFC 3966-style', () => {
    expect(displayPhoneNumber('+14255550199', '123')).toBe('+14255550199x123');
  });

  it('shows the bare number without an extension', () => {
    expect(displayPhoneNumber('+14255550100', null)).toBe('+14255550100');
  });
});
