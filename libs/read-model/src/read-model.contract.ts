/**
 * The behaviour every ReadModelStore adapter must have, as a jest suite an adapter's spec runs:
 *
 *   readModelContract('SqliteReadModelStore', async ({ now }) => ({ store, reopen, cleanup }));
 *
 * The suite owns the clock (`now`, for every store the adapter opens) and moves it by hand, so leases and
 * interrupted rebuilds are reached without waiting.
 * Test code only (uses jest globals): never export it from index.ts. Each test uses a projection name of its
 * own, so an adapter may share one database between tests.
 */
import { TestClock } from '@signet/testing';
import { randomUUID } from 'node:crypto';
import {
  RebuildInProgressError,
  SupersededGenerationError,
  type ReadModelDocument,
  type ReadModelStore,
} from './read-model.port';

export interface ReadModelStoreUnderTest {
  store: ReadModelStore;
  /** Opens a new store on the same data (after `store.close()`). */
  reopen: () => Promise<ReadModelStore>;
  /** Closes every store it opened and removes the data. */
  cleanup: () => Promise<void>;
}

interface Body {
  text: string;
}

const doc = (
  key: string,
  revision: number,
  text: string,
  position = revision + 100,
): ReadModelDocument<Body> => ({
  key,
  revision: BigInt(revision),
  position: BigInt(position),
  body: { text },
});

export interface ReadModelStoreOptionsUnderTest {
  /** The suite's clock: pass it to every store opened (`new SqliteReadModelStore({ ..., now })`). */
  now: () => Date;
}

