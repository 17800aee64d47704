import type { SignetConfig } from '@signet/config';
import type { EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Projection } from './projection';
import { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner';
import { liveProjectionsIn, type ProjectionHost } from './projections';
import type { ReadModelStore } from './read-model.port';

export interface LiveProjectionRunnersOptions {
  /** Which process this is: it runs the projections `liveProjectionsIn` gives it. */
  host: ProjectionHost;
  /** The configuration's read side: AS_OF_SNAPSHOT_EVERY, the batch size, PROJECTION_LEASE_MS. */
  readModel: SignetConfig['readModel'];
  eventStore: EventStore;
  store: ReadModelStore;
  loggerFor?: (projection: Projection) => ProjectionRunnerOptions<unknown>['logger'];
}

/**
 * The projections one process keeps live, each behind its lease in the read model: with several processes on
 * one store each projection runs in one of them at a time, the others on standby, taking over when the holder
 * stops renewing. The API and the worker each run theirs through this.
 */
export class LiveProjectionRunners {
  /** This process, as a lease owner. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly runners: Map<string, ProjectionRunner>;

  constructor(options: LiveProjectionRunnersOptions) {
    const { host, readModel } = options;
    this.runners = new Map(
      liveProjectionsIn(host, readModel).map((projection) => [
        projection.name,
        new ProjectionRunner({
          projection,
          eventStore: options.eventStore,
          store: options.store,
          batchSize: readModel.batchSize,
          logger: options.loggerFor?.(projection),
          lease: { owner: this.owner, ttlMs: readModel.leaseMs },
        }),
      ]),
    );
  }

  runner(name: string): ProjectionRunner | undefined {
    return this.runners.get(name);
  }

  start(): void {
    for (const runner of this.runners.values()) runner.start();
  }

  /** Each stops after the batch in hand is committed, and hands its lease over at once. */
  async stop(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
  }
}
