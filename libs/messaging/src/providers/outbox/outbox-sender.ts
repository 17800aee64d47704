import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { MessageSender, OutgoingMessage, SendReceipt } from '../message-sender.port';

/** One line of DATA_DIR/outbox.jsonl. */
export interface OutboxLine {
  to: string;
  channel: 'sms' | 'voice';
  body: string;
  /** An office phone's extension, dialled once the call connects. */
  extension?: string;
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
  /** The code ids of the file's lines read so far, and where the reading stopped (the file only grows). */
  private readonly seen = new Set<string>();
  private readOffset = 0;
  private readInode = -1;

  constructor(
    private readonly filename: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const providerMessageId = `outbox-${message.codeId}`;
    if (this.alreadySent(message.codeId)) return { providerMessageId };
    const line: OutboxLine = {
      to: message.to,
      channel: message.channel,
      body: message.body,
      ...(message.extension ? { extension: message.extension } : {}),
      codeId: message.codeId,
      sentAt: this.now().toISOString(),
    };
    this.append(`${JSON.stringify(line)}\n`, message.codeId);
    return { providerMessageId };
  }

  /**
   * One write of one line: O_APPEND keeps concurrent writers' lines whole. The line is remembered as read when
   * the file now ends right after it where the last look stopped: then no other writer added a line since, and
   * the next look need not read the file at all.
   */
  private append(text: string, codeId: string): void {
    const bytes = Buffer.from(text, 'utf8');
    const fd = openSync(this.filename, 'a', 0o600);
    try {
      for (let written = 0; written < bytes.length;) {
        written += writeSync(fd, bytes, written, bytes.length - written);
      }
      const { size, ino } = fstatSync(fd);
      this.seen.add(codeId);
      if (ino === this.readInode && size === this.readOffset + bytes.length) this.readOffset = size;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Whether the file already holds a line for this code (written by this sender or any other sharing the
   * file). Only the lines appended since the last look are read: reading the whole file for every message
   * made sending O(n) per message. A file that was replaced or truncated is read again from the start.
   */
  private alreadySent(codeId: string): boolean {
    // Nothing written since the last look (this sender's own lines are remembered): no need to open the file.
    const now = statSync(this.filename, { throwIfNoEntry: false });
    if (now && now.ino === this.readInode && now.size === this.readOffset) return this.seen.has(codeId);
    let fd: number;
    try {
      fd = openSync(this.filename, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.forget();
      return false;
    }
    try {
      const { size, ino } = fstatSync(fd);
      if (ino !== this.readInode || size < this.readOffset) {
        this.forget();
        this.readInode = ino;
      }
      if (size > this.readOffset) {
        const chunk = Buffer.alloc(size - this.readOffset);
        let read = 0;
        while (read < chunk.length) {
          const n = readSync(fd, chunk, read, chunk.length - read, this.readOffset + read);
          if (n === 0) break;
          read += n;
        }
        // Whole lines only: a line being written by another process is read next time.
        const end = chunk.lastIndexOf(0x0a, read - 1);
        if (end >= 0) {
          for (const text of chunk.subarray(0, end).toString('utf8').split('\n')) {
            if (text.trim()) this.seen.add((JSON.parse(text) as OutboxLine).codeId);
          }
          this.readOffset += end + 1;
        }
      }
    } finally {
      closeSync(fd);
    }
    return this.seen.has(codeId);
  }

  private forget(): void {
    this.seen.clear();
    this.readOffset = 0;
    this.readInode = -1;
  }
}

export function readOutbox(filename: string): OutboxLine[] {
  if (!existsSync(filename)) return [];
  return readFileSync(filename, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as OutboxLine);
}
