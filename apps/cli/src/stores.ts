import { loadConfig, waitForDependencies, type SignetConfig } from '@signet/config';
import { dataKeyStoreDependency, PersonalData } from '@signet/personal-data';
import { eventStoreDependency, openEventStore, type EventStore } from '@signet/event-store';
import { openReadModelStore, readModelDependency, type ReadModelStore } from '@signet/read-model';

/**
 * The stores a CLI command works on, opened as the configuration says and waited for as the services wait
 * (at most STARTUP_WAIT_MS): one that does not answer ends the command, exit 1, with a message naming it and
 * its variable. Closed when the work is done, however it ends. Personal fields read opened (or `[erased]`);
 * `storedFormOf` gives the events as stored, for `audit verify`.
 */
export async function withEventStore<T>(work: (eventStore: EventStore) => Promise<T>): Promise<T> {
  return withPersonalData((eventStore) => work(eventStore));
}

/** As `withEventStore`, with the people's data keys and the configuration (erasure, key rotation). */
export async function withPersonalData<T>(
  work: (eventStore: EventStore, personalData: PersonalData, config: SignetConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const personalData = PersonalData.open(config);
  const eventStore = personalData.sealing(openEventStore(config), { closesKeys: true });
  try {
    await waitForDependencies(
      [eventStoreDependency(eventStore, config), dataKeyStoreDependency(personalData.keyStore, config)],
      config.startupWaitMs,
    );
    return await work(eventStore, personalData, config);
  } finally {
    await eventStore.close();
  }
}

/** As `withEventStore`, with the read model too. */
export async function withStores<T>(
  work: (eventStore: EventStore, readModel: ReadModelStore) => Promise<T>,
): Promise<T> {
  return withPersonalData(async (eventStore, personalData, config) => {
    const readModel = personalData.sealingReadModel(openReadModelStore(config));
    try {
      await waitForDependencies([readModelDependency(readModel, config)], config.startupWaitMs);
      return await work(eventStore, readModel);
    } finally {
      await readModel.close();
    }
  });
}
