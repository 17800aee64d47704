import type { INestApplicationContext } from '@nestjs/common';
import { StartupError, withTimeout, type SignetConfig } from '@signet/config';
import { EVENT_STORE, waitForEventStore, type EventStore } from '@signet/event-store';
import { READ_MODEL_STORE, waitForReadModel, type ReadModelStore } from '@signet/read-model';

/**
 * Before the API takes traffic or starts its projections: every store it needs answers, or start-up stops
 * with a message naming the one that does not (after at most STARTUP_WAIT_MS, all waited for together).
 * The API needs the event store and the read model; Redis is the worker's (the API never talks to it).
 */
export async function waitForStores(app: INestApplicationContext, config: SignetConfig): Promise<void> {
  const timeoutMs = config.startupWaitMs;
  const eventStore = app.get<EventStore>(EVENT_STORE);
  const readModel = app.get<ReadModelStore>(READ_MODEL_STORE);
  const named = (what: string, where: string) => (error: unknown) => {
    throw new StartupError(`${(error as Error).message} [${what}: ${where}]`, { cause: error });
  };
  await Promise.all([
    bounded(waitForEventStore(eventStore, { timeoutMs }), timeoutMs, 'The event store').catch(
      named(
        'EVENTSTORE_URL',
        config.eventStore.url ? redact(config.eventStore.url) : config.eventStore.filename,
      ),
    ),
    bounded(waitForReadModel(readModel, { timeoutMs }), timeoutMs, 'The read model store').catch(
      named('MONGO_URL', config.readModel.url ? redact(config.readModel.url) : config.readModel.filename),
    ),
  ]);
}

/** Connection strings are shown without their credentials. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/, '//(hidden)@');
}

/** However a client behaves, the wait ends: a margin past the retry loop's own deadline. */
function bounded(wait: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  return withTimeout(wait, timeoutMs + 1000, `${what} is unreachable after ${timeoutMs} ms`);
}
