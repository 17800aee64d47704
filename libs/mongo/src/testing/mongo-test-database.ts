import { randomUUID } from 'node:crypto';

/** A database of its own on a real MongoDB (MONGO_TEST_URL) for one test; `drop()` removes it afterwards. */
export function mongoTestDatabase(url: string): { database: string; drop(): Promise<void> } {
  const database = `signet_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  return {
    database,
    drop: async () => {
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(url);
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}
