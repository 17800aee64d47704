import { SECURITY_INFO_CATEGORY, securityInfoStream, userIdOfStream } from '@signet/domain';
import { chainLinkOf, type EventStore, type RecordedEvent } from '@signet/event-store';
import type { Projection, ReadModelDocument, ReadModelStore } from '@signet/read-model';
import { foldAsOf, type AsOfFold } from './as-of-fold';

/** The projection that keeps the as-of snapshots, by name (CLI, URLs, the read model's tables). */
export const AS_OF_SNAPSHOTS_PROJECTION = 'asOfSnapshots';
const VERSION = 1;

/** An event as a snapshot keeps it: JSON throughout (revision and position as decimal strings). */
export interface StoredEvent {
  id: string;
  streamId: string;
  type: string;
  revision: string;
  position: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

/**
 * One user's as-of snapshots, a read-model document keyed by the user id, so it is sealed under the person's
 * data key like their page (libs/personal-data) and erasure leaves it unreadable: `fold` is the fold of their
 * whole Security info stream so far, `snapshots` the fold after every `every`-th event, oldest first. `fold`
 * is null when the stream cannot be continued (the document became unreadable mid-stream: the person was
 * erased); no snapshot is kept from then on until a rebuild.
 */
export interface AsOfSnapshotsBody {
  fold: AsOfFold<StoredEvent> | null;
  snapshots: AsOfFold<StoredEvent>[];
}

/**
 * Folds each user's Security info stream, as the as-of view replays it, into a snapshot every `every` events
 * (after revisions every-1, 2·every-1, ...): a first as-of look then replays at most `every` events after the
 * nearest one. `every` 0 keeps none (the projection ignores every event).
 */
export function asOfSnapshotsProjection(every: number): Projection<AsOfSnapshotsBody> {
  return {
    name: AS_OF_SNAPSHOTS_PROJECTION,
    version: VERSION,
    streamPrefixes: [`${SECURITY_INFO_CATEGORY}-`],
    documentKey: (event) => (every > 0 ? userIdOfStream(event.streamId) : null),
    apply: (document, event) => snapshotsAfter(document, event, every),
  };
}

function snapshotsAfter(
  document: ReadModelDocument<AsOfSnapshotsBody> | null,
  event: RecordedEvent,
  every: number,
): ReadModelDocument<AsOfSnapshotsBody> {
  const key = userIdOfStream(event.streamId);
  if (key === null) throw new Error(`${event.streamId} is not a Security info stream`);
  // A document only ever starts at the stream's first event: none later means it was there and cannot be read
  // (its key destroyed), and a fold that cannot go on from nothing stays stopped until a rebuild.
  const stopped = document ? document.body.fold === null : event.revision !== 0n;
  let body: AsOfSnapshotsBody = { fold: null, snapshots: [] };
  if (!stopped) {
    const folded = foldAsOf(document?.body.fold ?? null, event, storedEvent);
    const fold = { ...folded, last: endOf(folded.last) };
    const snapshots = document?.body.snapshots ?? [];
    const due = (event.revision + 1n) % BigInt(every) === 0n;
    body = { fold, snapshots: due ? [...snapshots, fold] : snapshots };
  }
  return { key, revision: event.revision, position: event.position, body };
}

function storedEvent(event: RecordedEvent): StoredEvent {
  return {
    ...event,
    revision: event.revision.toString(),
    position: event.position.toString(),
    recordedAt: event.recordedAt.toISOString(),
  };
}

/**
 * What a fold keeps of the event it ends on: where it is and its chain link (what `stillChained` checks), and
 * when it occurred (the page's `updatedAt`). Not its data: the view shows `change`, and a document sealed and
 * written at every command is better without a second copy of the event and its personal metadata.
 */
function endOf(event: StoredEvent): StoredEvent {
  return {
    ...event,
    data: {},
    metadata: { occurredAt: event.metadata.occurredAt, chain: event.metadata.chain },
  };
}

function recordedEvent(event: StoredEvent): RecordedEvent {
  return {
    ...event,
    revision: BigInt(event.revision),
    position: BigInt(event.position),
    recordedAt: new Date(event.recordedAt),
  };
}

/**
 * The furthest snapshot of the user's stream kept in the read model that `fits` (does not go past the moment),
 * as read: it still has to be checked against the hash chain (`stillChained`) before anything rests on it.
 * Undefined when there is none, or none that can be read (erased, altered: the seal is authenticated).
 */
export async function storedSnapshotBefore(
  readModel: ReadModelStore,
  userId: string,
  fits: (fold: AsOfFold<StoredEvent>) => boolean,
): Promise<AsOfFold | undefined> {
  let found: ReadModelDocument<AsOfSnapshotsBody> | null;
  try {
    const live = await readModel.readLive<AsOfSnapshotsBody>(AS_OF_SNAPSHOTS_PROJECTION, userId);
    if (live.generation?.version !== VERSION) return undefined;
    found = live.document;
  } catch {
    // Unreadable (a seal that does not open, a store that does not answer): replayed from the start instead.
    return undefined;
  }
  if (!found?.body.fold) return undefined;
  const { fold, snapshots } = found.body;
  let best: AsOfFold<StoredEvent> | undefined = fits(fold) ? fold : undefined;
  for (let i = snapshots.length - 1; !best && i >= 0; i--) if (fits(snapshots[i])) best = snapshots[i];
  if (!best) return undefined;
  return {
    ...best,
    last: recordedEvent(best.last),
    change: best.change && recordedEvent(best.change),
  };
}

/**
 * Whether the stream still holds, at the snapshot's last revision, the very event it was folded up to: same
 * position and same hash-chain link. That link hashes the event with the one before it, and so on back to the
 * stream's first, so the snapshot rests on exactly the events the chain commits to (and chain verification
 * checks). A snapshot with no link to check is never used.
 */
export async function stillChained(store: EventStore, userId: string, last: RecordedEvent): Promise<boolean> {
  const kept = chainLinkOf(last.metadata);
  if (!kept) return false;
  for await (const event of store.readStream(securityInfoStream(userId), {
    fromRevision: last.revision,
    maxCount: 1,
  })) {
    const link = chainLinkOf(event.metadata);
    return (
      event.revision === last.revision &&
      event.position === last.position &&
      event.id === last.id &&
      link?.hash === kept.hash &&
      link.previousHash === kept.previousHash
    );
  }
  return false;
}
