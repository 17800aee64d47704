/**
 * Where the people's data keys are kept, wrapped by the master key: beside the event store, never inside it,
 * so that destroying a key is a delete and not a rewrite of an immutable log. SQLite embedded, MongoDB with
 * MONGO_URL; a KMS can implement the same port (it would wrap and unwrap, the store only keep).
 */
export interface DataKeyRecord {
  /** The data key's id, named by every value sealed with it. */
  kid: string;
  /** Whose data it seals (the user id, the subject for their own access-log entries). */
  personId: string;
  /** The data key wrapped by the master key `masterKid`. */
  wrapped: string;
  masterKid: string;
  createdAt: string;
}

export interface DataKeyStore {
  /** The person's current key, or null when they have none (never had one, or it was destroyed). */
  currentOf(personId: string): Promise<DataKeyRecord | null>;
  /** A key by its id, or null once destroyed. */
  byKid(kid: string): Promise<DataKeyRecord | null>;
  /**
   * `currentOf` and `byKid` for many at once, in one round trip (a rebuild looks up a batch's people together):
   * the keys found, in no particular order; a person or kid without one is simply absent.
   */
  currentOfMany(personIds: string[]): Promise<DataKeyRecord[]>;
  byKids(kids: string[]): Promise<DataKeyRecord[]>;
  /**
   * Keeps a new key unless the person already has one: then the existing key is returned (two processes
   * sealing a new person's first event at once end up with one key).
   */
  create(record: DataKeyRecord): Promise<DataKeyRecord>;
  /** Destroys every key of the person, so that no copy stays readable in the store's files. The kids gone. */
  destroy(personId: string): Promise<string[]>;
  /** Every key (master key rotation), a page at a time after `afterKid`. */
  page(afterKid: string | null, limit: number): Promise<DataKeyRecord[]>;
  /** Replaces a key's wrapping (master key rotation); the data key itself does not change. */
  rewrap(kid: string, wrapped: string, masterKid: string): Promise<void>;
  /** Whether it answers; with `write`, whether it can still make a write durable (readiness). */
  ping(options?: { write?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export const DATA_KEY_STORE = Symbol('DataKeyStore');
