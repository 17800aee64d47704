import { withoutPassword, withTimeout } from '@signet/config';
import {
  AccessDeniedError,
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  eventTypeFilter,
  FORWARDS,
  InvalidArgumentError,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  streamNameFilter,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type Position,
  type ReadPosition,
  type StreamingRead,
} from '@eventstore/db-client';
import {
  assertAppendArguments,
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { EventStoreClosedError, EventStoreUnavailableError } from '../event-store.errors';
import { matchesFilter, validateFilter } from '../event-filter';
import { checkedEventJson, isPlainObject } from '../event-validation';
import { mergedInLogOrder } from '../merged-reads';
import { waitForEventStore } from '../wait-for-event-store';
import type { Readable } from 'node:stream';

export interface EventStoreDbEventStoreOptions {
  /** `esdb://host:2113?tls=false`, `esdb+discover://...`: the client's connection string. */
  url: string;
  /** How long `ping()` waits for the server before failing (default 5000 ms). */
  pingTimeoutMs?: number;
  /** Resubscription backoff after a dropped subscription: doubles from `initialMs` up to `maxMs`. */
  resubscribeBackoff?: { initialMs?: number; maxMs?: number };
  /** Told about dropped subscriptions and each resubscription attempt (default: silent). */
  logger?: { warn(message: string): void };
}

/** Events read per page by readAll and headPosition: bounded calls, bounded memory. */
const PAGE_SIZE = 512;
/** A subscription stops pulling from the server while this many events wait for its consumer. */
const HIGH_WATER_MARK = 1024;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the client hands back for an event, JSON or binary, from a stream or from $all. */
interface ClientRecordedEvent {
  streamId: string;
  id: string;
  isJson: boolean;
  revision: bigint;
  type: string;
  created: Date;
  data: unknown;
  metadata: unknown;
  position?: Position;
}

/**
 * The event-store port on EventStoreDB (`@eventstore/db-client`, gRPC).
 *
 * - Revisions are the stream revisions; the port's global `position` is the event's commit position (EventStoreDB
 *   20+ gives every event its own commit position, equal to its prepare position).
 * - System events (`$`-prefixed stream or type) are never surfaced: readAll, subscriptions and headPosition
 *   skip them, as the embedded store has none.
 * - readAll filters on the client: the client sends no server-side filter for reads. Subscriptions filter on
 *   the server (stream prefixes, else an exact event-type regex, else "no system events"), with checkpoints.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly where: string;
  private readonly pingTimeoutMs: number;
  private readonly subscriptions = new Set<EsdbSubscription>();
  private closed = false;

  constructor(private readonly options: EventStoreDbEventStoreOptions) {
    this.where = `EventStoreDB at ${withoutPassword(options.url)} (EVENTSTORE_URL)`;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5000;
    try {
      this.client = EventStoreDBClient.connectionString(options.url);
    } catch (error) {
      throw new TypeError(`EVENTSTORE_URL is not a valid EventStoreDB connection string: ${describe(error)}`);
    }
  }

  async appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    this.assertOpen();
    const { expectedRevision } = options;
    assertAppendArguments(streamId, expectedRevision);
    const proposed = events.map(toEventData);
    // EventStoreDB has no "check only" write: an empty append is the check itself, on a read of the stream.
    if (proposed.length === 0) return this.checkExpectation(streamId, expectedRevision);
    try {
      const result = await this.client.appendToStream(streamId, proposed, {
        expectedRevision: toClientExpectedRevision(expectedRevision),
      });
      if (!result.position) throw new Error(`${this.where} acknowledged an append without a position`);
      return { nextRevision: result.nextExpectedRevision, position: result.position.commit };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new WrongExpectedRevisionError(streamId, expectedRevision, error.actualVersion);
      }
      throw error;
    }
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    const direction = options.direction ?? 'forwards';
    const maxCount = checkMaxCount(options.maxCount);
    if (maxCount === 0) return;
    let fromRevision: bigint | typeof START | typeof END;
    const from = options.fromRevision;
    if (from === undefined) fromRevision = direction === 'forwards' ? START : END;
    else if (from === 'start' || from === 'end') fromRevision = from;
    else if (from < 0n) {
      if (direction === 'backwards') return;
      fromRevision = START;
    } else fromRevision = from > U64_MAX ? U64_MAX : from;

    const read = this.client.readStream(streamId, {
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromRevision,
      maxCount: maxCount ?? Number.MAX_SAFE_INTEGER,
    });
    const release = releaseOnExit(read);
    let received = 0;
    try {
      for await (const resolved of read as AsyncIterable<{ event?: ClientRecordedEvent }>) {
        received += 1;
        if (resolved.event) yield toRecordedEvent(resolved.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return;
      throw error;
    } finally {
      release(maxCount !== undefined && received >= maxCount);
    }
  }

  /** EventStoreDB has no read of several named streams: each is read on its own and merged here. */
  readStreams(streamIds: readonly string[]): AsyncIterable<RecordedEvent> {
    return mergedInLogOrder([...new Set(streamIds)].map((streamId) => this.readStream(streamId)));
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    const direction = options.direction ?? 'forwards';
    const filter = options.filter;
    if (filter) validateFilter(filter);
    let remaining = checkMaxCount(options.maxCount) ?? Number.POSITIVE_INFINITY;
    if (remaining === 0) return;
    const from = options.fromPosition ?? (direction === 'forwards' ? 'start' : 'end');
    if (direction === 'forwards' && from === 'end') return;

    // `after`: everything at or before it (forwards) or at or after it (backwards) has been seen. Checking it
    // makes the pages overlap-proof whether the server's bound is inclusive or exclusive.
    let cursor: ReadPosition;
    let after: bigint | undefined;
    if (from === 'start' || (typeof from === 'bigint' && from <= 0n)) {
      if (direction === 'backwards') return;
      cursor = START;
    } else if (from === 'end') {
      cursor = END;
    } else {
      cursor = { commit: from, prepare: from };
      if (direction === 'forwards') after = from - 1n;
      else {
        // EventStoreDB reads backwards from *before* a position; the port includes it: fetch it first.
        const [atFrom] = await this.readAllPage(cursor, FORWARDS, 1);
        const event = atFrom?.event;
        if (event?.position?.commit === from && !isSystemEvent(event) && matchesFilter(filter, event)) {
          yield toRecordedEvent(event);
          if (--remaining === 0) return;
        }
        after = from;
      }
    }

    for (;;) {
      this.assertOpen();
      const page = await this.readAllPage(cursor, direction === 'forwards' ? FORWARDS : BACKWARDS, PAGE_SIZE);
      for (const resolved of page) {
        const event = resolved.event;
        const commit = event?.position?.commit;
        if (!event || commit === undefined) continue;
        if (after !== undefined && (direction === 'forwards' ? commit <= after : commit >= after)) continue;
        after = commit;
        cursor = event.position!;
        if (isSystemEvent(event) || !matchesFilter(filter, event)) continue;
        yield toRecordedEvent(event);
        if (--remaining === 0) return;
      }
      if (page.length < PAGE_SIZE) return;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    if (options.filter) validateFilter(options.filter);
    const subscription = new EsdbSubscription(
      {
        client: this.client,
        headPosition: () => this.headPosition(),
        readAt: async (position) => (await this.readAllPage(position, FORWARDS, 1))[0],
        detach: (closed) => this.subscriptions.delete(closed),
        backoff: {
          initialMs: this.options.resubscribeBackoff?.initialMs ?? 100,
          maxMs: this.options.resubscribeBackoff?.maxMs ?? 5000,
        },
        logger: this.options.logger,
        where: this.where,
      },
      options.fromPosition ?? 'start',
      options.filter,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** The commit position of the last non-system event, 0n when there is none. */
  async headPosition(): Promise<bigint> {
    this.assertOpen();
    let cursor: ReadPosition = END;
    for (;;) {
      const page = await this.readAllPage(cursor, BACKWARDS, 32);
      for (const resolved of page) {
        const event = resolved.event;
        if (event?.position && !isSystemEvent(event)) return event.position.commit;
      }
      const last = page[page.length - 1]?.event?.position;
      if (page.length < 32 || !last) return 0n;
      cursor = last;
    }
  }

  /** Reads the last event of $all within `pingTimeoutMs`; the error names the server and EVENTSTORE_URL. */
  async ping(): Promise<void> {
    this.assertOpen();
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    try {
      await withTimeout(
        collectRead(read),
        this.pingTimeoutMs,
        () => new EventStoreUnavailableError(`${this.where} did not answer within ${this.pingTimeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof EventStoreUnavailableError) throw error;
      throw new EventStoreUnavailableError(`${this.where} is unreachable: ${describe(error)}`, {
        cause: error,
      });
    } finally {
      // Abandoned on a timeout: ending the client's stream ends collectRead, which releases the call.
      if (!read.readableEnded) read.destroy();
    }
  }

  /**
   * Waits until the server answers a ping, retrying for at most `timeoutMs` (default 10 s): for start-up,
   * where an unreachable store must stop the service with a message naming it.
   */
  async connect(options: { timeoutMs?: number; retryEveryMs?: number } = {}): Promise<void> {
    await waitForEventStore(this, options);
  }

  /** Ends every subscription and disposes of the client. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  private async checkExpectation(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    let last: RecordedEvent | undefined;
    for await (const event of this.readStream(streamId, { direction: 'backwards', maxCount: 1 }))
      last = event;
    const current = last?.revision;
    const meets =
      expected === 'any' ||
      (expected === 'no_stream' && current === undefined) ||
      (expected === 'stream_exists' && current !== undefined) ||
      expected === current;
    if (!meets) throw new WrongExpectedRevisionError(streamId, expected, current ?? 'no_stream');
    return { nextRevision: current ?? -1n, position: last?.position ?? 0n };
  }

  private async readAllPage(
    fromPosition: ReadPosition,
    direction: typeof FORWARDS | typeof BACKWARDS,
    maxCount: number,
  ): Promise<AllStreamResolvedEvent[]> {
    this.assertOpen();
    return collectRead(this.client.readAll({ fromPosition, direction, maxCount }));
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

// ---- subscription ---------------------------------------------------------------------------------------

interface SubscriptionHost {
  client: EventStoreDBClient;
  headPosition(): Promise<bigint>;
  /** The first event at or after `position` (forwards read of one). */
  readAt(position: Position): Promise<AllStreamResolvedEvent | undefined>;
  detach(subscription: EsdbSubscription): void;
  backoff: { initialMs: number; maxMs: number };
  logger?: { warn(message: string): void };
  where: string;
}

type Item = { kind: 'event'; event: RecordedEvent } | { kind: 'caughtUp' };

/**
 * A catch-up subscription to $all that survives drops. It remembers the last position the server showed it
 * (an event, delivered or filtered out, or a checkpoint) and resubscribes from there with backoff; events at or
 * before that position are never delivered twice, and none after it is skipped.
 *
 * `caughtUp` resolves on the server's CaughtUp (EventStoreDB 23.10+). Older servers don't send it: then it
 * resolves once an event or checkpoint at or past the head measured at start has been seen.
 */
class EsdbSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (error: unknown) => void;
  private caughtUpSettled = false;
  private caughtUpQueued = false;

  private readonly items: Item[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private iterated = false;
  private failure: unknown;

  /** Exclusive: where the next (re)subscription starts. */
  private resumeFrom: Position | typeof START | undefined;
  /** The last event position seen from the server: anything at or before it is a duplicate. */
  private lastSeen: Position | undefined;
  /** `resumeFrom` came from a checkpoint past `lastSeen`: an event sitting exactly on it is checked first. */
  private checkpointAhead = false;
  private startHead: bigint | undefined;

  private current: AllStreamSubscription | undefined;
  private stopCurrent: (() => void) | undefined;
  private stopSleeping: (() => void) | undefined;
  private attempt = 0;

  constructor(
    private readonly host: SubscriptionHost,
    from: bigint | 'start' | 'end',
    private readonly filter: EventFilter | undefined,
  ) {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    // Nobody has to await caughtUp; its rejection on early close must not become an unhandled rejection.
    this.caughtUp.catch(() => undefined);
    if (from === 'start' || (typeof from === 'bigint' && from <= 0n)) this.resumeFrom = START;
    else if (typeof from === 'bigint') this.resumeFrom = { commit: from, prepare: from };
    void this.run();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('A subscription can be iterated only once');
    this.iterated = true;
    return this.deliver();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopSleeping?.();
    this.stopCurrent?.();
    this.host.detach(this);
    this.settleCaughtUp(new Error('The subscription was closed before it caught up'));
    this.notify();
  }

  private async *deliver(): AsyncGenerator<RecordedEvent, void, undefined> {
    try {
      for (;;) {
        if (this.closed) return;
        const item = this.items.shift();
        if (item?.kind === 'caughtUp') {
          this.settleCaughtUp();
          continue;
        }
        if (item) {
          yield item.event;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        // Below the high-water mark again: take what the client has buffered meanwhile.
        if (this.current) this.drain(this.current, false);
        if (this.items.length > 0) continue;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } catch (error) {
      this.settleCaughtUp(error);
      throw error;
    } finally {
      // Also reached when the consumer breaks out of its for-await loop.
      await this.close();
    }
  }

  /** Subscribes, and resubscribes with backoff after every drop, until closed or a fatal error. */
  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        if (this.startHead === undefined) this.startHead = await this.host.headPosition();
        if (this.resumeFrom === undefined) {
          // 'end', made concrete once, so that a drop before the first event loses nothing appended since.
          this.resumeFrom =
            this.startHead === 0n ? START : { commit: this.startHead, prepare: this.startHead };
        }
        if (this.checkpointAhead && this.resumeFrom !== START) {
          const atCheckpoint = await this.host.readAt(this.resumeFrom);
          if (atCheckpoint?.event?.position && samePosition(atCheckpoint.event.position, this.resumeFrom)) {
            this.accept(atCheckpoint);
          }
          this.checkpointAhead = false;
        }
        if (this.closed) return;
        await this.subscribeOnce();
      } catch (error) {
        if (this.closed) return;
        if (isFatal(error)) {
          this.failure = error;
          this.settleCaughtUp(error);
          this.notify();
          return;
        }
        this.host.logger?.warn(`Subscription to ${this.host.where} failed: ${describe(error)}`);
      }
      if (this.closed) return;
      const delay = Math.min(this.host.backoff.initialMs * 2 ** this.attempt, this.host.backoff.maxMs);
      this.attempt += 1;
      this.host.logger?.warn(`Resubscribing to ${this.host.where} in ${delay} ms (attempt ${this.attempt})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay * (0.75 + Math.random() / 2));
        this.stopSleeping = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.stopSleeping = undefined;
    }
  }

  /** One server subscription: settles when it ends (resolves on a drop, rejects on a fatal error). */
  private subscribeOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let subscription: AllStreamSubscription | undefined = undefined;
      let done = false;
      const finish = (error?: unknown): void => {
        if (done) return;
        done = true;
        const ended = subscription!;
        // Everything the client already decoded is ours before the next attempt starts.
        if (!this.closed) this.drain(ended, true);
        this.current = undefined;
        this.stopCurrent = undefined;
        ended.removeAllListeners();
        ended.on('error', () => undefined);
        void ended.unsubscribe().catch(() => undefined);
        ended.destroy();
        if (error !== undefined && isFatal(error)) reject(error);
        else {
          if (!this.closed) {
            this.host.logger?.warn(
              `Subscription to ${this.host.where} dropped${error === undefined ? '' : `: ${describe(error)}`}`,
            );
          }
          resolve();
        }
      };
      const checkpointReached = (from: AllStreamSubscription, position: Position): void => {
        if (from !== this.current) return;
        this.drain(from, true);
        this.onCheckpoint(position);
      };
      subscription = this.host.client.subscribeToAll({
        fromPosition: this.resumeFrom ?? START,
        filter: serverFilter(this.filter, checkpointReached),
      });
      this.current = subscription;
      this.stopCurrent = () => finish();
      subscription.on('readable', () => this.drain(subscription!, false));
      subscription.on('confirmation', () => {
        this.attempt = 0;
        if (
          this.startHead === 0n ||
          (this.resumeFrom !== START && this.resumeFrom!.commit >= this.startHead!)
        ) {
          this.queueCaughtUp();
        }
      });
      subscription.on('caughtUp', () => {
        this.drain(subscription!, true);
        this.queueCaughtUp();
      });
      subscription.on('error', (error: unknown) => finish(error));
      subscription.on('end', () => finish());
      subscription.on('close', () => finish());
    });
  }

  /** Moves decoded events from the client's buffer to ours; `force` ignores our high-water mark. */
  private drain(subscription: AllStreamSubscription, force: boolean): void {
    if (subscription !== this.current) return;
    while (force || this.items.length < HIGH_WATER_MARK) {
      const resolved = subscription.read() as AllStreamResolvedEvent | null;
      if (resolved === null) break;
      this.accept(resolved);
    }
  }

  private accept(resolved: AllStreamResolvedEvent): void {
    const event = resolved.event;
    if (!event?.position || this.failure !== undefined) return;
    const position = event.position;
    if (this.lastSeen && comparePositions(position, this.lastSeen) <= 0) return;
    this.lastSeen = position;
    this.resumeFrom = position;
    this.checkpointAhead = false;
    if (!isSystemEvent(event) && matchesFilter(this.filter, event)) {
      try {
        this.items.push({ kind: 'event', event: toRecordedEvent(event) });
      } catch (error) {
        this.failure = error;
        this.stopCurrent?.();
      }
    }
    if (this.startHead !== undefined && position.commit >= this.startHead) this.queueCaughtUp();
    this.notify();
  }

  private onCheckpoint(position: Position): void {
    const resumeFrom = this.resumeFrom;
    if (resumeFrom === undefined || resumeFrom === START || comparePositions(position, resumeFrom) > 0) {
      this.resumeFrom = position;
      this.checkpointAhead = !this.lastSeen || comparePositions(position, this.lastSeen) > 0;
    }
    if (this.startHead !== undefined && position.commit >= this.startHead) this.queueCaughtUp();
  }

  private queueCaughtUp(): void {
    if (this.caughtUpQueued) return;
    this.caughtUpQueued = true;
    this.items.push({ kind: 'caughtUp' });
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }

  private settleCaughtUp(error?: unknown): void {
    if (this.caughtUpSettled) return;
    this.caughtUpSettled = true;
    if (error === undefined) this.resolveCaughtUp();
    else this.rejectCaughtUp(error);
  }
}

// ---- mapping --------------------------------------------------------------------------------------------

const U64_MAX = 0xffffffffffffffffn;

function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
}

