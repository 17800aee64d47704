import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoIdempotencyStore } from './mongo/mongo-idempotency-store';
import { openIdempotencyStore } from './open-idempotency-store';
import { SqliteIdempotencyStore } from './sqlite/sqlite-idempotency-store';

describe('openIdempotencyStore', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-idempotency-open-'));
  const readModel = {
    filename: join(dataDir, 'read-model.sqlite'),
    maxWaitMs: 0,
    batchSize: 1,
    rebuildThreads: 1,
    leaseMs: 1,
    asOfSnapshotEvery: 0,
  };

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps keys in MongoDB, shared by every instance, when MONGO_URL is set', async () => {
    const store = openIdempotencyStore({
      dataDir,
      readModel: { ...readModel, url: 'mongodb://127.0.0.1:1/signet' },
    });
    expect(store).toBeInstanceOf(MongoIdempotencyStore);
    await store.close();
  });

  it('keeps keys in DATA_DIR/idempotency.sqlite otherwise', async () => {
    const store = openIdempotencyStore({ dataDir, readModel });
    expect(store).toBeInstanceOf(SqliteIdempotencyStore);
    expect(await store.claim('s', 'k', 'f')).toEqual({ outcome: 'claimed' });
    await store.close();
    const again = new SqliteIdempotencyStore({ filename: join(dataDir, 'idempotency.sqlite') });
    expect(await again.claim('s', 'k', 'f')).toEqual({ outcome: 'inFlight' });
    await again.close();
  });
});
