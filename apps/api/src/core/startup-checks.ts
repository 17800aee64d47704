import type { INestApplicationContext } from '@nestjs/common';
import { waitForDependencies, type SignetConfig } from '@signet/config';
import { EVENT_STORE, eventStoreDependency, type EventStore } from '@signet/event-store';
import { READ_MODEL_STORE, readModelDependency, type ReadModelStore } from '@signet/read-model';

/**
 * Before the API takes traffic or starts its projections: every store it needs answers, or start-up stops
 * with a message naming the one that does not (after at most STARTUP_WAIT_MS, all waited for together).
 * The API needs the event store and the read model; Redis is the worker's (the API never talks to it).
 */
export async function waitForStores(app: INestApplicationContext, config: SignetConfig): Promise<void> {
  await waitForDependencies(
    [
      eventStoreDependency(app.get<EventStore>(EVENT_STORE), config),
      readModelDependency(app.get<ReadModelStore>(READ_MODEL_STORE), config),
    ],
    config.startupWaitMs,
  );
}
