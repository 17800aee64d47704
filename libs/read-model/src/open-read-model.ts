import {
  StartupError,
  waitUntilAnswering,
  withoutPassword,
  type Dependency,
  type SignetConfig,
} from '@signet/config';
import type * as MongoAdapter from './mongo/mongo-read-model-store';
import type { ReadModelStore } from './read-model.port';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model-store';

/**
 * The read-model store the configuration asks for. The one place that chooses an adapter, shared by the API
 * and the CLI: MongoDB when `MONGO_URL` is set, else the embedded SQLite file in DATA_DIR. Processes wait
 * for it at start-up (`readModelDependency`): an unreachable MongoDB then stops them, named.
 */
export function openReadModelStore(config: Pick<SignetConfig, 'readModel'>): ReadModelStore {
  return config.readModel.url
    ? // Loaded only when asked for: the MongoDB driver holds ~20 MB in a process on the embedded default.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      new (require('./mongo/mongo-read-model-store') as typeof MongoAdapter).MongoReadModelStore({
        url: config.readModel.url,
      })
    : new SqliteReadModelStore({ filename: config.readModel.filename });
}

/** The read model did not answer within the start-up wait. */
export class ReadModelUnavailableError extends StartupError {
  override readonly name: string = 'ReadModelUnavailableError';
}

/**
 * Waits until `store.ping()` succeeds, retrying for at most `timeoutMs` (default 10 s); throws
 * ReadModelUnavailableError naming the store otherwise.
 */
export async function waitForReadModel(
  store: Pick<ReadModelStore, 'ping'>,
  options: { timeoutMs?: number; retryEveryMs?: number } = {},
): Promise<void> {
  await waitUntilAnswering(
    () => store.ping(),
    options,
    (error, timeoutMs) =>
      new ReadModelUnavailableError(
        `The read model store is unreachable after ${timeoutMs} ms: ${(error as Error).message}`,
        { cause: error },
      ),
  );
}

/** The read model as a start-up dependency: named, and pointed at by MONGO_URL (or the SQLite file). */
export function readModelDependency(
  store: ReadModelStore,
  config: Pick<SignetConfig, 'readModel'>,
): Dependency {
  const { url, filename } = config.readModel;
  return {
    name: 'The read model store',
    configuredBy: `MONGO_URL: ${url ? withoutPassword(url) : `(unset: ${filename})`}`,
    waitFor: (timeoutMs) => waitForReadModel(store, { timeoutMs }),
  };
}
