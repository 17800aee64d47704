import { LRUCache } from 'lru-cache';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataKeyRecord, DataKeyStore } from './data-key-store.port';
import { masterKeyId, unwrapKey, wrapKey } from './sealing';

/** How long an unwrapped data key stays in memory: erasure reaches other processes within this. */
export const DATA_KEY_CACHE_MS = 60_000;
const CACHED_KEYS = 10_000;

export interface DataKey {
  kid: string;
  key: Buffer;
}

interface HeldKey extends DataKey {
  personId: string;
}

/** The master keys a process holds: the one that wraps new keys, and earlier ones still unwrapping (rotation). */
export interface MasterKeys {
  current: Buffer;
  previous?: Buffer[];
}

/**
 * The people's data keys: created on a person's first sealed write, unwrapped on use and kept in memory only
 * briefly (never on disk unwrapped), destroyed by erasure. A destroyed key is remembered as gone: its kid is
 * never reused, so "gone" never turns stale.
 */
export class PersonalDataKeys {
  private readonly masters = new Map<string, Buffer>();
  private readonly currentMasterKid: string;
  private readonly byKid = new LRUCache<string, HeldKey>({
    max: CACHED_KEYS,
    ttl: DATA_KEY_CACHE_MS,
    dispose: (held, kid) => {
      if (this.heldByPerson.get(held.personId)?.kid === kid) this.heldByPerson.delete(held.personId);
    },
  });
  /** The key this process holds of each person (they have one at a time): as long as `byKid` keeps it. */
  private readonly heldByPerson = new Map<string, HeldKey>();
  private readonly destroyed = new LRUCache<string, true>({ max: 100_000 });

  constructor(
    private readonly store: DataKeyStore,
    masters: MasterKeys,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.currentMasterKid = masterKeyId(masters.current);
    for (const master of [masters.current, ...(masters.previous ?? [])])
      this.masters.set(masterKeyId(master), master);
  }

  /**
   * The person's current key, created when they have none (their first sealed write, or after erasure). Asked
   * of the key store on every write, never taken from the cache: another process may have erased the person a
   * moment ago, and what is sealed now must not go under a key already destroyed. Only the unwrapping is cached.
   */
  async forWriting(personId: string): Promise<DataKey> {
    return this.current(personId, await this.store.currentOf(personId));
  }

  /** The person's key given what the key store answered for them just now (their current record, or none). */
  private async current(personId: string, found: DataKeyRecord | null): Promise<DataKey> {
    const record = found ?? (await this.store.create(this.newRecord(personId, randomBytes(32))));
    const held = this.heldByPerson.get(personId);
    // A person has one key at a time: one held here that is not it was destroyed by another process.
    if (held && held.kid !== record.kid) this.forget(held.kid);
    return this.byKid.get(record.kid) ?? this.unwrapped(record);
  }

  /**
   * The key for what this process derived from the person's data (a read-model document folded from their
   * events): their current key, unless another process destroyed the key this one was opening their data with
   * (an erasure while it folded their events): then that destroyed key, so that what was derived from the erased
   * data is as unreadable as it is, and is never sealed anew under the key their next write creates.
   */
  async forDerived(personId: string): Promise<DataKey> {
    return (await this.forDerivedMany([personId])).get(personId)!;
  }

  /**
   * `forDerived` for each of several people, their current keys asked of the key store in one round trip (the
   * documents of one batch): still asked at each write, never taken from the cache.
   */
  async forDerivedMany(personIds: string[]): Promise<Map<string, DataKey>> {
    const people = [...new Set(personIds)];
    if (people.length === 0) return new Map();
    const held = new Map(people.map((personId) => [personId, this.heldByPerson.get(personId)]));
    const records = new Map(
      (people.length === 1
        ? [await this.store.currentOf(people[0])].filter((r): r is DataKeyRecord => r !== null)
        : await this.store.currentOfMany(people)
      ).map((record) => [record.personId, record]),
    );
    const keys = new Map<string, DataKey>();
    for (const personId of people) {
      const current = await this.current(personId, records.get(personId) ?? null);
      const before = held.get(personId);
      keys.set(personId, before && before.kid !== current.kid ? before : current);
    }
    return keys;
  }

