import { VerificationCodes } from './verification-code';

const secret = (fill: number) => Buffer.alloc(32, fill);

describe('VerificationCodes', () => {
  const codes = new VerificationCodes(secret(1));

  it('derives 6-digit codes', () => {
    for (let i = 0; i < 200; i++) expect(codes.codeFor(`code-${i}`)).toMatch(/^\d{6}$/);
  });

  it('is deterministic for one id and one secret', () => {
    expect(codes.codeFor('code-1')).toBe(codes.codeFor('code-1'));
    expect(new VerificationCodes(secret(1)).codeFor('code-1')).toBe(codes.codeFor('code-1'));
  });

  it('differs across ids', () => {
    const derived = new Set(Array.from({ length: 100 }, (_, i) => codes.codeFor(`code-${i}`)));
    expect(derived.size).toBeGreaterThan(95);
    expect(codes.codeFor('code-1')).not.toBe(codes.codeFor('code-2'));
  });

  it('differs across secrets', () => {
    expect(new VerificationCodes(secret(2)).codeFor('code-1')).not.toBe(codes.codeFor('code-1'));
  });

  it('rejects a secret shorter than 32 bytes', () => {
    expect(() => new VerificationCodes(Buffer.alloc(31, 1))).toThrow(/at least 32 bytes/);
    expect(() => new VerificationCodes(Buffer.alloc(0))).toThrow();
    expect(() => new VerificationCodes(Buffer.alloc(64, 1))).not.toThrow();
  });

  describe('matches', () => {
    const right = codes.codeFor('code-1');
    const wrong = right === '000000' ? '111111' : '000000';

    it('accepts the right code', () => {
      expect(codes.matches('code-1', right)).toBe(true);
    });

    it('refuses a wrong code, or the right code for another id', () => {
      expect(codes.matches('code-1', wrong)).toBe(false);
      expect(codes.codeFor('code-2')).not.toBe(right);
      expect(codes.matches('code-2', right)).toBe(false);
    });

    it.each([
      ['too short', right.slice(0, 5)],
      ['too long', `${right}0`],
      ['empty', ''],
      ['padded with spaces', ` ${right} `],
    ])('refuses a code that is %s, without throwing', (_label, candidate) => {
      expect(codes.matches('code-1', candidate)).toBe(false);
    });
  });
});
