import { asStoreFailure, preparePrivateFile, probeSqliteWrite, StoreFileGuard } from '@signet/config';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  assertAppendArguments,
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  PingOptions,
  ReadAllOptions,
  ReadDirection,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { EventStoreClosedError } from '../event-store.errors';
import { partitionOfKey, validateFilter } from '../event-filter';
import { checkedEventJson } from '../event-validation';
import { mergedInLogOrder } from '../merged-reads';
import { SqliteSubscription, SubscriptionFeed } from './sqlite-subscription';
import type { AppendToWrite, SerializedEvent, WriteOutcome } from './event-log-writer';
import { errorOf, InlineWriterChannel, ThreadWriterChannel, type WriterChannel } from './writer-channel';

export interface SqliteEventStoreOptions {
  /** Path of the database file (its directory is created if missing), or ':memory:' for a private store. */
  filename: string;
  /**
   * FULL (default): an acknowledged append survives power loss. NORMAL: it survives a crash of the process
   * but the last commits may be lost on power loss; use only when that is an explicit choice.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How often waiting subscriptions look for events committed by other processes sharing the file. */
  pollIntervalMs?: number;
  /** How long a write waits for another process's write lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /**
   * Where commits happen: `inline` (the default) on the caller's thread; `thread` on a writer thread, which
   * keeps the COMMIT and its fsync off the event loop (worth its round trip only where an fsync is slow).
   * `:memory:` always commits inline: no other thread can open it.
   */
  writer?: 'thread' | 'inline';
}

/** Counters for observing group commit. */
export interface SqliteEventStoreStats {
  /** Write transactions committed. */
  commits: number;
  /** Append requests settled by a committed transaction (conflicts included). */
  appends: number;
  /** Events written. */
  events: number;
}

const SCHEMA_VERSION = 1;
const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (stream_id, revision)
  );
  -- No other index and no table of stream heads: every index is one more page written and synced per commit.
  -- The unique (stream_id, revision) index answers "current revision of a stream" with one b-tree descent,
  -- and type filters ride the position scan that every read of all events is anyway.
