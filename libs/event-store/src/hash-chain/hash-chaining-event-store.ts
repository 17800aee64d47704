import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  PingOptions,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { chainLink, chainLinkOf, GENESIS_HASH } from './event-hash';

/** Appends with 'any' or 'stream_exists' that lose this many races in a row give up. */
const MAX_LOOSE_APPEND_ATTEMPTS = 50;
/** Stream heads kept in memory; beyond that, the least recently written stream's head is read back. */
const REMEMBERED_HEADS = 10_000;

/**
 * Tamper evidence for any EventStore: every appended event gets `metadata.chain`, a SHA-256 link to the
 * previous event of its stream (see event-hash.ts). Reads pass through unchanged.
 *
 * A link is computed from the stream's last event, so the append must land exactly after it: it is sent to
 * the inner store with the exact revision the link was computed for, which the inner store checks atomically.
 * With an exact revision or 'no_stream', a conflict is the caller's to handle, as without the chain; 'any'
 * and 'stream_exists' are retried on the fresh head, so concurrent writers can never fork a chain. The head
 * is remembered from the last append, and read back when unknown or wrong.
 */
export class HashChainingEventStore implements EventStore {
  /** The last link of recently written streams, so that an append need not read it back (LRU). */
  private readonly heads = new Map<string, StreamHead>();

  constructor(private readonly inner: EventStore) {}

  async appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const { expectedRevision } = options;
    // Nothing to chain, or something the inner store refuses anyway: let it answer in its own words.
    const checkable = streamId !== '' && isExpectedRevision(expectedRevision) && events.every(isChainable);
    if (events.length === 0 || !checkable) {
      return this.inner.appendToStream(streamId, events, options);
    }
    const loose = expectedRevision === 'any' || expectedRevision === 'stream_exists';
    for (let attempt = 1; ; attempt++) {
      const head = await this.headOf(streamId, expectedRevision, attempt === 1);
      const actual = head === 'no_stream' ? 'no_stream' : head.revision;
      if (!expectationHolds(expectedRevision, actual)) {
        throw new WrongExpectedRevisionError(streamId, expectedRevision, actual);
      }
      const chained = chain(streamId, events, head);
      try {
        const result = await this.inner.appendToStream(streamId, chained, { expectedRevision: actual });
        this.remember(streamId, {
          revision: result.nextRevision,
          hash: chainLinkOf(chained[chained.length - 1].metadata)!.hash,
        });
        return result;
      } catch (error) {
        this.heads.delete(streamId);
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (!loose || attempt >= MAX_LOOSE_APPEND_ATTEMPTS) {
          throw new WrongExpectedRevisionError(streamId, expectedRevision, error.actual);
        }
      }
    }
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readStream(streamId, options);
  }

  readStreams(streamIds: readonly string[]): AsyncIterable<RecordedEvent> {
    return this.inner.readStreams(streamIds);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options?: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  ping(options?: PingOptions): Promise<void> {
    return this.inner.ping(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Where the append must land. A remembered head is only a guess: the inner store checks it atomically,
   * and a wrong guess fails as a conflict (re-read once for 'any' and 'stream_exists'). 'no_stream' needs
   * no read at all.
   */
  private async headOf(
    streamId: string,
    expected: ExpectedRevision,
    mayGuess: boolean,
  ): Promise<StreamHead | 'no_stream'> {
    if (expected === 'no_stream') return 'no_stream';
    const remembered = mayGuess ? this.heads.get(streamId) : undefined;
    if (remembered && (typeof expected !== 'bigint' || remembered.revision === expected)) return remembered;
    for await (const last of this.inner.readStream(streamId, { direction: 'backwards', maxCount: 1 })) {
      // A last event without a link (written before the chain existed) is reported by verification.
      return { revision: last.revision, hash: chainLinkOf(last.metadata)?.hash ?? GENESIS_HASH };
    }
    return 'no_stream';
  }

  private remember(streamId: string, head: StreamHead): void {
    this.heads.delete(streamId);
    this.heads.set(streamId, head);
    if (this.heads.size > REMEMBERED_HEADS) this.heads.delete(this.heads.keys().next().value!);
  }
}

interface StreamHead {
  revision: bigint;
  hash: string;
}

function chain(streamId: string, events: EventToAppend[], head: StreamHead | 'no_stream'): EventToAppend[] {
  let previousHash = head === 'no_stream' ? GENESIS_HASH : head.hash;
  let revision = head === 'no_stream' ? -1n : head.revision;
  return events.map((event) => {
    revision += 1n;
    const { chain: _ignored, ...metadata } = event.metadata;
    const link = chainLink({ streamId, revision, ...event, metadata }, previousHash);
    previousHash = link.hash;
    return { ...event, metadata: { ...metadata, chain: link } };
  });
}

function isChainable(event: EventToAppend): boolean {
  const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  return isObject(event) && isObject(event.data) && isObject(event.metadata);
}

function isExpectedRevision(value: unknown): value is ExpectedRevision {
  if (typeof value === 'bigint') return value >= 0n;
  return value === 'no_stream' || value === 'stream_exists' || value === 'any';
}

function expectationHolds(expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 'no_stream';
    case 'stream_exists':
      return actual !== 'no_stream';
    default:
      return actual === expected;
  }
}
