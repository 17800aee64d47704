import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { MessageSender, OutgoingMessage, SendReceipt } from '../message-sender.port';

/** One line of DATA_DIR/outbox.jsonl. */
export interface OutboxLine {
  to: string;
  channel: 'sms' | 'voice';
  body: string;
  codeId: string;
  sentAt: string;
}

/**
 * The local default: each message is one JSON line in DATA_DIR/outbox.jsonl, where a person trying Signet
 * reads the code. By design the one place a code is written down; never configure it in production.
 * Idempotent on the code id, like a real provider given an idempotency key.
 */
export class OutboxSender implements MessageSender {
  readonly provider = 'outbox' as const;

  constructor(
    private readonly filename: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const providerMessageId = `outbox-${message.codeId}`;
    if (readOutbox(this.filename).some((line) => line.codeId === message.codeId))
      return { providerMessageId };
    const line: OutboxLine = {
      to: message.to,
      channel: message.channel,
      body: message.body,
      codeId: message.codeId,
      sentAt: this.now().toISOString(),
    };
    // One write of one line: O_APPEND keeps concurrent writers' lines whole.
    appendFileSync(this.filename, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    return { providerMessageId };
  }
}

export function readOutbox(filename: string): OutboxLine[] {
  if (!existsSync(filename)) return [];
  return readFileSync(filename, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as OutboxLine);
}
