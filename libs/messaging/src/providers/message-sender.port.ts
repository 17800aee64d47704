import type { CodeDeliveryProvider, DeliveryMethod } from '@signet/domain';

/** One message for one phone. The body holds the code: it exists only in memory and at the provider. */
export interface OutgoingMessage {
  /** E.164. */
  to: string;
  channel: DeliveryMethod;
  body: string;
  /**
   * An office phone's extension: a call dials it once answered (Twilio's SendDigits; the http provider passes it
   * on), so the code is never read to whoever answers the main line.
   */
  extension?: string;
  /** Also the provider's idempotency key: a message retried for the same code is the same message. */
  codeId: string;
  /** Opaque; comes back in delivery reports so they can be tied to the code (see delivery-reference.ts). */
  reference: string;
}

export interface SendReceipt {
  providerMessageId: string;
}

/** The message-sender port: outbox (local default), http (generic webhook), twilio. */
export interface MessageSender {
  readonly provider: CodeDeliveryProvider;
  send(message: OutgoingMessage): Promise<SendReceipt>;
  close?(): Promise<void>;
}

/**
 * A provider could not take the message. Permanent ones (a 4xx, an invalid number) will fail the same way
 * again and are not retried; transient ones (timeouts, 5xx, connection errors) are.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** Classifies an HTTP answer the way every HTTP provider here does: 408/429/5xx may pass, other 4xx will not. */
export function deliveryErrorForStatus(provider: string, status: number, detail: string): DeliveryError {
  const transient = status >= 500 || status === 408 || status === 429;
  return new DeliveryError(`${provider} answered ${status}${detail ? `: ${detail}` : ''}`, !transient);
}

/** fetch with a deadline; network failures and timeouts are transient DeliveryErrors. */
export async function fetchWithDeadline(
  provider: string,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : String(error);
    throw new DeliveryError(`${provider} unreachable: ${cause}`, false);
  }
}