function toEventData(event: EventToAppend, index: number) {
  if (typeof event.id !== 'string' || !UUID_PATTERN.test(event.id)) {
    throw new TypeError(`Event ${index}: id must be a UUID (EventStoreDB requires one)`);
  }
  checkedEventJson(event, index);
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata });
}

function toRecordedEvent(event: ClientRecordedEvent): RecordedEvent {
  const metadata = event.metadata === undefined ? {} : event.metadata;
  if (!event.isJson || !isPlainObject(event.data) || !isPlainObject(metadata)) {
    throw new TypeError(
      `Event ${event.id} in stream ${event.streamId} (revision ${event.revision}) is not a JSON object event`,
    );
  }
  if (!event.position) throw new TypeError(`Event ${event.id} in stream ${event.streamId} has no position`);
  return {
    id: event.id,
    streamId: event.streamId,
    type: event.type,
    revision: event.revision,
    position: event.position.commit,
    data: event.data,
    metadata,
    recordedAt: event.created,
  };
}

function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/**
 * The server filters on one thing: stream prefixes when given, else the exact event types, else "no system
 * events". The rest of the port's filter is applied on arrival.
 */
function serverFilter(
  filter: EventFilter | undefined,
  checkpointReached: (subscription: AllStreamSubscription, position: Position) => void,
) {
  if (filter?.streamPrefixes) return streamNameFilter({ prefixes: filter.streamPrefixes, checkpointReached });
  if (filter?.eventTypes) {
    const alternatives = filter.eventTypes.map((type) => type.replace(/[\\^$.*+?()[\]{}|#\s-]/g, '\\$&'));
    return eventTypeFilter({ regex: `^(?:${alternatives.join('|')})$`, checkpointReached });
  }
  return eventTypeFilter({ regex: '^[^$]', checkpointReached });
}

function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  return a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1;
}

function samePosition(a: Position, b: Position): boolean {
  return comparePositions(a, b) === 0;
}

function checkMaxCount(maxCount: number | undefined): number | undefined {
  if (maxCount !== undefined && !(Number.isSafeInteger(maxCount) && maxCount >= 0)) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  }
  return maxCount;
}

/** Errors a resubscription cannot fix. Everything else (unavailable, cancelled, timeouts) is retried. */
function isFatal(error: unknown): boolean {
  return (
    error instanceof AccessDeniedError || error instanceof InvalidArgumentError || error instanceof TypeError
  );
}

async function collectRead<T>(read: StreamingRead<T>): Promise<T[]> {
  const release = releaseOnExit(read);
  const items: T[] = [];
  try {
    for await (const item of read as AsyncIterable<T>) items.push(item);
    return items;
  } finally {
    release(false);
  }
}

/**
 * Makes sure the gRPC call behind a client read ends, however its consumer leaves the read; returns the
 * function to call when the consumer is done (`complete`: it got every event it asked for).
 *
 * The client's dispose() (our close) waits for every call it started to end, and a call's stream ends only
 * once read to its end: a consumer that leaves early leaves the call paused with its end unread, and close()
 * would wait forever. So the call is unpiped and left flowing to its end. A call still running is cancelled
 * too, but only then: the client takes a cancelled call as a reason to reconnect, so a read that already got
 * all it asked for (`maxCount`) is drained, not cancelled.
 */
function releaseOnExit(read: StreamingRead<unknown>): (complete: boolean) => void {
  let call: (Readable & { cancel?: () => void }) | undefined;
  let exit: { complete: boolean } | undefined;
  const release = (): void => {
    call!.unpipe(read as unknown as NodeJS.WritableStream);
    call!.resume();
    // Deferred as the client's own cancel() is (grpc/grpc-node#1464, #1652).
    if (!exit!.complete) setImmediate(() => call!.cancel?.());
    read.destroy();
  };
  // The client pipes the call into `read` once its channel is ready, possibly after the consumer left.
  read.once('pipe', (source: unknown) => {
    call = source as Readable & { cancel?: () => void };
    if (exit) release();
  });
  return (complete) => {
    if (exit || read.readableEnded) return;
    exit = { complete };
    if (call) release();
    else read.destroy();
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
