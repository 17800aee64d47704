import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { EventLogWriter, type AppendToWrite, type WriteOutcome } from './event-log-writer';
import type { WriterThreadData } from './event-log-writer.thread';
import { ThreadChannel, type ThreadEntry } from './thread-channel';

export { errorOf } from './thread-channel';

/** Where the store's appends are written: one batch at a time, in order. */
export interface WriterChannel {
  /** Rejects when the batch as a whole failed (nothing of it was written). */
  commit(batch: AppendToWrite[]): Promise<WriteOutcome[]>;
  close(): Promise<void>;
}

/** On the caller's thread, with the store's own connection: for `:memory:`, which no other thread can open. */
export class InlineWriterChannel implements WriterChannel {
  private readonly writer: EventLogWriter;

  constructor(db: Database.Database) {
    this.writer = new EventLogWriter(db);
  }

  async commit(batch: AppendToWrite[]): Promise<WriteOutcome[]> {
    return this.writer.commit(batch);
  }

  async close(): Promise<void> {}
}

/** The compiled thread entry, beside this file in dist/. */
const THREAD_ENTRY: ThreadEntry = {
  compiled: join(__dirname, 'event-log-writer.thread.js'),
  fromSources: () => {
    // Run from its TypeScript sources (the tests, under ts-jest): compiled for the thread by the tests' helper.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writerThreadFromSources } = require(join(__dirname, 'testing', 'writer-thread-from-sources')) as {
      writerThreadFromSources(): string;
    };
    return writerThreadFromSources();
  },
};

/**
 * In a worker thread with a connection of its own: the COMMIT and its fsync happen off the event loop, which
 * meanwhile keeps serving and queuing the next appends. An answer still comes only once its commit is on
 * disk.
 */
export class ThreadWriterChannel implements WriterChannel {
  private readonly thread: ThreadChannel<AppendToWrite[], WriteOutcome[]>;

  constructor(data: WriterThreadData) {
    this.thread = new ThreadChannel(THREAD_ENTRY, data, "The event store's writer thread");
  }

  commit(batch: AppendToWrite[]): Promise<WriteOutcome[]> {
    return this.thread.request(batch);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
