import { CodeDeliveryRefusal, type CodeDeliveryProvider } from '@signet/domain';
import { decodeDeliveryReference, type DeliveryReference } from '../providers/delivery-reference';
import type { DeliveryRecorder } from './delivery-recorder';
import { verifyHttpSignature } from '../providers/http/http-signature';
import { verifyTwilioSignature } from '../providers/twilio/twilio-signature';

/** What a provider's delivery report says about one message, once its signature is checked. */
export interface DeliveryReport {
  provider: CodeDeliveryProvider;
  reference: DeliveryReference;
  providerMessageId: string;
  /** null: an intermediate status (queued, sent, ringing…) that records nothing. */
  outcome: { delivered: true } | { delivered: false; reason: string } | null;
}

export class InvalidDeliveryReport extends Error {
  override readonly name = 'InvalidDeliveryReport';
  constructor(
    message: string,
    readonly kind: 'signature' | 'malformed' | 'unknownCode',
  ) {
    super(message);
  }
}

/**
 * The generic http provider's report: JSON `{reference, messageId, status: "delivered" | "undeliverable",
 * reason?}` signed with SMS_HTTP_SECRET over the exact body it sent (see http-signature.ts).
 */
export function parseHttpReport(
  secret: string,
  signature: string | undefined,
  rawBody: Buffer | undefined,
  now: Date,
): DeliveryReport {
  const text = rawBody?.toString('utf8') ?? '';
  if (!verifyHttpSignature(secret, signature, text, now))
    throw new InvalidDeliveryReport('The X-Signet-Signature does not match this report', 'signature');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InvalidDeliveryReport('The report is not JSON', 'malformed');
  }
  const { reference, messageId, status, reason } = (body ?? {}) as Record<string, unknown>;
  if (typeof reference !== 'string' || typeof messageId !== 'string' || typeof status !== 'string')
    throw new InvalidDeliveryReport('reference, messageId and status are required strings', 'malformed');
  if (status !== 'delivered' && status !== 'undeliverable')
    throw new InvalidDeliveryReport('status must be "delivered" or "undeliverable"', 'malformed');
  return {
    provider: 'http',
    reference: referenceFrom(reference),
    providerMessageId: messageId,
    outcome:
      status === 'delivered'
        ? { delivered: true }
        : { delivered: false, reason: typeof reason === 'string' ? reason.slice(0, 200) : 'undeliverable' },
  };
}

const TWILIO_DELIVERED = new Set(['delivered', 'completed']);
const TWILIO_UNDELIVERABLE = new Set(['undelivered', 'failed', 'busy', 'no-answer', 'canceled']);

/**
 * A Twilio status callback (form-encoded; MessageStatus for SMS, CallStatus for calls), signed with the auth
 * token over the URL Twilio called, which carries our reference as `?ref=`.
 */
export function parseTwilioReport(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: Record<string, string>,
): DeliveryReport {
  if (!verifyTwilioSignature(authToken, signature, url, params))
    throw new InvalidDeliveryReport('The X-Twilio-Signature does not match this request', 'signature');
  const ref = new URL(url).searchParams.get('ref');
  const sid = params.MessageSid ?? params.CallSid;
  const status = params.MessageStatus ?? params.CallStatus;
  if (!ref || !sid || !status)
    throw new InvalidDeliveryReport('ref, a sid and a status are required', 'malformed');
  return {
    provider: 'twilio',
    reference: referenceFrom(ref),
    providerMessageId: sid,
    outcome: TWILIO_DELIVERED.has(status)
      ? { delivered: true }
      : TWILIO_UNDELIVERABLE.has(status)
        ? { delivered: false, reason: params.ErrorCode ? `${status} (error ${params.ErrorCode})` : status }
        : null,
  };
}

function referenceFrom(token: string): DeliveryReference {
  const reference = decodeDeliveryReference(token);
  if (!reference) throw new InvalidDeliveryReport('The reference is not one of ours', 'malformed');
  return reference;
}

/**
 * Records a checked report as CodeDelivered / CodeUndeliverable on the user's code-delivery stream, once:
 * providers send a report again when they are not sure it arrived. Answers whether anything was recorded.
 */
export async function recordDeliveryReport(
  recorder: DeliveryRecorder,
  report: DeliveryReport,
  origin: { correlationId: string; requestId: string },
): Promise<boolean> {
  if (!report.outcome) return false;
  const { userId, methodId, codeId } = report.reference;
  // A security notice's report is taken and not kept: its outcome is recorded already (SecurityNoticeSent).
  if (codeId.startsWith('notice-')) return false;
  try {
    const { newEvents } = await recorder.decide(
      userId,
      {
        type: 'RecordDeliveryReport',
        data: {
          methodId,
          codeId,
          provider: report.provider,
          providerMessageId: report.providerMessageId,
          outcome: report.outcome,
        },
      },
      {
        actor: `provider:${report.provider}`,
        commandType: 'ReportDelivery',
        correlationId: origin.correlationId,
        causationId: origin.requestId,
      },
    );
    return newEvents.length > 0;
  } catch (error) {
    if (error instanceof CodeDeliveryRefusal && error.code === 'code-unknown') {
      throw new InvalidDeliveryReport('No such code was sent', 'unknownCode');
    }
    throw error;
  }
}
