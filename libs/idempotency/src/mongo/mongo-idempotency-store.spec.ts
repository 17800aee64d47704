import { mongoTestDatabase, MongoWireDouble } from '@signet/mongo/testing';
import { idempotencyContract } from '../idempotency.contract';
import { MongoIdempotencyStore } from './mongo-idempotency-store';

idempotencyContract('MongoIdempotencyStore on the wire-protocol test double', async (options) => {
  const double = await MongoWireDouble.start();
  const opened = [new MongoIdempotencyStore({ url: double.url(), ...options })];
  return {
    store: opened[0],
    sibling: async () => {
      const store = new MongoIdempotencyStore({ url: double.url(), ...options });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await double.close();
    },
  };
});

describe('MongoIdempotencyStore on the wire-protocol test double', () => {
  let double: MongoWireDouble;
  let store: MongoIdempotencyStore;

  beforeEach(async () => {
    double = await MongoWireDouble.start();
    store = new MongoIdempotencyStore({ url: double.url('keys'), retentionMs: 3_600_000 });
  });

  afterEach(async () => {
    await store.close();
    await double.close();
  });

  it('keeps one document per key in the URL’s database, with the TTL index made once', async () => {
    await store.claim('alice POST /x', 'k1', 'f1');
    await store.claim('alice POST /x', 'k2', 'f2');
    await store.complete('alice POST /x', 'k1', { status: 201, headers: {}, body: { ok: true } });
    const docs = double.documents('keys', 'idempotencyKeys');
    expect(docs).toEqual([
      {
        _id: { scope: 'alice POST /x', key: 'k1' },
        fingerprint: 'f1',
        response: JSON.stringify({ status: 201, headers: {}, body: { ok: true } }),
        createdAt: expect.any(Date),
      },
      expect.objectContaining({ _id: { scope: 'alice POST /x', key: 'k2' }, response: null }),
    ]);
    expect(double.commands.createIndexes).toBe(1);
  });

  it('makes the TTL index again on the next claim when the first attempt failed', async () => {
    double.failNextCommands(1, 'createIndexes');
    await expect(store.claim('alice POST /x', 'k1', 'f1')).rejects.toThrow();
    expect(await store.claim('alice POST /x', 'k1', 'f1')).toEqual({ outcome: 'claimed' });
    expect(double.commands.createIndexes).toBe(2);
  });
});

/** A real MongoDB when MONGO_TEST_URL is set; otherwise the suite shows as skipped, naming the variable. */
const realServer = process.env.MONGO_TEST_URL ?? '';
const onRealServer = realServer ? describe : describe.skip;

onRealServer('MongoDB idempotency contract on a real server (set MONGO_TEST_URL to run)', () => {
  idempotencyContract('MongoIdempotencyStore on MONGO_TEST_URL', async (options) => {
    const { database, drop } = mongoTestDatabase(realServer);
    const opened = [new MongoIdempotencyStore({ url: realServer, database, ...options })];
    return {
      store: opened[0],
      sibling: async () => {
        const store = new MongoIdempotencyStore({ url: realServer, database, ...options });
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        await drop();
        for (const store of opened) await store.close();
      },
    };
  });
});
