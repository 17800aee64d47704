import { deliveryErrorForStatus, fetchWithDeadline } from '../message-sender.port';
import { signHttpPayload } from './http-signature';

/** The `security-info.changed` webhook: what changed, when, by whom; masked numbers only, never a code. */
export interface SecurityInfoChanged {
  type: 'security-info.changed';
  noticeId: string;
  userId: string;
  changes: string[];
  changedAt: string;
  by: 'self' | 'helpDesk';
  administrator?: string | null;
  maskedNumbers: string[];
  link: string | null;
}

/**
 * POSTs the notice to NOTICE_WEBHOOK_URL, signed as the http provider signs its messages (`X-Signet-Signature:
 * t=…,v1=HMAC-SHA256(secret, "<t>.<body>")`), with the notice id as `Idempotency-Key` (a retried notice is the
 * same notice). A 2xx is accepted; 408/429/5xx are retried, other 4xx are not.
 */
export class NoticeWebhook {
  constructor(private readonly options: { url: string; secret: string; timeoutMs: number }) {}

  async send(notice: SecurityInfoChanged): Promise<void> {
    const body = JSON.stringify(notice);
    const response = await fetchWithDeadline(
      'notice webhook',
      this.options.url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': notice.noticeId,
          'X-Signet-Signature': signHttpPayload(this.options.secret, body),
        },
        body,
      },
      this.options.timeoutMs,
    );
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw deliveryErrorForStatus('notice webhook', response.status, text.slice(0, 200));
    }
  }
}
