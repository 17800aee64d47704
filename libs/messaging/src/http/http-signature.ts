import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The generic http provider's signatures, both ways: `X-Signet-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `<t>.<payload>`). Outgoing, the payload is the exact request body. Incoming
 * delivery reports are checked over their fields (`<reference>.<messageId>.<status>`), so a re-serialised
 * JSON body still verifies. Reports older than the tolerance are refused (replays).
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

/** The signed payload of a delivery report. */
export function httpReportPayload(report: { reference: string; messageId: string; status: string }): string {
  return `${report.reference}.${report.messageId}.${report.status}`;
}

function hmac(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}
