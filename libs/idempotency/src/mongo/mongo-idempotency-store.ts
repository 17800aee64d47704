import { connectMongo } from '@signet/mongo';
import { MongoServerError, type Collection, type Db, type MongoClient } from 'mongodb';
import type { IdempotencyClaim, IdempotencyStore, StoredResponse } from '../idempotency.port';

export interface MongoIdempotencyStoreOptions {
  /** `mongodb://…` or `mongodb+srv://…`; the database is the URL's path (default `signet`). */
  url: string;
  /** Overrides the URL's database. */
  database?: string;
  /** Default `idempotencyKeys`. */
  collection?: string;
  /** How long a completed answer is replayed (default 24 h, as the IETF Idempotency-Key draft suggests). */
  retentionMs?: number;
  /**
   * How long an unfinished claim blocks retries. An instance that died mid-request leaves its claim behind;
   * after this lease a retry (on any instance) may run again.
   */
  inFlightLeaseMs?: number;
  now?: () => number;
}

interface KeyId {
  scope: string;
  key: string;
}

interface KeyDoc {
  _id: KeyId;
  fingerprint: string;
  /**
   * The answer as JSON text, null while in flight. Text rather than a sub-document: a body may hold field
   * names MongoDB refuses or rewrites (`$…`, dotted), and text gives back exactly what was stored.
   */
  response: string | null;
  createdAt: Date;
}

const DUPLICATE_KEY = 11000;
const MAX_ROUNDS = 10;
/** An index of that name exists with other options (another retention): the existing one is kept. */
const INDEX_OPTIONS_CONFLICT = [85, 86];

/**
 * Idempotency keys in MongoDB, shared by every API instance behind a load balancer: a retry that reaches
 * another instance finds the first claim. One document per (scope, key), `_id: {scope, key}`.
 *
 * No transaction is needed: the first claim is an insert (the `_id` index lets exactly one through); taking
 * over a stale entry (past retention, or unfinished past the lease) is one update conditional on the entry
 * read, so of two instances taking it at once, one wins and the other reads again and sees it in flight.
 * A TTL index on `createdAt` removes entries after the retention (MongoDB's TTL monitor runs about once a
 * minute, so an entry may outlive it briefly: claims therefore judge the age themselves).
 */
export class MongoIdempotencyStore implements IdempotencyStore {
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly keys: Collection<KeyDoc>;
  private readonly retentionMs: number;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private expiry: Promise<void> | undefined;

  constructor(options: MongoIdempotencyStoreOptions) {
    ({ client: this.client, db: this.db } = connectMongo(options.url, { database: options.database }));
    this.keys = this.db.collection<KeyDoc>(options.collection ?? 'idempotencyKeys');
    this.retentionMs = options.retentionMs ?? 24 * 3_600_000;
    this.leaseMs = options.inFlightLeaseMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    await this.expiring();
    const _id: KeyId = { scope, key };
    // Each round ends unless another instance changed the entry in between; a few rounds settle any race.
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const createdAt = new Date(this.now());
      try {
        await this.keys.insertOne({ _id, fingerprint, response: null, createdAt });
        return { outcome: 'claimed' };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const found = await this.keys.findOne({ _id });
      if (!found) continue; // Released or expired in between: try the insert again.
      if (!this.isStale(found, createdAt.getTime())) return answerFrom(found, fingerprint);
      // Guarded by what was read: if another instance took it, or its owner completed it, meanwhile, nothing
      // changes here and the entry is read again.
      const taken = await this.keys.updateOne(
        { _id, createdAt: found.createdAt, response: found.response },
        { $set: { fingerprint, response: null, createdAt } },
      );
      if (taken.matchedCount === 1) return { outcome: 'claimed' };
    }
    throw new Error(`The idempotency key kept changing under ${MAX_ROUNDS} claims in a row.`);
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.keys.updateOne({ _id: { scope, key } }, { $set: { response: JSON.stringify(response) } });
  }

  async release(scope: string, key: string): Promise<void> {
    // Only an unfinished claim: a completed answer stays the answer to the key.
    await this.keys.deleteOne({ _id: { scope, key }, response: null });
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private isStale(found: KeyDoc, now: number): boolean {
    const age = now - found.createdAt.getTime();
    return age > this.retentionMs || (found.response === null && age > this.leaseMs);
  }

  /** The TTL index, made once per store on first use (createIndexes is a no-op when it already exists). */
  private expiring(): Promise<void> {
    this.expiry ??= this.keys
      .createIndex(
        { createdAt: 1 },
        { name: 'createdAt_ttl', expireAfterSeconds: Math.ceil(this.retentionMs / 1000) },
      )
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof MongoServerError && INDEX_OPTIONS_CONFLICT.includes(Number(error.code))) {
            // Made by an instance configured with another retention. Not worth failing requests for: that
            // index keeps the collection bounded (and, if shorter, decides when answers go).
            return;
          }
          this.expiry = undefined; // Try again on the next claim.
          throw error;
        },
      );
    return this.expiry;
  }
}

function answerFrom(found: KeyDoc, fingerprint: string): IdempotencyClaim {
  if (found.fingerprint !== fingerprint) return { outcome: 'mismatch' };
  if (found.response === null) return { outcome: 'inFlight' };
  return { outcome: 'completed', response: JSON.parse(found.response) as StoredResponse };
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}
