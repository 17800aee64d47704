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
  return opened(config, null, (eventStore, personalData) => work(eventStore, personalData, config));
}

/** As `withEventStore`, with the read model too. */
export async function withStores<T>(
  work: (eventStore: EventStore, readModel: ReadModelStore) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  return opened(config, openReadModelStore(config), (eventStore, personalData, readModel) =>
    work(eventStore, personalData.sealingReadModel(readModel!)),
  );
}

/** The stores opened and waited for: the event store, the read model when given, then the key store. */
async function opened<T>(
  config: SignetConfig,
  readModel: ReadModelStore | null,
  work: (eventStore: EventStore, personalData: PersonalData, readModel: ReadModelStore | null) => Promise<T>,
): Promise<T> {
  const personalData = PersonalData.open(config);
  const eventStore = personalData.sealing(openEventStore(config), { closesKeys: true });
  try {
    // The key store last: with MONGO_URL it shares MongoDB with the read model, which names it first.
    await waitForDependencies(
      [
        eventStoreDependency(eventStore, config),
        ...(readModel ? [readModelDependency(readModel, config)] : []),
      ],
      config.startupWaitMs,
    );
    await waitForDependencies([dataKeyStoreDependency(personalData.keyStore, config)], config.startupWaitMs);
    return await work(eventStore, personalData, readModel);
  } finally {
    await readModel?.close();
    await eventStore.close();
  }
}
