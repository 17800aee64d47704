import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The generic http provider's signatures, both ways: `X-Signet-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `<t>.<payload>`), the payload being the exact bytes of the request body, outgoing
 * messages and incoming delivery reports alike, so nothing in a report escapes the signature. Reports older
 * than the tolerance are refused (replays).
 */
export const HTTP_SIGNATURE_HEADER = 'x-signet-signature';
const TOLERANCE_SECONDS = 300;

export function signHttpPayload(secret: string, payload: string, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmac(secret, `${t}.${payload}`)}`;
}

export function verifyHttpSignature(
  secret: string,
  header: string | undefined,
  payload: string,
  now: Date = new Date(),
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(now.getTime() / 1000 - t) > TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(hmac(secret, `${t}.${payload}`), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

function hmac(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}
