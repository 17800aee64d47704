import type { EventStore, RecordedEvent } from '@signet/event-store';
import type { Projection } from './projection';
import type { ProjectionFault, ReadModelDocument, ReadModelStore, RebuildProgress } from './read-model.port';

export interface ProjectedBatch {
  /** Events applied (duplicates and events the projection ignores included). */
  applied: number;
  /** Events skipped because the document already reflects their position (a duplicate delivery). */
  duplicates: number;
  /** Set when an event could not be projected: everything before it is committed, nothing after. */
  fault: ProjectionFault | null;
}

/** A batch folded, not yet written: the documents it changed and the checkpoint they reach. */
export interface FoldedBatch<Body> extends ProjectedBatch {
  documents: ReadModelDocument<Body>[];
  /** `checkpoint`, or the position before the faulted event. */
  reached: bigint;
}

/**
 * Projects a batch of events (in log order) into one generation and commits the documents with the
 * checkpoint they reach, as one write. Shared by the live runner and the rebuild, so both apply events the
 * same way. `checkpoint` may be past the last event: the caller has seen the log up to there.
 */
export async function projectBatch<Body>(
  projection: Projection<Body>,
  store: ReadModelStore,
  generation: number,
  events: RecordedEvent[],
  checkpoint: bigint,
  progress?: (applied: number) => Pick<RebuildProgress, 'processedEvents' | 'targetPosition'> | undefined,
): Promise<ProjectedBatch> {
  const folded = await foldBatch(projection, store, generation, events, checkpoint);
  await writeBatch(projection, store, generation, folded, progress);
  return { applied: folded.applied, duplicates: folded.duplicates, fault: folded.fault };
}

/** The first half of projectBatch: reads the documents the events belong to and folds the events onto them. */
export async function foldBatch<Body>(
  projection: Projection<Body>,
  store: ReadModelStore,
  generation: number,
  events: RecordedEvent[],
  checkpoint: bigint,
): Promise<FoldedBatch<Body>> {
  const keyOf: (string | null)[] = events.map((e) => projection.documentKey(e));
  const documents = await store.readDocuments<Body>(
    projection.name,
    generation,
    keyOf.filter((k): k is string => k !== null),
  );
  const changed = new Set<string>();
  let reached = checkpoint;
  let applied = 0;
  let duplicates = 0;
  let fault: ProjectionFault | null = null;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const key = keyOf[i];
    if (key !== null) {
      const current = documents.get(key) ?? null;
      // Events come in log order, so an event at or before the document's position is already in it. (By
      // position, not revision: a document may follow several streams, whose revisions are independent.)
      if (current && event.position <= current.position) {
        duplicates += 1;
      } else {
        let next: ReadModelDocument<Body>;
        try {
          next = projection.apply(current, event);
        } catch (error) {
          fault = faultOf(event, error);
          reached = event.position - 1n;
          break;
        }
        documents.set(key, next);
        changed.add(key);
      }
    }
    applied += 1;
  }
  return { documents: [...changed].map((key) => documents.get(key)!), reached, applied, duplicates, fault };
}

/** The second half of projectBatch: commits a folded batch, then records its fault if it has one. */
export async function writeBatch<Body>(
  projection: Projection<Body>,
  store: ReadModelStore,
  generation: number,
  folded: FoldedBatch<Body>,
  progress?: (applied: number) => Pick<RebuildProgress, 'processedEvents' | 'targetPosition'> | undefined,
): Promise<void> {
  await store.commit(
    projection.name,
    generation,
    folded.documents,
    folded.reached,
    progress?.(folded.applied),
  );
  if (folded.fault) await store.recordFault(projection.name, generation, folded.fault);
}

function faultOf(event: RecordedEvent, error: unknown): ProjectionFault {
  return {
    position: event.position.toString(),
    eventId: event.id,
    streamId: event.streamId,
    eventType: event.type,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    at: new Date().toISOString(),
  };
}

export interface ProjectRangeOptions<Body> {
  projection: Projection<Body>;
  eventStore: EventStore;
  store: ReadModelStore;
  generation: number;
  /** Exclusive. */
  from: bigint;
  /** Inclusive. */
  to: bigint;
  batchSize: number;
  signal?: AbortSignal;
  /**
   * Only this part of the people (a rebuild split across threads): the checkpoint is then left as it is, since
   * the other parts are not yet where this one is.
   */
  partition?: { count: number; index: number };
  /** The progress recorded with each commit of `events` events. */
  progress?: (events: number) => Pick<RebuildProgress, 'processedEvents' | 'targetPosition'> | undefined;
  /** After each committed batch, with the checkpoint the log was read up to. */
  onCommitted?: (checkpoint: bigint, events: number) => void;
}

/**
 * Projects the log from `from` (exclusive) to `to` into one generation, batch by batch, with the write of the
 * last batch in flight while the next one is read from the log (a store whose commit runs on a thread of its
 * own writes meanwhile). A batch is folded only once the one before it is written, so it reads back the
 * documents as written: one write in flight at a time, and nothing else changes.
 */
export async function projectRange<Body>(options: ProjectRangeOptions<Body>): Promise<void> {
  const { projection, eventStore, store, generation, signal, partition } = options;
  let writing: Promise<void> = Promise.resolve();
  const commit = async (events: RecordedEvent[], checkpoint: bigint) => {
    await writing;
    signal?.throwIfAborted();
    const folded = await foldBatch(projection, store, generation, events, partition ? 0n : checkpoint);
    writing = writeBatch(projection, store, generation, folded, options.progress).then(() => {
      if (folded.fault) {
        throw new Error(
          `${projection.name} cannot project the event at position ${folded.fault.position} ` +
            `(${folded.fault.eventType} on ${folded.fault.streamId}): ${folded.fault.error}`,
        );
      }
      options.onCommitted?.(checkpoint, folded.applied);
    });
    // Awaited before the next batch is folded, or below; until then its failure must not go unhandled.
    writing.catch(() => {});
    // Reading and writing SQLite is synchronous: give requests (and the live runner) their turn.
    await nextTurn();
  };
  try {
    let batch: RecordedEvent[] = [];
    for await (const event of eventStore.readAll({
      fromPosition: options.from + 1n,
      filter: { streamPrefixes: projection.streamPrefixes, ...(partition ? { partition } : {}) },
    })) {
      if (event.position > options.to) break;
      batch.push(event);
      if (batch.length >= options.batchSize) {
        await commit(batch, event.position);
        batch = [];
      }
    }
    // Also when nothing was left: the checkpoint says the log was read up to `to`.
    await commit(batch, options.to);
    await writing;
  } finally {
    // A write still in flight lands (or fails) before the caller goes on (or ends the shadow).
    await writing.catch(() => {});
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
