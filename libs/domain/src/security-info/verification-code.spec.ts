import crypto, { createHmac } from 'node:crypto';
import { hotpTruncate, VerificationCodes } from './verification-code';

const secret = (fill: number) => Buffer.alloc(32, fill);

/**
 * RFC 4226 appendix D: secret "12345678901234567890" (ASCII), counters 0..9 as 8-byte big-endian integers, the
 * HMAC-SHA-1 of each and the 6-digit HOTP value its dynamic truncation gives.
 */
const RFC4226_SECRET = Buffer.from('12345678901234567890', 'ascii');
const RFC4226_VECTORS: [counter: number, hmacSha1: string, hotp: string][] = [
  [0, 'cc93cf18508d94934c64b65d8ba7667fb7cde4b0', '755224'],
  [1, '75a48a19d4cbe100644e8ac1397eea747a2d33ab', '287082'],
  [2, '0bacb7fa082fef30782211938bc1c5e70416ff44', '359152'],
  [3, '66c28227d03a2d5529262ff016a1e6ef76557ece', '969429'],
  [4, 'a904c900a64b35909874b33e61c5938a8e15ed1c', '338314'],
  [5, 'a37e783d7b7233c083d4f62926c7a25f238d0316', '254676'],
  [6, 'bc9cd28561042c83f219324d3c607256c03272ae', '287922'],
  [7, 'a4fb960c0bc06e1eabb804e5b397cdc4b45596fa', '162583'],
  [8, '1b3c89f65e6c9e883012052823443f048b4332db', '399871'],
  [9, '1637409809a679dc698207310c8c7fc07290d9e5', '520489'],
];

describe('hotpTruncate (RFC 4226 §5.3 dynamic truncation)', () => {
  it.each(RFC4226_VECTORS)(
    'gives the RFC 4226 appendix D value for counter %i from its HMAC-SHA-1',
    (_counter, hmacSha1, hotp) => {
      expect(hotpTruncate(Buffer.from(hmacSha1, 'hex'), 6)).toBe(hotp);
    },
  );

  it.each(RFC4226_VECTORS)(
    'is full HOTP over HMAC-SHA-1 of the 8-byte counter %i',
    (counter, hmacSha1, hotp) => {
      const counterBytes = Buffer.alloc(8);
      counterBytes.writeBigUInt64BE(BigInt(counter));
      const mac = createHmac('sha1', RFC4226_SECRET).update(counterBytes).digest();
      expect(mac.toString('hex')).toBe(hmacSha1);
      expect(hotpTruncate(mac, 6)).toBe(hotp);
    },
  );

  it('keeps leading zeros', () => {
    // Offset 0 (last byte ends in 0), 31 bits 0x00000001: the number 1, six digits wide.
    const mac = Buffer.alloc(20);
    mac.writeUInt32BE(1, 0);
    expect(hotpTruncate(mac, 6)).toBe('000001');
  });
});

describe('VerificationCodes', () => {
  const codes = new VerificationCodes(secret(1));

  // Known answers, computed once and written down: any change to how a code is derived (the HMAC, its key,
  // the message's prefix, the truncation) fails here, and would invalidate every code already sent.
  const pinnedSecrets: Record<string, Buffer> = {
    '32 bytes of 0x01': secret(1),
    '"0123456789abcdef" twice': Buffer.from('0123456789abcdef0123456789abcdef', 'ascii'),
  };
  it.each([
    ['32 bytes of 0x01', 'code-1', '861825'],
    ['32 bytes of 0x01', 'code-2', '696841'],
    ['32 bytes of 0x01', 'code-0', '031813'],
    ['32 bytes of 0x01', '00000000-0000-4000-8000-000000000000', '760946'],
    ['"0123456789abcdef" twice', 'code-1', '845783'],
    ['"0123456789abcdef" twice', '00000000-0000-4000-8000-000000000000', '835950'],
  ])('derives the pinned code for secret %s and code id %s: %s', (secretName, codeId, code) => {
    expect(new VerificationCodes(pinnedSecrets[secretName]).codeFor(codeId)).toBe(code);
  });

  it('is HMAC-SHA256 of "signet/verification-code/v1/<codeId>" with the secret, truncated as HOTP does', () => {
    const mac = createHmac('sha256', secret(1)).update('signet/verification-code/v1/code-1').digest();
    expect(codes.codeFor('code-1')).toBe(hotpTruncate(mac, 6));
  });

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

    it('compares in constant time (timingSafeEqual), never with ===', () => {
      const compare = jest.spyOn(crypto, 'timingSafeEqual');
      try {
        expect(codes.matches('code-1', wrong)).toBe(false);
        expect(compare).toHaveBeenCalledWith(Buffer.from(wrong), Buffer.from(right));
      } finally {
        compare.mockRestore();
      }
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
