import { readModelContract } from '../read-model.contract';
import type { ReadModelStore } from '../read-model.port';
import { MongoReadModelStore } from './mongo-read-model-store';
import { mongoTestDatabase, MongoWireDouble } from '@signet/mongo/testing';

readModelContract('MongoReadModelStore on the wire-protocol test double', async ({ now }) => {
  const double = await MongoWireDouble.start();
  const opened: ReadModelStore[] = [new MongoReadModelStore({ url: double.url(), now })];
  return {
    store: opened[0],
    reopen: async () => {
      const store = new MongoReadModelStore({ url: double.url(), now });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await double.close();
    },
  };
});

/** A real MongoDB when MONGO_TEST_URL is set; otherwise the suite shows as skipped, naming the variable. */
const realServer = process.env.MONGO_TEST_URL ?? '';
const onRealServer = realServer ? describe : describe.skip;

onRealServer('MongoDB read-model contract on a real server (set MONGO_TEST_URL to run)', () => {
  readModelContract('MongoReadModelStore on MONGO_TEST_URL', async ({ now }) => {
    const { database, drop } = mongoTestDatabase(realServer);
    const opened: MongoReadModelStore[] = [new MongoReadModelStore({ url: realServer, database, now })];
    return {
      store: opened[0],
      reopen: async () => {
        const store = new MongoReadModelStore({ url: realServer, database, now });
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
