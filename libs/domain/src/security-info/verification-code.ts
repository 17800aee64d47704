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
    const offset = mac[mac.length - 1] & 0x0f;
    const binary = mac.readUInt32BE(offset) & 0x7fffffff;
    return String(binary % 10 ** VerificationCodes.DIGITS).padStart(VerificationCodes.DIGITS, '0');
  }

  /** Constant-time, so response timing does not leak how many leading digits were right. */
  matches(codeId: string, candidate: string): boolean {
    const expected = Buffer.from(this.codeFor(codeId));
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
