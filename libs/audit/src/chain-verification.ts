import { streamsOfUser } from '@signet/domain';
import {
  chainLinkOf,
  GENESIS_HASH,
  hashEvent,
  type EventStore,
  type RecordedEvent,
} from '@signet/event-store';
import { readUserStreams } from './user-streams';

/** How a chain was found broken. */
export type BrokenLinkKind =
  /** The event carries no (usable) link. */
  | 'missing-link'
  /** The event's content no longer hashes to its recorded hash: it was altered. */
  | 'altered'
  /** The event does not chain to the one before it: an event was removed or moved before it. */
  | 'broken-link'
  /** A revision is missing before this one: events were removed. */
  | 'missing-events'
  /** Revisions or positions go backwards: events were reordered. */
  | 'out-of-order'
  /** A checkpointed head is gone: the stream's last events were removed. */
  | 'truncated'
  /** A checkpointed head has another hash now: the stream was rewritten, chain and all. */
  | 'rewritten';

export interface BrokenLink {
  kind: BrokenLinkKind;
  streamId: string;
  /** The event where the chain breaks (for `truncated`, the checkpointed head that is gone). */
  revision: string;
  /** Its global position; null when the event is gone. */
  position: string | null;
  expected: string;
  actual: string;
}

/** The last link of a stream, as a checkpoint keeps it outside the store. */
export interface ChainHead {
  streamId: string;
  revision: string;
  hash: string;
}

export interface ChainVerification {
  streams: number;
  events: number;
  /** The first broken link in log order; null when every chain holds. */
  broken: BrokenLink | null;
  /** Every verified stream's last link (when nothing is broken): the next checkpoint. */
  heads: ChainHead[];
}

interface StreamHead {
  revision: bigint;
  position: bigint;
  hash: string;
}

/**
 * Recomputes hash chains: one user's streams (Security info and code delivery), or every stream in the store (the access log included), in log
 * order. Memory grows with the number of streams, not of events.
 *
 * A chain kept inside the store cannot show that a stream's last events were removed, nor that a stream was
 * rewritten from its first event with new hashes. `checkpoint` closes that gap: heads from an earlier run
 * (kept where the store's writers cannot change them) must still be there with the same hashes.
 */
export async function verifyChains(
  store: EventStore,
  scope: { userId?: string; checkpoint?: ChainHead[] },
): Promise<ChainVerification> {
  const heads = new Map<string, StreamHead>();
  const userStreams = scope.userId === undefined ? undefined : streamsOfUser(scope.userId);
  const anchors = new Map(
    (scope.checkpoint ?? [])
      .filter((head) => userStreams === undefined || userStreams.includes(head.streamId))
      .map((head) => [head.streamId, head]),
  );
  let events = 0;
  const result = (broken: BrokenLink | null): ChainVerification => ({
    streams: heads.size,
    events,
    broken,
    heads: broken
      ? []
      : [...heads].map(([id, head]) => ({
          streamId: id,
          revision: head.revision.toString(),
          hash: head.hash,
        })),
  });

  const source = scope.userId === undefined ? store.readAll() : readUserStreams(store, scope.userId);
  for await (const event of source) {
    events += 1;
    const head = heads.get(event.streamId);
    const broken = checkLink(event, head) ?? checkAnchor(event, anchors.get(event.streamId));
    if (broken)
      return result(broken.kind === 'missing-events' ? await refineGap(store, broken, head) : broken);
    heads.set(event.streamId, {
      revision: event.revision,
      position: event.position,
      hash: chainLinkOf(event.metadata)!.hash,
    });
  }
  for (const anchor of anchors.values()) {
    const head = heads.get(anchor.streamId);
    if (!head || head.revision < BigInt(anchor.revision)) {
      return result({
        kind: 'truncated',
        streamId: anchor.streamId,
        revision: anchor.revision,
        position: null,
        expected: `revision ${anchor.revision} (checkpointed)`,
        actual: head ? `last revision ${head.revision}` : 'no events',
      });
    }
  }
  return result(null);
}

function checkAnchor(event: RecordedEvent, anchor: ChainHead | undefined): BrokenLink | null {
  if (!anchor || anchor.revision !== event.revision.toString()) return null;
  const hash = chainLinkOf(event.metadata)!.hash;
  if (hash === anchor.hash) return null;
  return {
    kind: 'rewritten',
    streamId: event.streamId,
    revision: event.revision.toString(),
    position: event.position.toString(),
    expected: anchor.hash,
    actual: hash,
  };
}

function checkLink(event: RecordedEvent, previous: StreamHead | undefined): BrokenLink | null {
  const at = {
    streamId: event.streamId,
    revision: event.revision.toString(),
    position: event.position.toString(),
  };
  const expectedRevision = previous ? previous.revision + 1n : 0n;
  if (event.revision < expectedRevision || (previous && event.position <= previous.position)) {
    return {
      kind: 'out-of-order',
      ...at,
      expected: `revision ${expectedRevision} after position ${previous?.position ?? 0n}`,
      actual: `revision ${event.revision} at position ${event.position}`,
    };
  }
  if (event.revision > expectedRevision) {
    return {
      kind: 'missing-events',
      ...at,
      expected: `revision ${expectedRevision}`,
      actual: `revision ${event.revision}`,
    };
  }
  const link = chainLinkOf(event.metadata);
  if (!link) return { kind: 'missing-link', ...at, expected: 'a sha256 chain link', actual: 'none' };
  const previousHash = previous?.hash ?? GENESIS_HASH;
  if (link.previousHash !== previousHash) {
    return { kind: 'broken-link', ...at, expected: previousHash, actual: link.previousHash };
  }
  const hash = hashEvent(event, link.previousHash);
  if (hash !== link.hash) return { kind: 'altered', ...at, expected: hash, actual: link.hash };
  return null;
}

/** A skipped revision that still exists further on in the log was moved, not removed. */
async function refineGap(
  store: EventStore,
  gap: BrokenLink,
  previous: StreamHead | undefined,
): Promise<BrokenLink> {
  const skipped = previous ? previous.revision + 1n : 0n;
  for await (const moved of store.readStream(gap.streamId, { fromRevision: skipped, maxCount: 1 })) {
    if (moved.revision === skipped) {
      return {
        ...gap,
        kind: 'out-of-order',
        actual: `revision ${gap.revision} at position ${gap.position}, before revision ${skipped} at position ${moved.position}`,
      };
    }
  }
  return gap;
}
