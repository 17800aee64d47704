import type { SignetConfig } from '@signet/config';
import { join } from 'node:path';
import type { IdempotencyStore } from './idempotency.port';
import type * as MongoAdapter from './mongo/mongo-idempotency-store';
import { SqliteIdempotencyStore } from './sqlite/sqlite-idempotency-store';

/**
 * The idempotency store the configuration asks for. With MONGO_URL set, several API instances may run behind
 * a load balancer, so the keys live in MongoDB where every instance sees them; else in a SQLite file in
 * DATA_DIR, private to the one instance.
 */
export function openIdempotencyStore(config: Pick<SignetConfig, 'dataDir' | 'readModel'>): IdempotencyStore {
  return config.readModel.url
    ? // Loaded only when asked for (the MongoDB driver): see openReadModelStore.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      new (require('./mongo/mongo-idempotency-store') as typeof MongoAdapter).MongoIdempotencyStore({
        url: config.readModel.url,
      })
    : new SqliteIdempotencyStore({ filename: join(config.dataDir, 'idempotency.sqlite') });
}
