/**
 * A rebuild part's stores (see rebuild-stores.ts) that fail on purpose after their first commit: the part
 * throws (`fail: 'throw'`), its thread dies (`fail: 'exit'`), or dies holding the read model's commit lock
 * (`fail: 'exit-holding-lock'`), both on worker threads only (the rebuild's own thread goes on), or only the
 * part folded on the rebuild's own thread throws (`fail: 'throw-here'`). For the split rebuild's failure tests.
 */
import type { RebuildStoresOpener } from '@signet/read-model';
import { isMainThread } from 'node:worker_threads';
import { openRebuildStores as openStores } from '../rebuild-stores';

export type RebuildFailure = 'throw' | 'exit' | 'exit-holding-lock' | 'throw-here';

export const openRebuildStores: RebuildStoresOpener = async (data, stop) => {
  const { inner, fail } = data as { inner: { commitLock: SharedArrayBuffer }; fail: RebuildFailure };
  const stores = await openStores(inner, stop);
  const commit = stores.store.commit.bind(stores.store);
  if (fail === 'exit-holding-lock' && isMainThread) {
    // The rebuild's own part commits only once it sees the lock taken: in the end, by the thread that died.
    const lock = new Int32Array(inner.commitLock);
    stores.store.commit = async (...args) => {
      while (Atomics.load(lock, 0) !== 1) await new Promise((resolve) => setTimeout(resolve, 5));
      return commit(...args);
    };
  }
  const failsHere = fail === 'throw' || (fail === 'throw-here' ? isMainThread : !isMainThread);
  if (!failsHere) return stores;
  let commits = 0;
  stores.store.commit = async (...args) => {
    await commit(...args);
    if (++commits < 2) return;
    if (fail === 'exit-holding-lock') Atomics.store(new Int32Array(inner.commitLock), 0, 1);
    if (fail === 'exit' || fail === 'exit-holding-lock') process.exit(3);
    throw new Error('the read model went away');
  };
  return stores;
};
