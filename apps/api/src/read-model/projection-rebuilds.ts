import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import { rebuildThreadsOf } from '@signet/personal-data';
import {
  projectionNamed,
  READ_MODEL_STORE,
  rebuildProjection,
  type Projection,
  type ReadModelStore,
} from '@signet/read-model';
import { SIGNET_CONFIG } from '../core/core.module';

/**
 * Rebuilds started over HTTP run here, in the background of the API process; their progress is kept in the
 * read model with the shadow generation, so it reads the same whichever process runs the rebuild.
 */
@Injectable()
export class ProjectionRebuilds implements OnModuleDestroy {
  private readonly logger = new Logger('ProjectionRebuild');
  private readonly running = new Set<{ controller: AbortController; done: Promise<void> }>();

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_MODEL_STORE) private readonly store: ReadModelStore,
    @Inject(SIGNET_CONFIG) private readonly config: SignetConfig,
  ) {}

  /** Resolves with the shadow generation once the rebuild has started (RebuildInProgressError if one runs). */
  start(projection: Projection): Promise<number> {
    const controller = new AbortController();
    return new Promise<number>((started, refused) => {
      const rebuild = { controller, done: Promise.resolve() };
      rebuild.done = rebuildProjection({
        // Built with this process's configuration (AS_OF_SNAPSHOT_EVERY), as the live runner is.
        projection: projectionNamed(projection.name, this.config.readModel) ?? projection,
        eventStore: this.eventStore,
        store: this.store,
        batchSize: this.config.readModel.batchSize,
        // REBUILD_THREADS: the threads compete with serving for the cores (1: the API's own thread only).
        threads: rebuildThreadsOf(this.config),
        signal: controller.signal,
        onStarted: started,
      }).then(
        (result) =>
          this.logger.log(
            `${projection.name}: generation ${result.generation} is live at position ${result.position} ` +
              `(${result.processedEvents} events; drift: ${result.drift?.documents ?? 0} documents)`,
          ),
        (error: unknown) => {
          refused(error);
          if (!controller.signal.aborted)
            this.logger.error(`${projection.name}: rebuild failed: ${String(error)}`);
        },
      );
      this.running.add(rebuild);
      void rebuild.done.finally(() => this.running.delete(rebuild));
    });
  }

  /** A rebuild cut short leaves the live model as it was; it is started again from scratch. */
  async onModuleDestroy(): Promise<void> {
    for (const { controller } of this.running) controller.abort();
    await Promise.all([...this.running].map(({ done }) => done));
  }
}
