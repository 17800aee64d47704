import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import {
  PROJECTIONS,
  projectionStatuses,
  READ_MODEL_STORE,
  type ProjectionStatus,
  type ReadModelStore,
  type RebuildProgress,
} from '@signet/read-model';

/** Each projection's version, checkpoint, head position, lag and state. */
export class GetProjectionStatuses extends Query<ProjectionStatus[]> {}

@QueryHandler(GetProjectionStatuses)
export class GetProjectionStatusesHandler implements IQueryHandler<GetProjectionStatuses> {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_MODEL_STORE) private readonly store: ReadModelStore,
  ) {}

  execute(): Promise<ProjectionStatus[]> {
    return projectionStatuses(PROJECTIONS, this.eventStore, this.store);
  }
}

export interface RebuildView extends RebuildProgress {
  projection: string;
  generation: number;
  checkpoint: string;
  eventsPerSecond: number;
  /** Seconds left at the current rate, null when unknown or done. */
  etaSeconds: number | null;
}

/** One rebuild's progress (by its shadow generation), or null. */
export class GetRebuild extends Query<RebuildView | null> {
  constructor(
    readonly projection: string,
    readonly generation: number,
  ) {
    super();
  }
}

@QueryHandler(GetRebuild)
export class GetRebuildHandler implements IQueryHandler<GetRebuild> {
  constructor(@Inject(READ_MODEL_STORE) private readonly store: ReadModelStore) {}

  async execute({ projection, generation }: GetRebuild): Promise<RebuildView | null> {
    const info = await this.store.generation(projection, generation);
    if (!info?.rebuild) return null;
    const { rebuild } = info;
    const end = rebuild.finishedAt ? Date.parse(rebuild.finishedAt) : Date.parse(info.updatedAt);
    const seconds = Math.max((end - Date.parse(rebuild.startedAt)) / 1000, 0.001);
    const target = BigInt(rebuild.targetPosition);
    const left = target > info.checkpoint ? Number(target - info.checkpoint) : 0;
    const positionsPerSecond = Number(info.checkpoint) / seconds;
    return {
      projection,
      generation,
      ...rebuild,
      checkpoint: info.checkpoint.toString(),
      eventsPerSecond: Math.round(rebuild.processedEvents / seconds),
      etaSeconds:
        rebuild.state === 'building' && positionsPerSecond > 0 ? Math.ceil(left / positionsPerSecond) : null,
    };
  }
}
