/**
 * A rebuild thread's stores (see rebuild-stores.ts) that fail on purpose after their first commit: the thread
 * throws (`fail: 'throw'`) or dies (`fail: 'exit'`). For the threaded rebuild's failure tests.
 */
import type { RebuildStoresOpener } from '@signet/read-model';
import { openRebuildStores as openStores } from '../rebuild-stores';

export const openRebuildStores: RebuildStoresOpener = async (data) => {
  const { inner, fail } = data as { inner: unknown; fail: 'throw' | 'exit' };
  const stores = await openStores(inner);
  const commit = stores.store.commit.bind(stores.store);
  let commits = 0;
  stores.store.commit = async (...args) => {
    await commit(...args);
    if (++commits < 2) return;
    if (fail === 'exit') process.exit(3);
    throw new Error('the read model went away');
  };
  return stores;
};
