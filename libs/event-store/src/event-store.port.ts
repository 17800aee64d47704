/**
 * The event-store port. The embedded SQLite adapter implements it today; an EventStoreDB adapter implements
 * the same contract later (see event-store.contract.ts). Revisions and positions are `bigint` because
 * EventStoreDB's are 64-bit; they travel in JSON as strings.
 */

/** What the writer expects the stream to be at: absent, exactly at a revision, existing, or anything. */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface EventToAppend {
  /** A UUID; the event's identity everywhere (metadata, audit, idempotent re-delivery). */
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface RecordedEvent {
  id: string;
  streamId: string;
  type: string;
  /** 0-based position of the event inside its stream. */
  revision: bigint;
  /** Global, strictly increasing position across all streams (1-based). */
  position: bigint;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: Date;
}

export interface AppendResult {
  /** The revision of the last event written: the stream's new current revision. */
  nextRevision: bigint;
  /** The global position of the last event written. */
  position: bigint;
}

export type ReadDirection = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  direction?: ReadDirection;
  /** Inclusive. Defaults to the start (forwards) or the end (backwards). */
  fromRevision?: bigint | 'start' | 'end';
  maxCount?: number;
}

export interface EventFilter {
  /** Keep events whose stream id starts with one of these prefixes (e.g. `securityInfo-`). */
  streamPrefixes?: string[];
  /** Keep events of one of these types. */
  eventTypes?: string[];
  /**
   * Keep the events of one part of the streams cut into `count` parts by what follows the stream's prefix
   * (the person, in `category-<user id>`; the whole stream id without `streamPrefixes`): the same key is always
   * in the same part, whichever of the prefixes it follows. A rebuild split across threads reads one part each.
   */
  partition?: { count: number; index: number };
}

export interface ReadAllOptions {
  direction?: ReadDirection;
  /** Inclusive. Defaults to the start (forwards) or the end (backwards). */
  fromPosition?: bigint | 'start' | 'end';
  maxCount?: number;
  filter?: EventFilter;
  /**
   * The reader never looks at the personal fields of the events' metadata (where a request came from: the
   * client address and user agent; a help-desk administrator's reason): a store that seals them may leave them out instead of opening them (a
   * projection's rebuild reads millions of events). The events' data is read as ever. Absent: read as written.
   */
  withoutPersonalMetadata?: boolean;
}

export interface SubscribeOptions {
  /**
   * Exclusive: the subscription delivers events *after* this position, as EventStoreDB's do.
   * 'start' delivers everything; 'end' only what is appended from now on.
   */
  fromPosition?: bigint | 'start' | 'end';
  filter?: EventFilter;
}

/** A catch-up subscription: replays history past `fromPosition`, then stays live. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  /** Resolves once every event that existed when the subscription started has been delivered. */
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

export interface EventStore {
  appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /**
   * The events of several streams, each from its start, merged in log order (global position): what one
   * decision or one person's history reads. A stream named twice is read once; a missing one adds nothing.
   */
  readStreams(streamIds: readonly string[]): AsyncIterable<RecordedEvent>;
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /** The position of the last event in the store, 0n when empty. */
  headPosition(): Promise<bigint>;
  /**
   * Whether the store answers (start-up waits); with `write`, whether it can still make a write durable where it
   * should (readiness): an embedded store checks that its file is still there and commits a write probe.
   */
  ping(options?: PingOptions): Promise<void>;
  close(): Promise<void>;
}

/** The stream is not at the revision the writer expected: someone else wrote first. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual current revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

export const EVENT_STORE = Symbol('EventStore');

/** The checks every adapter makes on an append's arguments before touching its store. */
export function assertAppendArguments(streamId: unknown, expectedRevision: unknown): void {
  if (typeof streamId !== 'string' || streamId === '') {
    throw new TypeError('streamId must be a non-empty string');
  }
  const valid =
    typeof expectedRevision === 'bigint'
      ? expectedRevision >= 0n
      : expectedRevision === 'no_stream' ||
        expectedRevision === 'stream_exists' ||
        expectedRevision === 'any';
  if (!valid) throw new RangeError(`Invalid expected revision ${String(expectedRevision)}`);
}

export interface PingOptions {
  /** Also prove that a write can be made durable (readiness), not only that the store answers. */
  write?: boolean;
}
