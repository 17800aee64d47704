import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EventLogWriter, type AppendToWrite, type PlainError, type WriteOutcome } from './event-log-writer';
import type { WriterThreadData } from './event-log-writer.thread';

/** Where the store's appends are written: one batch at a time, in order. */
export interface WriterChannel {
  /** Rejects when the batch as a whole failed (nothing of it was written). */
  commit(batch: AppendToWrite[]): Promise<WriteOutcome[]>;
  close(): Promise<void>;
}

/** The error a writer reported, made an Error again (its SQLite `code` kept, for asStoreFailure). */
export function errorOf(plain: PlainError): Error {
  return Object.assign(new Error(plain.message), {
    name: plain.name,
    ...(plain.code ? { code: plain.code } : {}),
  });
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
const THREAD_ENTRY = join(__dirname, 'event-log-writer.thread.js');

function startWriterThread(workerData: WriterThreadData): Worker {
  if (existsSync(THREAD_ENTRY)) return new Worker(THREAD_ENTRY, { workerData });
  // Run from its TypeScript sources (the tests, under ts-jest): compiled for the thread by the tests' helper.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { writerThreadFromSources } = require(join(__dirname, 'testing', 'writer-thread-from-sources')) as {
    writerThreadFromSources(): string;
  };
  return new Worker(writerThreadFromSources(), { workerData });
}

/**
 * In a worker thread with a connection of its own: the COMMIT and its fsync happen off the event loop, which
 * meanwhile keeps serving and queuing the next appends. An answer still comes only once its commit is on
 * disk.
 */
export class ThreadWriterChannel implements WriterChannel {
  private readonly worker: Worker;
  private pending: { resolve: (outcomes: WriteOutcome[]) => void; reject: (error: Error) => void } | null =
    null;
  private exited: Error | null = null;

  constructor(data: WriterThreadData) {
    this.worker = startWriterThread(data);
    // Idle, the thread must not keep the process alive (a store left open never did); a commit in flight must.
    this.worker.unref();
    this.worker.on('message', (message: { outcomes: WriteOutcome[] } | { failure: PlainError }) => {
      const pending = this.pending;
      this.pending = null;
      this.worker.unref();
      if ('outcomes' in message) pending?.resolve(message.outcomes);
      else pending?.reject(errorOf(message.failure));
    });
    const lost = (error: Error) => {
      this.exited = error;
      this.pending?.reject(error);
      this.pending = null;
    };
    this.worker.on('error', lost);
    this.worker.on('exit', (code) =>
      lost(new Error(`The event store's writer thread stopped (exit ${code})`)),
    );
  }

  commit(batch: AppendToWrite[]): Promise<WriteOutcome[]> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.pending) return Promise.reject(new Error('one batch at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(batch);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.ref();
    this.worker.postMessage(null);
    await exited;
  }
}
