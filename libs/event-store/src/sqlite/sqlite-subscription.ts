import type { EventFilter, RecordedEvent, Subscription } from '../event-store.port';

/** What a subscription needs from the store; kept narrow so the subscription never touches SQLite itself. */
export interface SubscriptionFeed {
  /** The last committed position. Every position at or below it is committed: SQLite serialises writers. */
  head(): bigint;
  /** Events matching `filter` with `after < position <= upTo`, in position order, at most `limit`. */
  page(after: bigint, upTo: bigint, filter: EventFilter | undefined, limit: number): RecordedEvent[];
  /** Settles once an event past `position` may exist (a local commit, or a poll saw one), or on `cancel`. */
  waitPast(position: bigint): { arrived: Promise<void>; cancel(): void };
  detach(subscription: SqliteSubscription): void;
}

const PAGE_SIZE = 500;

/**
 * A pull-based catch-up subscription: the next page is read only when the consumer asks for more, so a slow
 * consumer holds at most one page in memory and history and live events go through the same code path.
 */
export class SqliteSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (error: unknown) => void;
  private caughtUpSettled = false;
  private closed = false;
  private iterated = false;
  private cancelWait: (() => void) | undefined;

  /**
   * @param cursor exclusive: the last position already seen
   * @param caughtUpAt the head when the subscription started; `caughtUp` resolves once everything up to it is delivered
   */
  constructor(
    private readonly feed: SubscriptionFeed,
    private cursor: bigint,
    private readonly caughtUpAt: bigint,
    private readonly filter: EventFilter | undefined,
  ) {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    // Nobody has to await caughtUp; its rejection on early close must not become an unhandled rejection.
    this.caughtUp.catch(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('A subscription can be iterated only once');
    this.iterated = true;
    return this.deliver();
  }

  close(): Promise<void> {
    this.stop();
    return Promise.resolve();
  }

  private stop(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelWait?.();
    this.feed.detach(this);
    this.settleCaughtUp(new Error('The subscription was closed before it caught up'));
  }

  private async *deliver(): AsyncGenerator<RecordedEvent, void, undefined> {
    try {
      while (!this.closed) {
        // Bounding the page by a head read first makes "the page was not full" mean "scanned up to head",
        // even for events another process commits in between.
        const head = this.feed.head();
        const page = this.feed.page(this.cursor, head, this.filter, PAGE_SIZE);
        for (const event of page) {
          if (event.position > this.caughtUpAt) this.settleCaughtUp();
          yield event;
          this.cursor = event.position;
          if (this.closed) return;
        }
        if (page.length === PAGE_SIZE) continue;
        // Events the filter skipped up to head need not be scanned again.
        if (head > this.cursor) this.cursor = head;
        if (this.cursor >= this.caughtUpAt) this.settleCaughtUp();
        const wait = this.feed.waitPast(this.cursor);
        this.cancelWait = wait.cancel;
        await wait.arrived;
        this.cancelWait = undefined;
      }
    } catch (error) {
      this.settleCaughtUp(error);
      throw error;
    } finally {
      // Also reached when the consumer breaks out of its for-await loop.
      this.stop();
    }
  }

  private settleCaughtUp(error?: unknown): void {
    if (this.caughtUpSettled) return;
    this.caughtUpSettled = true;
    if (error === undefined) this.resolveCaughtUp();
    else this.rejectCaughtUp(error);
  }
}