  /**
   * What this process already knows of a key, without asking the key store: the key, null when it is known to
   * be destroyed, undefined when it must be asked (`forReading`). Lets a read of many events skip an await each.
   */
  known(kid: string): DataKey | null | undefined {
    return this.byKid.get(kid) ?? (this.destroyed.has(kid) ? null : undefined);
  }

  /** The key a value was sealed with, or null when it was destroyed (the person's data was erased). */
  async forReading(kid: string): Promise<DataKey | null> {
    const known = this.known(kid);
    if (known !== undefined) return known;
    const record = await this.store.byKid(kid);
    if (!record) {
      this.destroyed.set(kid, true);
      return null;
    }
    return this.unwrapped(record);
  }

  /**
   * Looks up together the keys of these kids that this process does not know yet, as `forReading` would one by
   * one (a read of many events asks for a page's keys at once). What is found is held as `forReading` holds it.
   */
  async prefetch(kids: string[]): Promise<void> {
    const unknown = [...new Set(kids)].filter((kid) => this.known(kid) === undefined);
    if (unknown.length < 2) return;
    const found = new Set<string>();
    for (const record of await this.store.byKids(unknown)) {
      found.add(record.kid);
      if (this.known(record.kid) === undefined) this.unwrapped(record);
    }
    for (const kid of unknown) if (!found.has(kid)) this.destroyed.set(kid, true);
  }

  /** Destroys the person's keys: everything sealed with them is unreadable from now on, here at once. */
  async destroy(personId: string): Promise<string[]> {
    const kids = await this.store.destroy(personId);
    for (const kid of kids) this.forget(kid);
    return kids;
  }

  /** A key known to be destroyed: everything sealed with it reads as erased here from now on. */
  private forget(kid: string): void {
    this.byKid.delete(kid);
    this.destroyed.set(kid, true);
  }

  /**
   * Wraps every data key with the current master key, unwrapping each with whichever known master key wrapped
   * it. The data keys, and so every sealed value, stay as they are.
   */
  async rotateMaster(): Promise<{ rewrapped: number; alreadyCurrent: number; unknownMaster: number }> {
    const counts = { rewrapped: 0, alreadyCurrent: 0, unknownMaster: 0 };
    const master = this.masters.get(this.currentMasterKid)!;
    let after: string | null = null;
    for (;;) {
      const page = await this.store.page(after, 500);
      if (page.length === 0) return counts;
      for (const record of page) {
        after = record.kid;
        if (record.masterKid === this.currentMasterKid) {
          counts.alreadyCurrent++;
          continue;
        }
        const old = this.masters.get(record.masterKid);
        if (!old) {
          counts.unknownMaster++;
          continue;
        }
        const key = unwrapKey(record.wrapped, old, record.kid);
        await this.store.rewrap(record.kid, wrapKey(key, master, record.kid), this.currentMasterKid);
        counts.rewrapped++;
      }
    }
  }

  get masterKid(): string {
    return this.currentMasterKid;
  }

  private newRecord(personId: string, key: Buffer): DataKeyRecord {
    const kid = randomUUID();
    return {
      kid,
      personId,
      wrapped: wrapKey(key, this.masters.get(this.currentMasterKid)!, kid),
      masterKid: this.currentMasterKid,
      createdAt: this.now().toISOString(),
    };
  }

  private unwrapped(record: DataKeyRecord): DataKey {
    const master = this.masters.get(record.masterKid);
    if (!master) {
      throw new Error(
        `Data key ${record.kid} is wrapped by master key ${record.masterKid}, which this process does not hold ` +
          '(set DATA_KEY_PREVIOUS_SECRET to the master key before the rotation)',
      );
    }
    const key: HeldKey = {
      kid: record.kid,
      key: unwrapKey(record.wrapped, master, record.kid),
      personId: record.personId,
    };
    // A newer key of the person than the one held here: the held one was destroyed (erasure, then a new key).
    const held = this.heldByPerson.get(record.personId);
    if (held && held.kid !== record.kid) this.forget(held.kid);
    this.byKid.set(record.kid, key);
    this.heldByPerson.set(record.personId, key);
    return key;
  }
}
