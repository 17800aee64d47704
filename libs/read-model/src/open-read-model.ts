import { StartupError, type SignetConfig } from '@signet/config';
import { MongoReadModelStore } from './mongo/mongo-read-model-store';
import type { ReadModelStore } from './read-model.port';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model-store';

/**
 * The read-model store the configuration asks for. The one place that chooses an adapter, shared by the API
 * and the CLI: MongoDB when `MONGO_URL` is set, else the embedded SQLite file in DATA_DIR. Callers should
 * `await waitForReadModel(store)` at start-up: an unreachable MongoDB then stops them, named.
 */
export function openReadModelStore(config: Pick<SignetConfig, 'readModel'>): ReadModelStore {
  return config.readModel.url
    ? new MongoReadModelStore({ url: config.readModel.url })
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
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryEveryMs = options.retryEveryMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withTimeout(store.ping(), Math.max(deadline - Date.now(), retryEveryMs));
      return;
    } catch (error) {
      if (Date.now() + retryEveryMs > deadline) {
        throw new ReadModelUnavailableError(
          `The read model store is unreachable after ${timeoutMs} ms: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, retryEveryMs));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
