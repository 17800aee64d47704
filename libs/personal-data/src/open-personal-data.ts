import {
  StartupError,
  waitUntilAnswering,
  withoutPassword,
  type Dependency,
  type SignetConfig,
} from '@signet/config';
import type { EventStore } from '@signet/event-store';
import type { IdempotencyStore } from '@signet/idempotency';
import type { ReadModelStore } from '@signet/read-model';
import type { DataKeyStore } from './data-key-store.port';
import type * as MongoAdapter from './mongo/mongo-data-key-store';
import { PersonalDataKeys } from './personal-data-keys';
import { PhoneFingerprints } from './sealing';
import { PersonalDataSealingEventStore } from './sealing-event-store';
import { PersonalDataSealingIdempotencyStore } from './sealing-idempotency-store';
import { PersonalDataSealingReadModelStore } from './sealing-read-model-store';
import { SqliteDataKeyStore } from './sqlite/sqlite-data-key-store';

/** The key store the configuration asks for: the `dataKeys` collection with MONGO_URL, else `DATA_DIR/keys.sqlite`. */
export function openDataKeyStore(config: Pick<SignetConfig, 'personalData'>): DataKeyStore {
  const { url, filename } = config.personalData.keyStore;
  return url
    ? // Loaded only when asked for (the MongoDB driver): see openReadModelStore.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      new (require('./mongo/mongo-data-key-store') as typeof MongoAdapter).MongoDataKeyStore({ url })
    : new SqliteDataKeyStore({ filename });
}

/**
 * One process's personal data: its key store, the keys (cached briefly), the phone fingerprints, and the
 * sealing decorators every store that holds personal data is wrapped in.
 */
export class PersonalData {
  readonly keys: PersonalDataKeys;
  readonly fingerprints: PhoneFingerprints;

  constructor(
    readonly keyStore: DataKeyStore,
    config: Pick<SignetConfig, 'personalData' | 'codeSecret'>,
  ) {
    const { masterKey, previousMasterKeys } = config.personalData;
    this.keys = new PersonalDataKeys(keyStore, { current: masterKey, previous: previousMasterKeys });
    // Keyed with a deployment secret that a master key rotation leaves alone, so fingerprints stay comparable.
    this.fingerprints = new PhoneFingerprints(config.codeSecret);
  }

  static open(config: Pick<SignetConfig, 'personalData' | 'codeSecret'>): PersonalData {
    return new PersonalData(openDataKeyStore(config), config);
  }

  /**
   * The event store with personal fields sealed on the way in and opened on the way out. With `closesKeys`,
   * closing it closes the key store too (a process whose only sealed store it is: the worker, the CLI).
   */
  sealing(store: EventStore, options: { closesKeys?: boolean } = {}): PersonalDataSealingEventStore {
    const afterClose = options.closesKeys ? () => this.close() : undefined;
    return new PersonalDataSealingEventStore(store, this.keys, this.fingerprints, afterClose);
  }

  sealingReadModel(store: ReadModelStore): ReadModelStore {
    return new PersonalDataSealingReadModelStore(store, this.keys);
  }

  sealingIdempotency(store: IdempotencyStore): IdempotencyStore {
    return new PersonalDataSealingIdempotencyStore(store, this.keys);
  }

  close(): Promise<void> {
    return this.keyStore.close();
  }
}

/** The key store as a start-up dependency, named by the variable that points at it. */
export function dataKeyStoreDependency(
  store: DataKeyStore,
  config: Pick<SignetConfig, 'personalData'>,
): Dependency {
  const { url, filename } = config.personalData.keyStore;
  return {
    name: 'The key store',
    configuredBy: `MONGO_URL: ${url ? withoutPassword(url) : `(unset: ${filename})`}`,
    waitFor: (timeoutMs) =>
      waitUntilAnswering(
        () => store.ping(),
        { timeoutMs },
        (error, waited) =>
          new StartupError(`The key store did not answer within ${waited} ms: ${(error as Error).message}`),
      ),
  };
}
