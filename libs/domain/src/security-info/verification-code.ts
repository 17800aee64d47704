import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verification codes are never stored anywhere: each code is derived from the server secret and the code's
 * id (HMAC-SHA256 with HOTP's dynamic truncation, RFC 4226 §5.3). The event that records a sent code holds
 * only the id, so whoever holds the secret (the dispatcher, the verifier) can produce the code from the event,
 * and nobody reading the event store, the read model or a log can.
 */
export class VerificationCodes {
  static readonly DIGITS = 6;

  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error('The verification code secret must be at least 32 bytes');
  }

  codeFor(codeId: string): string {
    const mac = createHmac('sha256', this.secret).update(`signet/verification-code/v1/${codeId}`).digest();
    return hotpTruncate(mac, VerificationCodes.DIGITS);
  }

  /** Constant-time, so response timing does not leak how many leading digits were right. */
  matches(codeId: string, candidate: string): boolean {
    const expected = Buffer.from(this.codeFor(codeId));
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/**
 * HOTP's dynamic truncation (RFC 4226 §5.3): the low 4 bits of the MAC's last byte pick an offset, the 31 bits
 * read there are reduced to `digits` decimal digits, zero-padded. Works on a MAC of any length of 20 bytes or
 * more (the RFC's HMAC-SHA-1, our HMAC-SHA-256).
 */
export function hotpTruncate(mac: Buffer, digits: number): string {
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}
