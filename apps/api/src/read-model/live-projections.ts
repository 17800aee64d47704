import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import {
  hasPassed,
  LiveProjectionRunners,
  READ_MODEL_STORE,
  type Projection,
  type ReadModelStore,
} from '@signet/read-model';
import { SIGNET_CONFIG } from '../core/core.module';

/** How often a waiting reader looks again when no local commit woke it (a swap made by the CLI). */
const RECHECK_MS = 50;

/**
 * The projection runners of this process (the page's; the as-of snapshots are the worker's:
 * `liveProjectionsIn`): started once the application is up, stopped before the stores close. Also answers
 * "has the read model passed this position yet?" for read-your-writes.
 *
 * With several API instances on one read model, each projection runs in one instance at a time: the one
 * holding its lease in the store (PROJECTION_LEASE_MS); the others stand by and take over when it stops
 * renewing. Every instance serves reads, from the shared store.
 */
@Injectable()
export class LiveProjections implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly runners: LiveProjectionRunners;

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_MODEL_STORE) private readonly store: ReadModelStore,
    @Inject(SIGNET_CONFIG) config: SignetConfig,
  ) {
    this.runners = new LiveProjectionRunners({
      host: 'api',
      readModel: config.readModel,
      eventStore,
      store,
      loggerFor: (projection) => new Logger(`Projection ${projection.name}`),
    });
  }

  onApplicationBootstrap(): void {
    this.runners.start();
  }

  /** Before the core module closes the event store (onApplicationShutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.runners.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** Waits until the projection has passed `position`, at most `timeoutMs`; false if it has not. */
  async waitUntilPassed(projection: Projection, position: bigint, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const runner = this.runners.runner(projection.name);
    for (;;) {
      if (await hasPassed(projection, this.eventStore, this.store, position)) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        runner?.nextCommit(),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.min(remaining, RECHECK_MS)))),
      ]);
      clearTimeout(timer);
    }
  }
}