`;

/** Reads fetch pages of this many rows: constant memory however long the stream. */
const PAGE_SIZE = 500;
/** A larger queue is committed in several transactions, so one flush cannot hold the event loop for long. */
const MAX_REQUESTS_PER_COMMIT = 1000;
const INT64_MAX = 9223372036854775807n;
const EVENT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';

/**
 * A row of EVENT_COLUMNS, in that order. Read statements run in raw mode (arrays, not objects): on a long read
 * (a rebuild, an audit replay) building a keyed object per row was a good part of the cost of reading.
 */
type EventRow = [
  position: bigint,
  stream_id: string,
  revision: bigint,
  event_id: string,
  type: string,
  data: string,
  metadata: string,
  recorded_at: bigint,
];
const POSITION = 0;
const STREAM_ID = 1;
const REVISION = 2;

interface AppendRequest extends AppendToWrite {
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/**
 * The embedded event store: one SQLite file in WAL mode, shared by the API, the CLI and workers.
 *
 * Appends are group-committed: every request queued while the previous commit was being written (or, at
 * rest, before the next turn of the event loop) is written in one transaction, hence one fsync, and each
 * request is still checked and applied on its own. Commits happen on this thread or, when asked, on a writer
 * thread; reads always on this one.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  /** The file as opened: a write is acknowledged only while the path still names it (null in memory). */
  private readonly guard: StoreFileGuard | null = null;
  private readonly pollIntervalMs: number;
  private closed = false;

  private queue: AppendRequest[] = [];
  private flushScheduled = false;
  /** The commit being written, if any: one at a time, in order. */
  private writing: Promise<void> | null = null;
  private readonly writer: WriterChannel;
  private readonly counters: SqliteEventStoreStats = { commits: 0, appends: 0, events: 0 };

  private readonly subscriptions = new Set<SqliteSubscription>();
  private readonly waiters = new Set<{ after: bigint; wake: () => void }>();
  private pollTimer: NodeJS.Timeout | undefined;

  private readonly statements: {
    head: Database.Statement<[], { head: bigint | null }>;
    streamForwards: Database.Statement<[string, bigint, number], EventRow>;
    streamBackwards: Database.Statement<[string, bigint, number], EventRow>;
  };
  private readonly filteredReads = new Map<string, Database.Statement<unknown[], EventRow>>();
  /** The first page of n streams read together, by n. */
  private readonly firstPages = new Map<number, Database.Statement<unknown[], EventRow>>();
  /** Read statements with their LIMIT written in (a page, one event), by SQL. */
  private readonly limitedReads = new Map<string, Database.Statement<unknown[], EventRow>>();

  constructor(options: SqliteEventStoreOptions) {
    const synchronous = options.synchronous ?? 'FULL';
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new RangeError(`synchronous must be FULL or NORMAL, got ${String(synchronous)}`);
    }
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!(this.pollIntervalMs > 0) || !(busyTimeoutMs >= 0)) {
      throw new RangeError('pollIntervalMs must be positive and busyTimeoutMs not negative');
    }

    const inMemory = options.filename === ':memory:' || options.filename === '';
    if (!inMemory) {
      mkdirSync(dirname(options.filename), { recursive: true, mode: 0o700 });
      preparePrivateFile(options.filename);
    }
    this.db = new Database(options.filename);
    try {
      if (!inMemory) this.guard = new StoreFileGuard('the event store', options.filename);
      // Positions and revisions are 64-bit: never let them pass through a double.
      this.db.defaultSafeIntegers(true);
      // First, so that the pragmas below and the schema wait for other processes instead of failing.
      this.db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${synchronous}`);
      this.migrate();
      // The part of the log a filter's `partition` keeps, tested in SQL: a reader never parses another's rows.
      this.db.function('signet_partition', { deterministic: true }, (key: unknown, count: unknown) =>
        partitionOfKey(String(key), Number(count)),
      );
    } catch (error) {
      this.db.close();
      throw error;
    }

    this.statements = {
      // A bare max() over the rowid is answered from the end of the b-tree, not by a scan.
      head: this.db.prepare('SELECT max(position) AS head FROM events'),
      streamForwards: this.db
        .prepare<[string, bigint, number], EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
        )
        .raw(true),
      streamBackwards: this.db
        .prepare<[string, bigint, number], EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision <= ?
         ORDER BY revision DESC LIMIT ?`,
        )
        .raw(true),
    };

    this.writer =
      inMemory || options.writer !== 'thread'
        ? new InlineWriterChannel(this.db)
        : new ThreadWriterChannel({ filename: options.filename, synchronous, busyTimeoutMs });
  }

  /**
   * Appends `events` to the stream if it is at `expectedRevision`. Appending no events checks the expectation
   * and writes nothing; it then reports the stream's current revision (-1n when the stream does not exist)
   * and the position of its last event (0n when none).
   */
  async appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    this.assertOpen();
    const { expectedRevision } = options;
    assertAppendArguments(streamId, expectedRevision);
    // Serialised before queuing, so an unserialisable event fails alone instead of inside a shared commit.
    const serialized = events.map(serializeEvent);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, expectedRevision, events: serialized, resolve, reject });
      this.scheduleFlush();
    });
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    const statement =
      direction === 'forwards' ? this.statements.streamForwards : this.statements.streamBackwards;
    return this.paged({
      direction,
      from: options.fromRevision,
      maxCount: options.maxCount,
      key: (row) => row[REVISION],
      fetch: (cursor, limit) => this.limitedRows(statement, limit, [streamId, cursor]),
    });
  }

  /**
   * The rows of a read whose SQL ends in `LIMIT ?`, its usual limits (a page, one event) written into the SQL:
   * SQLite (3.53) plans with a bound LIMIT's value, so a statement whose LIMIT is bound is parsed and planned
   * again at every step (≈5 µs alone; 2–5 % of the API's CPU under load). Other limits stay bound.
   */
  private limitedRows(
    statement: Database.Statement<unknown[], EventRow>,
    limit: number,
    params: unknown[],
  ): EventRow[] {
    if (limit !== PAGE_SIZE && limit !== 1) return statement.all(...params, limit);
    const sql = statement.source.replace(/LIMIT \?$/, `LIMIT ${limit}`);
    let limited = this.limitedReads.get(sql);
    if (!limited) {
      limited = this.db.prepare<unknown[], EventRow>(sql).raw(true);
      this.limitedReads.set(sql, limited);
    }
    return limited.all(...params);
  }

  readStreams(streamIds: readonly string[]): AsyncIterable<RecordedEvent> {
    return this.streamsFromStart([...new Set(streamIds)]);
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    const filter = options.filter;
    return this.paged({
      direction,
      from: options.fromPosition,
      maxCount: options.maxCount,
      key: (row) => row[POSITION],
      fetch: (cursor, limit) => {
        const bound = direction === 'forwards' ? 'position >= ?' : 'position <= ?';
        const order = direction === 'forwards' ? 'ASC' : 'DESC';
        return this.limitedRows(this.filteredRead([bound], filter, order), limit, [
          cursor,
          ...filterParams(filter),
        ]);
      },
    });
  }

  /** Throws EventStoreClosedError synchronously when the store is closed. */
  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    if (options.filter) validateFilter(options.filter);
    const head = this.readHead();
    const from = options.fromPosition ?? 'start';
    const cursor = from === 'start' ? 0n : from === 'end' ? head : clampToInt64(from);
    const subscription = new SqliteSubscription(this.feed, cursor, head, options.filter);
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    return this.readHead();
  }

  async ping(options: PingOptions = {}): Promise<void> {
    this.assertOpen();
    this.guard?.check();
    // Reads the file header: fails if the file has become unreadable, unlike SELECT 1.
    this.db.pragma('user_version', { simple: true });
    if (!options.write) return;
    probeSqliteWrite(this.db, 'the event store', this.guard?.filename ?? ':memory:');
  }

  /** Commits the appends still queued, ends live subscriptions, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.writing || this.queue.length > 0) await (this.writing ?? this.flush());
    this.closed = true;
    // All at once, before anything awaits: a subscription woken by the flush above must find itself
    // closed when it resumes, not try to read from a closed store.
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.stopPolling();
    await this.writer.close();
    this.db.close();
  }

  stats(): SqliteEventStoreStats {
    return { ...this.counters };
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        const version = Number(this.db.pragma('user_version', { simple: true }));
        if (version > SCHEMA_VERSION) {
          throw new Error(
            `The event store file has schema version ${version}; this build knows up to ${SCHEMA_VERSION}`,
          );
        }
        if (version < 1) {
          this.db.exec(SCHEMA_V1);
          this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }
      })
      // IMMEDIATE: two processes opening a fresh file must not both try to create the schema.
      .immediate();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writing) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: appends issued by the I/O callbacks of this turn still join the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.closed || this.writing) return;
      void this.flush();
    });
  }

  /** Writes what is queued as one commit; what queues meanwhile goes in the next, once this one is done. */
  private flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_REQUESTS_PER_COMMIT);
    if (batch.length === 0) return Promise.resolve();
    this.writing = this.write(batch).finally(() => {
      this.writing = null;
      if (this.queue.length > 0) this.scheduleFlush();
    });
    return this.writing;
  }

  private async write(batch: AppendRequest[]): Promise<void> {
    let outcomes: WriteOutcome[];
    try {
      // A file deleted or replaced under the store would take these events with it: not acknowledged.
      this.guard?.check();
      outcomes = await this.writer.commit(
        batch.map(({ streamId, expectedRevision, events }) => ({ streamId, expectedRevision, events })),
      );
    } catch (error) {
      const failure = this.storageFailure(error);
      for (const request of batch) request.reject(failure);
      return;
    }
    // Only now is the batch durable: acknowledge it.
    this.counters.commits += 1;
    this.counters.appends += batch.length;
    let head: bigint | undefined;
    outcomes.forEach((outcome, index) => {
      const request = batch[index];
      if ('result' in outcome) {
        this.counters.events += request.events.length;
        // Requests are applied in queue order, so the last one that wrote holds the new head.
        if (request.events.length > 0) head = outcome.result.position;
        request.resolve(outcome.result);
      } else {
        const { refused } = outcome;
        request.reject(
          refused.kind === 'wrongExpectedRevision'
            ? new WrongExpectedRevisionError(refused.streamId, refused.expected, refused.actual)
            : this.storageFailure(errorOf(refused)),
        );
      }
    });
    if (head !== undefined) this.wakeWaiters(head);
  }

  /** A read-only, full or failing file becomes StoreUnavailableError (503); other errors stay as they are. */
  private storageFailure(error: unknown): unknown {
    return this.guard ? asStoreFailure(error, 'the event store', this.guard.filename) : error;
  }

  /**
   * Keyset pagination, each page a separate query: better-sqlite3 cannot run other statements on a connection
   * while an iterate() cursor is open, and a generator may stay suspended for as long as its consumer likes.
   */
  private async *paged(read: {
    direction: ReadDirection;
    from: bigint | 'start' | 'end' | undefined;
    maxCount: number | undefined;
    key: (row: EventRow) => bigint;
    fetch: (cursor: bigint, limit: number) => EventRow[];
  }): AsyncGenerator<RecordedEvent, void, undefined> {
    this.assertOpen();
    const { direction, maxCount } = read;
    if (maxCount !== undefined && !(Number.isSafeInteger(maxCount) && maxCount >= 0)) {
      throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
    }
    // An inclusive bound: `>= cursor` forwards, `<= cursor` backwards.
    let cursor = firstCursor(read.from, direction);
    if (cursor === undefined) return;

    let remaining = maxCount ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      this.assertOpen();
      const limit = Math.min(PAGE_SIZE, remaining);
      const rows = read.fetch(cursor, limit);
      for (const row of rows) yield toRecordedEvent(row);
      remaining -= rows.length;
      if (rows.length < limit) return;
      const last = read.key(rows[rows.length - 1]);
      cursor = direction === 'forwards' ? last + 1n : last - 1n;
    }
  }

  /**
   * Reads of the whole log walk position (rowid) order. Prefixes are tested row by row on purpose: a range
   * on the stream index would make SQLite sort all remaining matches for every page. Types use
   * events_by_type, which is in position order within each type.
   */
  private filteredRead(
    bounds: string[],
    filter: EventFilter | undefined,
    order: 'ASC' | 'DESC',
  ): Database.Statement<unknown[], EventRow> {
    if (filter) validateFilter(filter);
    const conditions = [...bounds];
    const prefixes = filter?.streamPrefixes;
    // Exact prefix test: LIKE would be case-insensitive, and a range end would need a "largest character".
    if (prefixes) {
      conditions.push(`(${prefixes.map(() => 'substr(stream_id, 1, length(?)) = ?').join(' OR ')})`);
    }
    const types = filter?.eventTypes;
    if (types) conditions.push(`type IN (${types.map(() => '?').join(', ')})`);
    if (filter?.partition) {
      // Keyed by what follows the first prefix the stream starts with, as matchesFilter does.
      const key = prefixes
        ? `CASE ${prefixes.map(() => 'WHEN substr(stream_id, 1, length(?)) = ? THEN substr(stream_id, length(?) + 1)').join(' ')} ELSE stream_id END`
        : 'stream_id';
      conditions.push(`signet_partition(${key}, ?) = ?`);
    }
    const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position ${order} LIMIT ?`;
    let statement = this.filteredReads.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], EventRow>(sql).raw(true);
      this.filteredReads.set(sql, statement);
    }
    return statement;
  }

  /**
   * The streams' first page in one query: every statement costs a read transaction and its own descent, and a
   * decision reading three short streams paid that three times (≈60 µs against ≈30 µs). A history longer than a
   * page goes on stream by stream from where each stopped, merged by position: a query over several streams
   * must sort all their remaining rows for every page, which on a 10,000-event history cost 2.5–4× the reads.
   */
  private async *streamsFromStart(ids: string[]): AsyncGenerator<RecordedEvent, void, undefined> {
    this.assertOpen();
    if (ids.length === 0) return;
    const rows = this.limitedRows(this.firstPageOfStreams(ids.length), PAGE_SIZE, ids);
    const next = new Map<string, bigint>();
    for (const row of rows) {
      next.set(row[STREAM_ID], row[REVISION] + 1n);
      yield toRecordedEvent(row);
    }
    if (rows.length < PAGE_SIZE) return;
    yield* mergedInLogOrder(ids.map((id) => this.readStream(id, { fromRevision: next.get(id) ?? 0n })));
  }

  private firstPageOfStreams(count: number): Database.Statement<unknown[], EventRow> {
    let statement = this.firstPages.get(count);
    if (!statement) {
      const ids = Array.from({ length: count }, () => '?').join(', ');
      statement = this.db
        .prepare<unknown[], EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id IN (${ids}) ORDER BY position LIMIT ?`,
        )
        .raw(true);
      this.firstPages.set(count, statement);
    }
    return statement;
  }

  private readonly feed: SubscriptionFeed = {
    head: () => {
      this.assertOpen();
      return this.readHead();
    },
    page: (after, upTo, filter, limit) => {
      this.assertOpen();
      const rows = this.limitedRows(
        this.filteredRead(['position > ?', 'position <= ?'], filter, 'ASC'),
        limit,
        [after, upTo, ...filterParams(filter)],
      );
      return rows.map(toRecordedEvent);
    },
    waitPast: (position) => {
      let waiter!: { after: bigint; wake: () => void };
      const arrived = new Promise<void>((resolve) => {
        waiter = { after: position, wake: resolve };
      });
      this.waiters.add(waiter);
      this.startPolling();
      return {
        arrived,
        cancel: () => {
          this.waiters.delete(waiter);
          this.stopPollingWhenIdle();
          waiter.wake();
        },
      };
    },
    detach: (subscription) => {
      this.subscriptions.delete(subscription);
    },
  };

  private wakeWaiters(head: bigint): void {
    for (const waiter of this.waiters) {
      if (waiter.after < head) {
        this.waiters.delete(waiter);
        waiter.wake();
      }
    }
    this.stopPollingWhenIdle();
  }

  /**
   * Local commits wake subscriptions directly; polling is for commits by other processes sharing the file.
   * The timer runs only while a subscription waits, and is not unref'd: a worker whose only job is a
   * subscription must stay alive.
   */
  private startPolling(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setInterval(() => {
      if (this.closed) return;
      let head: bigint;
      try {
        head = this.readHead();
      } catch {
        return; // Transient (e.g. SQLITE_BUSY during another process's recovery): the next tick retries.
      }
      this.wakeWaiters(head);
    }, this.pollIntervalMs);
  }

  private stopPollingWhenIdle(): void {
    if (this.waiters.size === 0) this.stopPolling();
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private readHead(): bigint {
    return this.statements.head.get()?.head ?? 0n;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

/** Where a read starts, or undefined when there is nothing to read (forwards from the end). */
function firstCursor(
  from: bigint | 'start' | 'end' | undefined,
  direction: ReadDirection,
): bigint | undefined {
  if (from === 'start') return 0n;
  if (from === 'end') return direction === 'forwards' ? undefined : INT64_MAX;
  if (from === undefined) return direction === 'forwards' ? 0n : INT64_MAX;
  return clampToInt64(from);
}

/** SQLite integers are 64-bit; positions and revisions are never negative, so -1n is as low as it matters. */
function clampToInt64(value: bigint): bigint {
  return value < -1n ? -1n : value > INT64_MAX ? INT64_MAX : value;
}

function serializeEvent(event: EventToAppend, index: number): SerializedEvent {
  return { id: event.id, type: event.type, ...checkedEventJson(event, index) };
}

/** Parameters in the order filteredRead() writes its placeholders. */
function filterParams(filter: EventFilter | undefined): (string | number)[] {
  return [
    ...(filter?.streamPrefixes ?? []).flatMap((prefix) => [prefix, prefix]),
    ...(filter?.eventTypes ?? []),
    ...(filter?.partition
      ? [
          ...(filter.streamPrefixes ?? []).flatMap((prefix) => [prefix, prefix, prefix]),
          filter.partition.count,
          filter.partition.index,
        ]
      : []),
  ];
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  const [position, streamId, revision, id, type, data, metadata, recordedAt] = row;
  return {
    id,
    streamId,
    type,
    revision,
    position,
    data: JSON.parse(data) as Record<string, unknown>,
    metadata: JSON.parse(metadata) as Record<string, unknown>,
    recordedAt: new Date(Number(recordedAt)),
  };
}
