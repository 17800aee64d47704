import type { EventStore, RecordedEvent } from '@signet/event-store';
import type { Projection } from './projection';
import { foldBatch, writeBatch } from './project-events';
import type { DriftReport, ReadModelStore, RebuildProgress } from './read-model.port';
import { rebuildOnThreads, type RebuildThreads } from './rebuild-threads';

export interface RebuildOptions<Body> {
  projection: Projection<Body>;
  eventStore: EventStore;
  store: ReadModelStore;
  batchSize?: number;
  /** Aborting leaves the live model untouched and the shadow abandoned; a later rebuild starts afresh. */
  signal?: AbortSignal;
  /** After each committed batch. */
  onProgress?: (progress: RebuildTick) => void;
  /** Called once the shadow exists (its generation is the rebuild's id). */
  onStarted?: (generation: number) => void;
  /** A shadow written to more recently than this belongs to a running rebuild (default 15 s). */
  busyAfterMs?: number;
  /**
   * Fold on this many worker threads, each its part of the people with stores of its own (opened as `open`
   * says). Only where every thread can open the event store (the embedded SQLite file); 1 or unset: on the
   * caller's thread.
   */
  threads?: RebuildThreads;
}

export interface RebuildTick {
  generation: number;
  processedEvents: number;
  checkpoint: bigint;
  targetPosition: bigint;
  eventsPerSecond: number;
  /** null until there is a rate to go by. */
  etaSeconds: number | null;
}

export interface RebuildResult {
  generation: number;
  processedEvents: number;
  /** Where the rebuilt copy took over. */
  position: bigint;
  drift: DriftReport | null;
}

/** More rounds than this and the live model is moving faster than the shadow can be caught up. */
const MAX_ROUNDS = 1000;

/**
 * Rebuilds a projection from position 0 into a shadow generation while the live one keeps serving; then
 * compares the two at the same checkpoint, reports the drift and swaps atomically. From then on the runner
 * (in whichever process) follows the new generation.
 *
 * Both copies must be at one position to be compared. The shadow is first built up to the head; then, while
 * they differ, the one behind is caught up: the shadow when the live runner has moved on, the live copy when
 * it is behind (e.g. the API is not running). Writing the live copy beside its runner is safe: every write is
 * guarded by the document's revision and the checkpoint only moves forward.
 */
export async function rebuildProjection<Body>(options: RebuildOptions<Body>): Promise<RebuildResult> {
  const { projection, eventStore, store, signal } = options;
  const batchSize = options.batchSize ?? 500;
  signal?.throwIfAborted();
  const shadow = await store.beginShadow(projection.name, projection.version, {
    busyAfterMs: options.busyAfterMs ?? 15_000,
  });
  const generation = shadow.generation;
  options.onStarted?.(generation);
  const startedAt = Date.now();
  let processedEvents = 0;
  let shadowCheckpoint = 0n;
  let target = await eventStore.headPosition();

  const catchUp = async (into: number, from: bigint, to: bigint, isShadow: boolean): Promise<void> => {
    await projectRange({
      projection,
      eventStore,
      store,
      generation: into,
      from,
      to,
      batchSize,
      signal,
      progress: (events) => {
        if (isShadow) processedEvents += events;
        return isShadow ? { processedEvents, targetPosition: target.toString() } : undefined;
      },
      onCommitted: (checkpoint) => {
        if (isShadow) {
          shadowCheckpoint = checkpoint;
          options.onProgress?.(tick(generation, processedEvents, checkpoint, target, startedAt));
        }
      },
    });
  };

  try {
    const threads = options.threads && options.threads.count > 1 ? options.threads : null;
    if (threads) {
      // Each thread folds its part of the people up to the head as it was at the start; the checkpoint
      // they reach together is recorded below, then everything goes on as on one thread.
      processedEvents = await rebuildOnThreads({
        threads,
        projection: projection.name,
        generation,
        target,
        batchSize,
        signal,
        onProgress: (events, checkpoint) => {
          processedEvents = events;
          options.onProgress?.(tick(generation, events, checkpoint, target, startedAt));
        },
        record: (events) =>
          store.commit(projection.name, generation, [], 0n, {
            processedEvents: events,
            targetPosition: target.toString(),
          }),
      });
      await catchUp(generation, target, target, true);
    } else {
      await catchUp(generation, 0n, target, true);
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const outcome = await store.swap(projection.name, generation);
      if (outcome.swapped) {
        return { generation, processedEvents, position: shadowCheckpoint, drift: outcome.drift };
      }
      const live = await store.live(projection.name);
      if (!live) throw new Error(`${projection.name} lost its live generation during the rebuild`);
      if (outcome.liveCheckpoint > shadowCheckpoint) {
        target = outcome.liveCheckpoint;
        await catchUp(generation, shadowCheckpoint, target, true);
      } else {
        await catchUp(live.generation, live.checkpoint, shadowCheckpoint, false);
      }
    }
    throw new Error(`${projection.name}: the live model kept moving; the rebuild could not catch up with it`);
  } catch (error) {
    const aborted = signal?.aborted ?? false;
    await store.endShadow(
      projection.name,
      generation,
      aborted ? 'abandoned' : 'failed',
      aborted ? 'Interrupted' : (error as Error).message,
    );
    throw error;
  }
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
      ...(projection.readsPersonalMetadata === false ? { withoutPersonalMetadata: true } : {}),
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

function tick(
  generation: number,
  processedEvents: number,
  checkpoint: bigint,
  targetPosition: bigint,
  startedAt: number,
): RebuildTick {
  const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
  const eventsPerSecond = processedEvents / seconds;
  // Positions count every event in the log, filtered or not: the fairest measure of what is left to read.
  const positionsPerSecond = Number(checkpoint) / seconds;
  const left = Number(targetPosition > checkpoint ? targetPosition - checkpoint : 0n);
  return {
    generation,
    processedEvents,
    checkpoint,
    targetPosition,
    eventsPerSecond,
    etaSeconds: positionsPerSecond > 0 ? left / positionsPerSecond : null,
  };
}
