import {
  deliveryErrorForStatus,
  fetchWithDeadline,
  type MessageSender,
  type OutgoingMessage,
  type SendReceipt,
} from '../message-sender.port';
import { signHttpPayload } from './http-signature';

/**
 * A generic webhook provider: a signed JSON POST of `{to, channel, body, codeId, reference}` with the code id as
 * `Idempotency-Key`. A 2xx answer may name the provider's message id (`{"messageId": "…"}`).
 */
export class HttpSender implements MessageSender {
  readonly provider = 'http' as const;

  constructor(private readonly options: { url: string; secret: string; timeoutMs: number }) {}

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const body = JSON.stringify({
      to: message.to,
      channel: message.channel,
      body: message.body,
      ...(message.extension ? { extension: message.extension } : {}),
      codeId: message.codeId,
      reference: message.reference,
    });
    const response = await fetchWithDeadline(
      'http provider',
      this.options.url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': message.codeId,
          'X-Signet-Signature': signHttpPayload(this.options.secret, body),
        },
        body,
      },
      this.options.timeoutMs,
    );
    const text = await response.text().catch(() => '');
    if (!response.ok) throw deliveryErrorForStatus('http provider', response.status, text.slice(0, 200));
    let messageId: unknown;
    try {
      messageId = (JSON.parse(text) as { messageId?: unknown }).messageId;
    } catch {
      messageId = undefined;
    }
    return { providerMessageId: typeof messageId === 'string' && messageId ? messageId : message.codeId };
  }
}
