import { SqliteEventStore } from '@signet/event-store';
import { rebuildProjection } from '../projection-rebuild';
import { ProjectionRunner } from '../projection-runner';
import { readModelContract } from '../read-model.contract';
import { securityInfoPageProjection as projection } from '../security-info-projection';
import { writeHistories } from '../testing/security-info-history';
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

describe('a rebuild into MongoDB (wire-protocol double), its writes pipelined with the next batch', () => {
  it('builds exactly the copy the live runner built, and swaps without drift', async () => {
    const double = await MongoWireDouble.start();
    const store = new MongoReadModelStore({ url: double.url() });
    const eventStore = new SqliteEventStore({ filename: ':memory:' });
    try {
      const users = Array.from({ length: 12 }, (_, i) => `user${i}`);
      await writeHistories(eventStore, users);
      const runner = new ProjectionRunner({ projection, eventStore, store, recheckMs: 10 });
      runner.start();
      while ((await store.live(projection.name))?.checkpoint !== (await eventStore.headPosition())) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await runner.stop();
      const before = await store.allDocuments(
        projection.name,
        (await store.live(projection.name))!.generation,
      );

      const result = await rebuildProjection({ projection, eventStore, store, batchSize: 5 });

      expect(result.drift?.documents).toBe(0);
      expect((await store.live(projection.name))!.generation).toBe(result.generation);
      expect(await store.allDocuments(projection.name, result.generation)).toEqual(before);
    } finally {
      await eventStore.close();
      await store.close();
      await double.close();
    }
  });
});
