import {
  matchesFilter,
  type EventStore,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '@signet/event-store';

/** What a projection runner follows: events past its checkpoint, in log order, until it closes them. */
export interface LogFollower extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/** Where a runner reads the log from: the event store itself, or a SharedLog in front of it. */
export interface LogSource {
  subscribeToAll(options: SubscribeOptions): LogFollower;
}

/** Most events held for one follower that has fallen behind the others before it reads on its own. */
const DEFAULT_HOLD_LIMIT = 2000;

/**
 * One read of the log for every projection runner of a process. Each runner follows from its own checkpoint;
 * those at the shared reading's position are fed from it (each event read, parsed and opened once, the same
 * object handed to each), and a follower that is behind, or falls too far behind, reads the log on its own
 * until it reaches the shared position again. So a runner that stops (faulted, on standby, superseded) only
 * leaves, a slow one never holds the others back, and none misses or repeats an event.
 *
 * The shared reading keeps `streamPrefixes`; a follower asking for anything it does not cover (event types, a
 * partition, another prefix, the log's end) reads on its own throughout.
 */
export class SharedLog implements LogSource {
  private readonly prefixes: string[];
  private readonly holdLimit: number;
  private readonly followers = new Set<SharedFollower>();
  private reading: { subscription: Subscription; events: AsyncIterator<RecordedEvent> } | undefined;
  /** Every event of the shared reading up to here has been handed to the followers. */
  private position = 0n;
  private pulling: Promise<void> | undefined;

  constructor(
    private readonly source: Pick<EventStore, 'subscribeToAll'>,
    options: { streamPrefixes: string[]; holdLimit?: number },
  ) {
    this.prefixes = [...new Set(options.streamPrefixes)];
    this.holdLimit = options.holdLimit ?? DEFAULT_HOLD_LIMIT;
  }

  subscribeToAll(options: SubscribeOptions): LogFollower {
    const from = options.fromPosition ?? 'start';
    if (from === 'end' || !this.covers(options)) return this.source.subscribeToAll(options);
    const follower = new SharedFollower(this, this.source, options, from === 'start' ? 0n : from);
    this.followers.add(follower);
    return follower;
  }

  /** The shared position: every event of the reading up to it has been handed out. */
  get handedOutTo(): bigint {
    return this.position;
  }

  /** Whether a follower whose last event is at `cursor` can go on from the shared reading (started there if none). */
  joinable(cursor: bigint): boolean {
    if (!this.reading) {
      const subscription = this.source.subscribeToAll({
        fromPosition: cursor,
        filter: { streamPrefixes: this.prefixes },
      });
      this.reading = { subscription, events: subscription[Symbol.asyncIterator]() };
      this.position = cursor;
    }
    // Not one that is ahead either: it would wait while the reading catches up with it.
    return cursor === this.position;
  }

  /** Reads the next event of the shared reading and hands it to every follower; one read at a time. */
  pull(): Promise<void> {
    const reading = this.reading!;
    this.pulling ??= reading.events.next().then(
      (next) => {
        this.pulling = undefined;
        if (this.reading !== reading) return;
        if (next.done) return this.drop({ ended: true });
        this.position = next.value.position;
        for (const follower of this.followers) follower.hand(next.value, this.holdLimit);
      },
      (error: unknown) => {
        this.pulling = undefined;
        if (this.reading === reading) this.drop({ error });
      },
    );
    return this.pulling;
  }

  leave(follower: SharedFollower): void {
    this.followers.delete(follower);
    this.dropIfUnfollowed();
  }

  /** Nobody on the shared reading any more: closed, so that the next to join starts one where it stands. */
  dropIfUnfollowed(): void {
    for (const follower of this.followers) if (follower.onSharedReading) return;
    this.drop({ ended: true });
  }

  private drop(why: { ended: true } | { error: unknown }): void {
    const reading = this.reading;
    if (!reading) return;
    this.reading = undefined;
    for (const follower of this.followers) follower.readingDropped(why);
    void reading.subscription.close();
  }

  private covers(options: SubscribeOptions): boolean {
    const filter = options.filter;
    if (!filter?.streamPrefixes || filter.eventTypes || filter.partition) return false;
    return filter.streamPrefixes.every((prefix) => this.prefixes.some((shared) => prefix.startsWith(shared)));
  }
}

/**
 * One runner's view of the log; `cursor` is the last event it was given. On the shared reading, `held` keeps
 * what it was handed and has not taken yet. Alone (behind, or fallen behind), it reads the log on its own and
 * holds meanwhile what the shared reading hands out from `rejoinAt` on, so it can go back to it without a gap
 * once its own reading has reached that point.
 */
class SharedFollower implements LogFollower {
  private held: RecordedEvent[] = [];
  private alone: { subscription: Subscription; events: AsyncIterator<RecordedEvent> } | undefined;
  /** While alone: `held` has every event of ours handed out past this position (undefined: not holding yet). */
  private rejoinAt: bigint | undefined;
  private closed = false;
  /** Settles on close: a follower waiting for the shared reading's next event stops waiting. */
  private readonly closing: Promise<void>;
  private settleClosing!: () => void;
  /** The shared reading ended (the store closed) or failed while this follower was on it. */
  private readingLost: { ended: true } | { error: unknown } | undefined;
  private iterated = false;

  constructor(
    private readonly log: SharedLog,
    private readonly source: Pick<EventStore, 'subscribeToAll'>,
    private readonly options: SubscribeOptions,
    private cursor: bigint,
  ) {
    this.closing = new Promise((resolve) => (this.settleClosing = resolve));
    if (!log.joinable(cursor)) this.goAlone();
  }

  get onSharedReading(): boolean {
    return !this.alone;
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('A subscription can be iterated only once');
    this.iterated = true;
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settleClosing();
    this.held = [];
    this.log.leave(this);
    await this.alone?.subscription.close();
  }

  /** An event of the shared reading: kept if it is ours, past our cursor, and we are on the reading or holding. */
  hand(event: RecordedEvent, limit: number): void {
    if (this.alone && this.rejoinAt === undefined) return;
    if (event.position <= this.cursor || !matchesFilter(this.options.filter, event)) return;
    this.held.push(event);
    if (this.held.length <= limit) return;
    // Too far behind the others: on alone, holding again from here on.
    this.held = [];
    if (this.alone) {
      this.rejoinAt = event.position;
    } else {
      this.goAlone();
      this.log.dropIfUnfollowed();
    }
  }

  readingDropped(why: { ended: true } | { error: unknown }): void {
    this.held = [];
    this.rejoinAt = undefined;
    if (!this.alone) this.readingLost = why;
  }

  private async next(): Promise<IteratorResult<RecordedEvent>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      if (this.readingLost) {
        if ('error' in this.readingLost) throw this.readingLost.error;
        return { done: true, value: undefined };
      }
      if (this.alone) this.rejoinIfCaughtUp();
      if (this.alone) {
        const alone = this.alone;
        const next = await alone.events.next();
        if (next.done && this.alone === alone && !this.closed) return next; // the store closed
        if (next.done) continue; // closed by close(), or on rejoining
        this.cursor = next.value.position;
        return next;
      }
      const event = this.held.shift();
      if (event === undefined) {
        await Promise.race([this.log.pull(), this.closing]);
        continue;
      }
      if (event.position <= this.cursor) continue;
      this.cursor = event.position;
      return { done: false, value: event };
    }
  }

  /** Back on the shared reading once our own has reached the point from which `held` has everything. */
  private rejoinIfCaughtUp(): void {
    if (this.rejoinAt === undefined) {
      if (this.log.joinable(this.cursor)) return this.leaveAlone();
      this.rejoinAt = this.log.handedOutTo;
      return;
    }
    if (this.cursor >= this.rejoinAt && this.log.handedOutTo >= this.cursor) this.leaveAlone();
  }

  private goAlone(): void {
    const subscription = this.source.subscribeToAll({ ...this.options, fromPosition: this.cursor });
    this.alone = { subscription, events: subscription[Symbol.asyncIterator]() };
    this.rejoinAt = undefined;
  }

  private leaveAlone(): void {
    const alone = this.alone!;
    this.alone = undefined;
    this.rejoinAt = undefined;
    void alone.subscription.close();
  }
}
