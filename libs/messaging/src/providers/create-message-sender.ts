import type { DispatchConfig } from '@signet/config';
import { HttpSender } from './http/http-sender';
import type { MessageSender } from './message-sender.port';
import { OutboxSender } from './outbox/outbox-sender';
import { TwilioSender } from './twilio/twilio-sender';

/** The one place that picks the provider from SMS_PROVIDER. */
export function createMessageSender(config: DispatchConfig, now?: () => Date): MessageSender {
  const provider = config.provider;
  switch (provider.name) {
    case 'outbox':
      return new OutboxSender(provider.filename, now);
    case 'http':
      return new HttpSender(provider);
    case 'twilio':
      return new TwilioSender({
        ...provider,
        statusCallbackUrl: config.webhookBaseUrl
          ? (reference) => `${config.webhookBaseUrl}/v1/webhooks/sms/twilio?ref=${reference}`
          : undefined,
      });
  }
}
