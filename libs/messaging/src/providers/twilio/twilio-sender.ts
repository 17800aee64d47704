import {
  DeliveryError,
  deliveryErrorForStatus,
  fetchWithDeadline,
  type MessageSender,
  type OutgoingMessage,
  type SendReceipt,
} from '../message-sender.port';

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164). */
  from: string;
  /** https://api.twilio.com, or a stand-in in tests. */
  baseUrl: string;
  timeoutMs: number;
  /** Where Twilio posts status callbacks (delivery reports); none when unset. */
  statusCallbackUrl?: (reference: string) => string;
}

/** Twilio's REST API (2010-04-01): Messages for SMS, Calls with inline TwiML for voice. No SDK. */
export class TwilioSender implements MessageSender {
  readonly provider = 'twilio' as const;

  constructor(private readonly options: TwilioOptions) {}

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const { accountSid, authToken, from, baseUrl, timeoutMs } = this.options;
    const form = new URLSearchParams({ To: message.to, From: from });
    if (message.channel === 'sms') form.set('Body', message.body);
    else {
      form.set('Twiml', `<Response><Say>${escapeXml(message.body)}</Say></Response>`);
      // Dialled once the call connects (each "w" waits half a second), so the extension's phone hears the code.
      if (message.extension) form.set('SendDigits', `wwww${dialable(message.extension)}`);
    }
    if (this.options.statusCallbackUrl)
      form.set('StatusCallback', this.options.statusCallbackUrl(message.reference));

    const resource = message.channel === 'sms' ? 'Messages' : 'Calls';
    const response = await fetchWithDeadline(
      'twilio',
      `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/${resource}.json`,
      {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
          // Best effort: asks any idempotency-aware gateway in front of Twilio not to send twice.
          'Idempotency-Key': message.codeId,
        },
        body: form.toString(),
      },
      timeoutMs,
    );
    const answer = (await response.json().catch(() => ({}))) as {
      sid?: unknown;
      code?: unknown;
      message?: unknown;
    };
    if (!response.ok) {
      const detail = [answer.code, answer.message].filter((p) => p !== undefined).join(' ');
      throw deliveryErrorForStatus('twilio', response.status, detail);
    }
    if (typeof answer.sid !== 'string') throw deliveryErrorForStatus('twilio', 502, 'answer without a sid');
    return { providerMessageId: answer.sid };
  }
}

/** An extension as DTMF digits; anything else would let the code reach the main line, so it is refused. */
function dialable(extension: string): string {
  if (!/^[0-9*#]{1,20}$/.test(extension)) {
    throw new DeliveryError(`twilio: extension "${extension}" cannot be dialled`, true);
  }
  return extension;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
