import { loadConfig, waitForDependencies } from '@signet/config';
import { eventStoreDependency, openEventStore, type EventStore } from '@signet/event-store';
import { openReadModelStore, readModelDependency, type ReadModelStore } from '@signet/read-model';

/**
 * The stores a CLI command works on, opened as the configuration says and waited for as the services wait
 * (at most STARTUP_WAIT_MS): one that does not answer ends the command, exit 1, with a message naming it and
 * its variable. Closed when the work is done, however it ends.
 */
export async function withEventStore<T>(work: (eventStore: EventStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const eventStore = openEventStore(config);
  try {
    await waitForDependencies([eventStoreDependency(eventStore, config)], config.startupWaitMs);
    return await work(eventStore);
  } finally {
    await eventStore.close();
  }
}

/** As `withEventStore`, with the read model too. */
export async function withStores<T>(
  work: (eventStore: EventStore, readModel: ReadModelStore) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const eventStore = openEventStore(config);
  const readModel = openReadModelStore(config);
  try {
    await waitForDependencies(
      [eventStoreDependency(eventStore, config), readModelDependency(readModel, config)],
      config.startupWaitMs,
    );
    return await work(eventStore, readModel);
  } finally {
    await readModel.close();
    await eventStore.close();
  }
}
