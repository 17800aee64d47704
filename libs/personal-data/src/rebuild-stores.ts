import type { SignetConfig } from '@signet/config';
import { openEventStore } from '@signet/event-store';
import {
  commitsOneAtATime,
  openReadModelStore,
  type RebuildStoresOpener,
  type RebuildThreads,
} from '@signet/read-model';
import { PersonalData } from './open-personal-data';

/** What a rebuild thread needs of the configuration to open its stores as the process does. */
export type RebuildStoresConfig = Pick<
  SignetConfig,
  'eventStore' | 'readModel' | 'personalData' | 'codeSecret'
>;

/** What crosses to each thread: the configuration, and the lock their commits into one SQLite file share. */
interface RebuildStoresData {
  config: RebuildStoresConfig;
  commitLock: SharedArrayBuffer;
}

/**
 * The threads a rebuild may fold on (REBUILD_THREADS), each opening the process's stores again, sealed as the
 * process seals them (a key store connection and key cache of its own: each thread has its own people).
 * Undefined — the rebuild's own thread only — with one thread, or with EventStoreDB (EVENTSTORE_URL), whose
 * reads are not split by part: every thread would read the whole log.
 */
export function rebuildThreadsOf(config: RebuildStoresConfig): RebuildThreads | undefined {
  const count = config.readModel.rebuildThreads;
  if (count <= 1 || config.eventStore.url || config.eventStore.filename === ':memory:') return undefined;
  const data: RebuildStoresData = {
    config: {
      eventStore: { ...config.eventStore, writer: 'inline' },
      readModel: config.readModel,
      personalData: config.personalData,
      codeSecret: config.codeSecret,
    },
    commitLock: new SharedArrayBuffer(4),
  };
  return { count, open: { module: __filename, data }, projectionOptions: config.readModel };
}

/** A rebuild thread's stores (see rebuildThreadsOf): the event store and read model, sealed. */
export const openRebuildStores: RebuildStoresOpener = async (data) => {
  const { config: cloned, commitLock } = data as RebuildStoresData;
  // Buffers arrive as plain Uint8Arrays across threads.
  const config: RebuildStoresConfig = {
    ...cloned,
    codeSecret: asBuffer(cloned.codeSecret),
    personalData: {
      ...cloned.personalData,
      masterKey: asBuffer(cloned.personalData.masterKey),
      previousMasterKeys: cloned.personalData.previousMasterKeys.map(asBuffer),
    },
  };
  const personalData = PersonalData.open(config);
  const eventStore = personalData.sealing(openEventStore(config), { closesKeys: true });
  const readModel = openReadModelStore(config);
  // MongoDB takes concurrent writes as they come; one SQLite file, one writer at a time.
  const store = personalData.sealingReadModel(
    config.readModel.url ? readModel : commitsOneAtATime(readModel, new Int32Array(commitLock)),
  );
  return {
    eventStore,
    store,
    close: async () => {
      await store.close();
      await eventStore.close();
    },
  };
};

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
