import type Database from 'better-sqlite3';
import type { AppendResult, ExpectedRevision } from '../event-store.port';

/** An event as the writer stores it: its JSON already checked and serialised by the store. */
export interface SerializedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/** One append as it crosses to the writer (plain data: it may cross to a worker thread). */
export interface AppendToWrite {
  streamId: string;
  expectedRevision: ExpectedRevision;
  events: SerializedEvent[];
}

/** Why one append of a batch was not written; plain data, made an Error again by the store. */
export type WriteRefusal =
  | {
      kind: 'wrongExpectedRevision';
      streamId: string;
      expected: ExpectedRevision;
      actual: bigint | 'no_stream';
    }
  | PlainError;

export interface PlainError {
  kind: 'error';
  name: string;
  message: string;
  code?: string;
}

export type WriteOutcome = { result: AppendResult } | { refused: WriteRefusal };

export function plainError(error: unknown): PlainError {
  const { name, message, code } = error as { name?: string; message?: string; code?: unknown };
  return {
    kind: 'error',
    name: name ?? 'Error',
    message: message ?? String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

class WrongExpectedRevision extends Error {
  constructor(readonly refusal: WriteRefusal) {
    super('wrong expected revision');
  }
}

/**
 * The event log's write path: a batch of appends in one transaction, hence one fsync, each append checked
 * against its expected revision and applied in its own savepoint, so one refused append leaves no trace and
 * the others still commit. It owns a connection of its own; the store runs it in a worker thread, so the
 * COMMIT and its fsync never hold the event loop (and appends arriving meanwhile share the next commit), or
 * inline where a thread cannot open the same database (`:memory:`).
 */
export class EventLogWriter {
  private readonly streamRevision: Database.Statement<[string], { revision: bigint | null }>;
  private readonly positionOf: Database.Statement<[string, bigint], { position: bigint }>;
  private readonly insertEvent: Database.Statement<[string, bigint, string, string, string, string, bigint]>;
  private readonly applyAlone: Database.Transaction<
    (append: AppendToWrite, recordedAt: bigint) => AppendResult
  >;
  private readonly applyNested: Database.Transaction<
    (append: AppendToWrite, recordedAt: bigint) => AppendResult
  >;
  private readonly commitBatch: Database.Transaction<(batch: AppendToWrite[]) => WriteOutcome[]>;

  constructor(private readonly db: Database.Database) {
    this.streamRevision = db.prepare('SELECT max(revision) AS revision FROM events WHERE stream_id = ?');
    this.positionOf = db.prepare('SELECT position FROM events WHERE stream_id = ? AND revision = ?');
    this.insertEvent = db.prepare(
      `INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const apply = (append: AppendToWrite, recordedAt: bigint) => this.apply(append, recordedAt);
    this.applyAlone = db.transaction(apply);
    // Nested inside commitBatch, each append runs in its own savepoint.
    this.applyNested = db.transaction(apply);
    this.commitBatch = db.transaction((batch: AppendToWrite[]) => {
      const recordedAt = BigInt(Date.now());
      return batch.map((append) => this.attempt(() => this.applyNested(append, recordedAt), true));
    });
  }

  /**
   * Writes the batch; throws when the transaction as a whole failed (nothing of it was written). A batch of
   * one needs no savepoint: rolling back the transaction is the same thing, and saves two statements at low
   * load, where batches are of one.
   */
  commit(batch: AppendToWrite[]): WriteOutcome[] {
    if (batch.length === 1)
      return [this.attempt(() => this.applyAlone.immediate(batch[0], BigInt(Date.now())))];
    return this.commitBatch.immediate(batch);
  }

  private attempt(write: () => AppendResult, nested = false): WriteOutcome {
    try {
      return { result: write() };
    } catch (error) {
      if (error instanceof WrongExpectedRevision) return { refused: error.refusal };
      // SQLite abandoned the whole transaction (I/O error, RAISE(ROLLBACK)...): the batch fails as one.
      if (nested && !this.db.inTransaction) throw error;
      return { refused: plainError(error) };
    }
  }

  /** One append, inside the transaction: its reads see the appends applied before it. */
  private apply(append: AppendToWrite, recordedAt: bigint): AppendResult {
    const { streamId, expectedRevision, events } = append;
    const current = this.streamRevision.get(streamId)?.revision ?? undefined;
    if (!meetsExpectation(current, expectedRevision)) {
      throw new WrongExpectedRevision({
        kind: 'wrongExpectedRevision',
        streamId,
        expected: expectedRevision,
        actual: current ?? 'no_stream',
      });
    }
    if (events.length === 0) {
      const position = current === undefined ? 0n : (this.positionOf.get(streamId, current)?.position ?? 0n);
      return { nextRevision: current ?? -1n, position };
    }
    let revision = current ?? -1n;
    let position = 0n;
    for (const event of events) {
      revision += 1n;
      const { lastInsertRowid } = this.insertEvent.run(
        streamId,
        revision,
        event.id,
        event.type,
        event.data,
        event.metadata,
        recordedAt,
      );
      position = BigInt(lastInsertRowid);
    }
    return { nextRevision: revision, position };
  }
}

function meetsExpectation(current: bigint | undefined, expected: ExpectedRevision): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === undefined;
    case 'stream_exists':
      return current !== undefined;
    default:
      return current === expected;
  }
}
