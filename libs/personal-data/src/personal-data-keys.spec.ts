import { randomBytes } from 'node:crypto';
import { PersonalDataKeys } from './personal-data-keys';
import { SqliteDataKeyStore } from './sqlite/sqlite-data-key-store';

/** Two processes sharing one key store, each with its own cache. */
describe('PersonalDataKeys', () => {
  const master = randomBytes(32);
  let store: SqliteDataKeyStore;
  let api: PersonalDataKeys;
  let rebuild: PersonalDataKeys;

  beforeEach(() => {
    store = new SqliteDataKeyStore({ filename: ':memory:' });
    api = new PersonalDataKeys(store, { current: master });
    rebuild = new PersonalDataKeys(store, { current: master });
  });

  afterEach(() => store.close());

  describe('a key destroyed by another process', () => {
    it('seals what was derived from the erased data under the destroyed key, then forgets it', async () => {
      const old = await api.forWriting('alice');
      expect((await rebuild.forReading(old.kid))?.key).toEqual(old.key);
      await api.destroy('alice');
      expect(rebuild.known(old.kid)).toEqual(old); // still cached in the other process, for now

      const derived = await rebuild.forDerived('alice');
      expect(derived.kid).toBe(old.kid);
      expect(await store.byKid(old.kid)).toBeNull();
      expect(rebuild.known(old.kid)).toBeNull(); // erasure wins here too from now on

      const next = await rebuild.forDerived('alice');
      expect(next.kid).not.toBe(old.kid);
      expect(next.kid).toBe((await store.currentOf('alice'))?.kid);
    });

    it('forgets the destroyed key on seeing the person’s new one, and seals fresh data under the new one', async () => {
      const old = await api.forWriting('alice');
      await rebuild.forReading(old.kid);
      await api.destroy('alice');
      const fresh = await api.forWriting('alice');

      expect((await rebuild.forReading(fresh.kid))?.kid).toBe(fresh.kid);
      expect(rebuild.known(old.kid)).toBeNull();
      expect((await rebuild.forDerived('alice')).kid).toBe(fresh.kid);
      expect((await rebuild.forWriting('alice')).kid).toBe(fresh.kid);
    });

    it('derives under the current key when nothing was erased', async () => {
      const key = await api.forWriting('bob');
      await rebuild.forReading(key.kid);
      expect((await rebuild.forDerived('bob')).kid).toBe(key.kid);
      expect((await rebuild.forDerived('carol')).kid).toBe((await store.currentOf('carol'))?.kid);
    });
  });

  describe('keys held in memory', () => {
    it('holds each key in memory of its own, not in a view that keeps a shared 8 KB pool alive', async () => {
      const held = await Promise.all(['alice', 'bob', 'carol'].map((person) => api.forWriting(person)));
      for (const { key } of held) expect(key.buffer.byteLength).toBe(32);
    });
  });

  /** A rebuild asks for a batch's keys together: the same answers as one by one, in one round trip. */
  describe('keys looked up many at once', () => {
    it('derives a batch under each person’s current key, the erased one’s under the key destroyed, in one lookup', async () => {
      const alice = await api.forWriting('alice');
      const bob = await api.forWriting('bob');
      await rebuild.prefetch([alice.kid, bob.kid]);
      await api.destroy('alice');
      const currentOf = jest.spyOn(store, 'currentOf');
      const currentOfMany = jest.spyOn(store, 'currentOfMany');

      const keys = await rebuild.forDerivedMany(['alice', 'bob', 'carol', 'bob']);

      expect(currentOfMany).toHaveBeenCalledTimes(1);
      expect(currentOf).not.toHaveBeenCalled();
      expect(keys.get('alice')?.kid).toBe(alice.kid); // what was derived from the erased data stays erased
      expect(keys.get('bob')?.kid).toBe(bob.kid);
      expect(keys.get('carol')?.kid).toBe((await store.currentOf('carol'))?.kid); // created, as forWriting does
      expect(rebuild.known(alice.kid)).toBeNull();
      // And the next batch seals alice's fresh data under her new key.
      expect((await rebuild.forDerivedMany(['alice', 'bob'])).get('alice')?.kid).toBe(
        (await store.currentOf('alice'))?.kid,
      );
    });

    it('prefetches the unknown keys of a page in one lookup: found ones held, destroyed ones known as such', async () => {
      const alice = await api.forWriting('alice');
      const bob = await api.forWriting('bob');
      await api.destroy('bob');
      const byKid = jest.spyOn(store, 'byKid');
      const byKids = jest.spyOn(store, 'byKids');

      await rebuild.prefetch([alice.kid, bob.kid, alice.kid]);

      expect(byKids).toHaveBeenCalledTimes(1);
      expect(rebuild.known(alice.kid)).toEqual(alice);
      expect(rebuild.known(bob.kid)).toBeNull();
      expect(await rebuild.forReading(alice.kid)).toEqual(alice);
      expect(byKid).not.toHaveBeenCalled();
      // Nothing left to ask: no round trip.
      await rebuild.prefetch([alice.kid, bob.kid]);
      expect(byKids).toHaveBeenCalledTimes(1);
    });
  });
});
