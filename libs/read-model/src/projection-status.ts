import type { EventStore } from '@signet/event-store';
import type { Projection } from './projection';
import type { GenerationInfo, ProjectionFault, ReadModelStore, RebuildProgress } from './read-model.port';

/** How far behind the log a projection is counted, at most: status stays cheap however large the backlog. */
export const LAG_COUNT_LIMIT = 10_000;

export type ProjectionState = 'notStarted' | 'caughtUp' | 'catchingUp' | 'faulted';

export interface ProjectionStatus {
  name: string;
  /** The version of the projection code running here. */
  version: number;
  /** The version that built the live copy; differs from `version` until a rebuild. */
  liveVersion: number | null;
  generation: number | null;
  state: ProjectionState;
  checkpoint: string;
  headPosition: string;
  /** Events of the projection's streams past its checkpoint (counted up to LAG_COUNT_LIMIT). */
  lagEvents: number;
  lagEventsCapped: boolean;
  /** How long the oldest event not yet projected has been waiting; 0 when caught up. */
  lagSeconds: number;
  fault: ProjectionFault | null;
  /** The rebuild under way, if any. */
  rebuild: (RebuildProgress & { generation: number; checkpoint: string }) | null;
}

/** The status of each projection, read from the stores: any process (API, CLI) sees the same. */
export async function projectionStatuses(
  projections: Projection[],
  eventStore: EventStore,
  store: ReadModelStore,
  now: Date = new Date(),
): Promise<ProjectionStatus[]> {
  const head = await eventStore.headPosition();
  const generations = await store.generations();
  return Promise.all(
    projections.map((projection) => statusOf(projection, eventStore, store, generations, head, now)),
  );
}

async function statusOf(
  projection: Projection,
  eventStore: EventStore,
  store: ReadModelStore,
  generations: GenerationInfo[],
  head: bigint,
  now: Date,
): Promise<ProjectionStatus> {
  const live = await store.live(projection.name);
  const checkpoint = live?.checkpoint ?? 0n;
  let lagEvents = 0;
  let oldest: Date | null = null;
  for await (const event of eventStore.readAll({
    fromPosition: checkpoint + 1n,
    filter: { streamPrefixes: projection.streamPrefixes },
    maxCount: LAG_COUNT_LIMIT,
  })) {
    oldest ??= event.recordedAt;
    lagEvents += 1;
  }
  const shadow = generations.find((g) => g.projection === projection.name && g.role === 'shadow');
  return {
    name: projection.name,
    version: projection.version,
    liveVersion: live?.version ?? null,
    generation: live?.generation ?? null,
    state: !live ? 'notStarted' : live.fault ? 'faulted' : lagEvents > 0 ? 'catchingUp' : 'caughtUp',
    checkpoint: checkpoint.toString(),
    headPosition: head.toString(),
    lagEvents,
    lagEventsCapped: lagEvents === LAG_COUNT_LIMIT,
    lagSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0,
    fault: live?.fault ?? null,
    rebuild:
      shadow?.rebuild != null
        ? { ...shadow.rebuild, generation: shadow.generation, checkpoint: shadow.checkpoint.toString() }
        : null,
  };
}

/**
 * Whether the projection has seen the log up to `position`: its checkpoint is there, or none of the events
 * between its checkpoint and `position` belongs to its streams (positions of other streams, e.g. an audit
 * log, are never applied, so they must not make a reader wait).
 */
export async function hasPassed(
  projection: Projection,
  eventStore: EventStore,
  store: ReadModelStore,
  position: bigint,
): Promise<boolean> {
  const checkpoint = (await store.live(projection.name))?.checkpoint ?? 0n;
  if (checkpoint >= position) return true;
  if (position > (await eventStore.headPosition())) return false;
  for await (const event of eventStore.readAll({
    fromPosition: checkpoint + 1n,
    filter: { streamPrefixes: projection.streamPrefixes },
    maxCount: 1,
  })) {
    return event.position > position;
  }
  return true;
}
