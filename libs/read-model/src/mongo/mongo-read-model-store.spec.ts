import { randomUUID } from 'node:crypto';
import { readModelContract } from '../read-model.contract';
import type { ReadModelStore } from '../read-model.port';
import { MongoReadModelStore } from './mongo-read-model-store';
import { MongoWireDouble } from './testing/mongo-wire-double';

readModelContract('MongoReadModelStore on the wire-protocol test double', async () => {
  const double = await MongoWireDouble.start();
  const opened: ReadModelStore[] = [new MongoReadModelStore({ url: double.url() })];
  return {
    store: opened[0],
    reopen: async () => {
      const store = new MongoReadModelStore({ url: double.url() });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await double.close();
    },
  };
});

const realServer = process.env.MONGO_TEST_URL;
if (realServer) {
  readModelContract('MongoReadModelStore on MONGO_TEST_URL', async () => {
    // A database of its own per test, dropped afterwards.
    const database = `signet_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const opened: MongoReadModelStore[] = [new MongoReadModelStore({ url: realServer, database })];
    return {
      store: opened[0],
      reopen: async () => {
        const store = new MongoReadModelStore({ url: realServer, database });
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        const { MongoClient } = await import('mongodb');
        const client = new MongoClient(realServer);
        try {
          await client.db(database).dropDatabase();
        } finally {
          await client.close();
        }
        for (const store of opened) await store.close();
      },
    };
  });
}
