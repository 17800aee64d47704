import { MongoWireDouble } from '@signet/mongo/testing';
import { dataKeyStoreContract } from '../data-key-store.contract';
import { MongoDataKeyStore } from './mongo-data-key-store';

dataKeyStoreContract('MongoDataKeyStore on the wire-protocol test double', async () => {
  const double = await MongoWireDouble.start();
  const store = new MongoDataKeyStore({ url: double.url() });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await double.close();
    },
  };
});
