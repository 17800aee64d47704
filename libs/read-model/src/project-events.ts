import type { RecordedEvent } from '@signet/event-store';
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