export function readModelContract(
  name: string,
  makeStore: (options: ReadModelStoreOptionsUnderTest) => Promise<ReadModelStoreUnderTest>,
): void {
  describe(`ReadModelStore contract: ${name}`, () => {
    let subject: ReadModelStoreUnderTest;
    let store: ReadModelStore;
    let projection: string;
    let clock: TestClock;

    beforeEach(async () => {
      clock = new TestClock();
      subject = await makeStore({ now: clock.now });
      store = subject.store;
      projection = `p${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    });

    afterEach(() => subject.cleanup());

    const textOf = async (key: string) => (await store.readLive<Body>(projection, key)).document?.body.text;

    it('creates an empty live generation at checkpoint 0, once', async () => {
      expect(await store.live(projection)).toBeNull();
      const live = await store.ensureLive(projection, 3);
      expect(live).toMatchObject({ projection, version: 3, role: 'live', checkpoint: 0n, fault: null });
      expect(await store.ensureLive(projection, 3)).toMatchObject({ generation: live.generation });
      expect(await store.readLive(projection, 'nobody')).toMatchObject({
        document: null,
        generation: { generation: live.generation },
      });
    });

    it('commits documents together with the checkpoint they reach', async () => {
      const { generation } = await store.ensureLive(projection, 1);
      await store.commit(projection, generation, [doc('alice', 0, 'a0'), doc('bob', 2, 'b2')], 7n);
      const read = await store.readLive<Body>(projection, 'bob');
      expect(read.document).toEqual(doc('bob', 2, 'b2'));
      expect(read.generation?.checkpoint).toBe(7n);
      const both = await store.readDocuments<Body>(projection, generation, ['alice', 'bob', 'carol']);
      expect([...both.keys()].sort()).toEqual(['alice', 'bob']);
    });

    it('writes a document only when its position is newer: a duplicate delivery changes nothing', async () => {
      const { generation } = await store.ensureLive(projection, 1);
      await store.commit(projection, generation, [doc('alice', 3, 'third')], 3n);
      await store.commit(projection, generation, [doc('alice', 3, 'third again')], 3n);
      await store.commit(projection, generation, [doc('alice', 1, 'older')], 3n);
      expect(await textOf('alice')).toBe('third');
      await store.commit(projection, generation, [doc('alice', 4, 'fourth')], 4n);
      expect(await textOf('alice')).toBe('fourth');
    });

    it('never moves the checkpoint backwards', async () => {
      const { generation } = await store.ensureLive(projection, 1);
      await store.commit(projection, generation, [], 10n);
      await store.commit(projection, generation, [], 4n);
      expect((await store.live(projection))?.checkpoint).toBe(10n);
    });

    it('keeps positions and revisions beyond 2^53 exact', async () => {
      const { generation } = await store.ensureLive(projection, 1);
      const big = 2n ** 62n + 1n;
      await store.commit(projection, generation, [{ key: 'k', revision: big, position: big, body: {} }], big);
      const read = await store.readLive(projection, 'k');
      expect(read.document).toMatchObject({ revision: big, position: big });
      expect(read.generation?.checkpoint).toBe(big);
    });

    it('records a fault with its position and clears it', async () => {
      const { generation } = await store.ensureLive(projection, 1);
      const fault = {
        position: '12',
        eventId: 'e',
        streamId: 's',
        eventType: 'Strange',
        error: 'UnknownEventError: no',
        at: '2030-01-01T00:00:00.000Z',
      };
      await store.recordFault(projection, generation, fault);
      expect((await store.live(projection))?.fault).toEqual(fault);
      await store.clearFault(projection, generation);
      expect((await store.live(projection))?.fault).toBeNull();
    });

    it('builds a shadow beside the live copy without showing it', async () => {
      const live = await store.ensureLive(projection, 1);
      await store.commit(projection, live.generation, [doc('alice', 1, 'live')], 5n);
      const shadow = await store.beginShadow(projection, 2, { busyAfterMs: 60_000 });
      expect(shadow).toMatchObject({ role: 'shadow', version: 2, checkpoint: 0n });
      expect(shadow.generation).not.toBe(live.generation);
      await store.commit(projection, shadow.generation, [doc('alice', 1, 'rebuilt')], 5n, {
        processedEvents: 1,
        targetPosition: '5',
      });
      expect(await textOf('alice')).toBe('live');
      expect((await store.generation(projection, shadow.generation))?.rebuild).toMatchObject({
        state: 'building',
        processedEvents: 1,
        targetPosition: '5',
      });
      expect(
        (await store.readDocuments<Body>(projection, shadow.generation, ['alice'])).get('alice')?.body.text,
      ).toBe('rebuilt');
    });

    it('refuses to swap while the copies are at different checkpoints', async () => {
      const live = await store.ensureLive(projection, 1);
      await store.commit(projection, live.generation, [doc('alice', 1, 'x')], 9n);
      const shadow = await store.beginShadow(projection, 1, { busyAfterMs: 60_000 });
      await store.commit(projection, shadow.generation, [doc('alice', 1, 'x')], 8n);
      expect(await store.swap(projection, shadow.generation)).toEqual({ swapped: false, liveCheckpoint: 9n });
      expect((await store.live(projection))?.generation).toBe(live.generation);
    });

    it('swaps atomically, reporting every drifted document, and retires the old copy', async () => {
      const live = await store.ensureLive(projection, 1);
      await store.commit(
        projection,
        live.generation,
        [doc('same', 1, 's'), doc('differs', 2, 'wrong'), doc('onlyLive', 1, 'l')],
        20n,
      );
      const shadow = await store.beginShadow(projection, 2, { busyAfterMs: 60_000 });
      await store.commit(
        projection,
        shadow.generation,
        [doc('same', 1, 's'), doc('differs', 2, 'right'), doc('onlyShadow', 0, 'n')],
        20n,
      );
      const outcome = await store.swap(projection, shadow.generation);
      expect(outcome).toEqual({
        swapped: true,
        drift: { position: '20', documents: 3, sampleKeys: ['differs', 'onlyLive', 'onlyShadow'] },
      });
      expect(await store.live(projection)).toMatchObject({
        generation: shadow.generation,
        version: 2,
        checkpoint: 20n,
        rebuild: { state: 'swapped' },
      });
      expect(await textOf('differs')).toBe('right');
      expect(await textOf('onlyLive')).toBeUndefined();
      expect((await store.generation(projection, live.generation))?.role).toBe('retired');
      // A runner still writing the old copy learns it was swapped out.
      await expect(store.commit(projection, live.generation, [], 21n)).rejects.toBeInstanceOf(
        SupersededGenerationError,
      );
      await expect(store.readDocuments(projection, live.generation, ['same'])).rejects.toBeInstanceOf(
        SupersededGenerationError,
      );
    });

    it('reports no drift when both copies agree', async () => {
      const live = await store.ensureLive(projection, 1);
      await store.commit(projection, live.generation, [doc('a', 1, 'x')], 3n);
      const shadow = await store.beginShadow(projection, 1, { busyAfterMs: 60_000 });
      await store.commit(projection, shadow.generation, [doc('a', 1, 'x')], 3n);
      expect(await store.swap(projection, shadow.generation)).toEqual({
        swapped: true,
        drift: { position: '3', documents: 0, sampleKeys: [] },
      });
    });

    it('swaps a shadow in when nothing was live yet', async () => {
      const shadow = await store.beginShadow(projection, 1, { busyAfterMs: 60_000 });
      await store.commit(projection, shadow.generation, [doc('a', 0, 'x')], 1n);
      expect(await store.swap(projection, shadow.generation)).toEqual({ swapped: true, drift: null });
      expect(await textOf('a')).toBe('x');
    });

    it('refuses a second rebuild while one is writing, and replaces an interrupted one', async () => {
      await store.ensureLive(projection, 1);
      const first = await store.beginShadow(projection, 1, { busyAfterMs: 60_000 });
      await expect(store.beginShadow(projection, 1, { busyAfterMs: 60_000 })).rejects.toBeInstanceOf(
        RebuildInProgressError,
      );
      // Nothing written to the first for busyAfterMs: it counts as interrupted.
      clock.advance(60_000);
      const second = await store.beginShadow(projection, 1, { busyAfterMs: 60_000 });
      expect(second.generation).toBeGreaterThan(first.generation);
      expect(await store.generation(projection, first.generation)).toMatchObject({
        role: 'abandoned',
        rebuild: { state: 'abandoned' },
      });
      await expect(store.commit(projection, first.generation, [], 1n)).rejects.toBeInstanceOf(
        SupersededGenerationError,
      );
    });

    it('ends a failed rebuild without touching the live copy', async () => {
      const live = await store.ensureLive(projection, 1);
      await store.commit(projection, live.generation, [doc('a', 1, 'live')], 2n);
      const shadow = await store.beginShadow(projection, 1, { busyAfterMs: 60_000 });
      await store.commit(projection, shadow.generation, [doc('a', 1, 'half')], 1n);
      await store.endShadow(projection, shadow.generation, 'failed', 'boom');
      expect(await store.generation(projection, shadow.generation)).toMatchObject({
        role: 'abandoned',
        rebuild: { state: 'failed', error: 'boom' },
      });
      expect(await textOf('a')).toBe('live');
      expect((await store.live(projection))?.generation).toBe(live.generation);
    });

    it('lists every generation', async () => {
      const live = await store.ensureLive(projection, 1);
      const shadow = await store.beginShadow(projection, 1, { busyAfterMs: 60_000 });
      const mine = (await store.generations()).filter((g) => g.projection === projection);
      expect(mine.map((g) => [g.generation, g.role])).toEqual([
        [shadow.generation, 'shadow'],
        [live.generation, 'live'],
      ]);
    });

    it('keeps documents, checkpoint and the live pointer across a reopen', async () => {
      const live = await store.ensureLive(projection, 1);
      await store.commit(projection, live.generation, [doc('a', 4, 'kept')], 42n);
      await store.close();
      store = await subject.reopen();
      expect(await store.live(projection)).toMatchObject({ generation: live.generation, checkpoint: 42n });
      expect(await textOf('a')).toBe('kept');
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('grants a lease to one owner at a time, renewed by its holder and given up on release', async () => {
      const lease = `${projection}-runner`;
      expect(await store.acquireLease(lease, 'api-1', 60_000)).toBe(true);
      expect(await store.acquireLease(lease, 'api-2', 60_000)).toBe(false);
      expect(await store.acquireLease(lease, 'api-1', 60_000)).toBe(true);
      await store.releaseLease(lease, 'api-2'); // not the holder: changes nothing
      expect(await store.acquireLease(lease, 'api-2', 60_000)).toBe(false);
      await store.releaseLease(lease, 'api-1');
      expect(await store.acquireLease(lease, 'api-2', 60_000)).toBe(true);
      expect(await store.acquireLease(lease, 'api-1', 60_000)).toBe(false);
      expect(await store.acquireLease(`${lease}-other`, 'api-1', 60_000)).toBe(true);
    });

    it('lets another owner take a lease its holder stopped renewing once it expires', async () => {
      const lease = `${projection}-runner`;
      expect(await store.acquireLease(lease, 'api-1', 30_000)).toBe(true);
      clock.advance(29_999);
      expect(await store.acquireLease(lease, 'api-2', 60_000)).toBe(false);
      clock.advance(1);
      expect(await store.acquireLease(lease, 'api-2', 60_000)).toBe(true);
      expect(await store.acquireLease(lease, 'api-1', 30_000)).toBe(false);
    });
  });
}
