import type { DataKeyRecord, DataKeyStore } from './data-key-store.port';

const record = (kid: string, personId: string, wrapped = `wrapped-${kid}`): DataKeyRecord => ({
  kid,
  personId,
  wrapped,
  masterKid: 'm1',
  createdAt: '2030-01-01T00:00:00.000Z',
});

/** What every DataKeyStore adapter must do. */
export function dataKeyStoreContract(
  name: string,
  open: () => Promise<{ store: DataKeyStore; cleanup(): Promise<void> }>,
) {
  describe(`${name}: the DataKeyStore contract`, () => {
    let store: DataKeyStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });

    afterEach(() => cleanup());

    it('keeps one current key per person: a second create returns the first', async () => {
      expect(await store.currentOf('alice')).toBeNull();
      expect(await store.create(record('k1', 'alice'))).toEqual(record('k1', 'alice'));
      expect(await store.create(record('k2', 'alice'))).toEqual(record('k1', 'alice'));
      expect(await store.currentOf('alice')).toEqual(record('k1', 'alice'));
      expect(await store.byKid('k1')).toEqual(record('k1', 'alice'));
      expect(await store.byKid('k2')).toBeNull();
    });

    it('destroys every key of one person and no other', async () => {
      await store.create(record('k1', 'alice'));
      await store.create(record('k3', 'bob'));
      expect(await store.destroy('alice')).toEqual(['k1']);
      expect(await store.byKid('k1')).toBeNull();
      expect(await store.currentOf('alice')).toBeNull();
      expect(await store.byKid('k3')).toEqual(record('k3', 'bob'));
      // A fresh key afterwards, with a new id.
      expect(await store.create(record('k4', 'alice'))).toEqual(record('k4', 'alice'));
    });

    it('pages through every key in kid order and rewraps one without changing its id', async () => {
      for (const [kid, person] of [
        ['b', 'p2'],
        ['a', 'p1'],
        ['c', 'p3'],
      ])
        await store.create(record(kid, person));
      expect((await store.page(null, 2)).map((r) => r.kid)).toEqual(['a', 'b']);
      expect((await store.page('b', 2)).map((r) => r.kid)).toEqual(['c']);
      await store.rewrap('b', 'rewrapped', 'm2');
      expect(await store.byKid('b')).toEqual({ ...record('b', 'p2'), wrapped: 'rewrapped', masterKid: 'm2' });
    });

    it('looks up many at once: the keys found, a person or kid without one left out', async () => {
      await store.create(record('k1', 'alice'));
      await store.create(record('k3', 'bob'));
      await store.create(record('k5', 'carol'));
      await store.destroy('carol');
      const byKid = (records: DataKeyRecord[]) => [...records].sort((a, b) => a.kid.localeCompare(b.kid));
      expect(byKid(await store.currentOfMany(['bob', 'alice', 'carol', 'nobody', 'alice']))).toEqual([
        record('k1', 'alice'),
        record('k3', 'bob'),
      ]);
      expect(byKid(await store.byKids(['k3', 'k5', 'k1', 'k9', 'k3']))).toEqual([
        record('k1', 'alice'),
        record('k3', 'bob'),
      ]);
      expect(await store.currentOfMany([])).toEqual([]);
      expect(await store.byKids([])).toEqual([]);
    });

    it('answers a ping, and a write probe', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.ping({ write: true })).resolves.toBeUndefined();
    });
  });
}
