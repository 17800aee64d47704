import { connectMongo } from '@signet/mongo';
import { MongoServerError, type Collection, type MongoClient } from 'mongodb';
import type { DataKeyRecord, DataKeyStore } from '../data-key-store.port';

interface KeyDoc {
  _id: string;
  personId: string;
  wrapped: string;
  masterKid: string;
  createdAt: string;
}

const DUPLICATE_KEY = 11000;

/**
 * The data keys in a MongoDB collection (`dataKeys`) when MONGO_URL is set: shared by every instance and
 * worker. A destroyed key is deleted; what MongoDB keeps of deleted documents (the journal, the oplog of a
 * replica set, backups) ages out on MongoDB's own schedule, which docs/privacy.md says.
 */
export class MongoDataKeyStore implements DataKeyStore {
  private readonly client: MongoClient;
  private readonly keys: Collection<KeyDoc>;
  private indexed: Promise<unknown> | undefined;

  constructor(options: { url: string; database?: string; collection?: string }) {
    const { client, db } = connectMongo(options.url, { database: options.database });
    this.client = client;
    this.keys = db.collection<KeyDoc>(options.collection ?? 'dataKeys');
  }

  async currentOf(personId: string): Promise<DataKeyRecord | null> {
    await this.ready();
    return recordOf(await this.keys.findOne({ personId }));
  }

  async byKid(kid: string): Promise<DataKeyRecord | null> {
    await this.ready();
    return recordOf(await this.keys.findOne({ _id: kid }));
  }

  async currentOfMany(personIds: string[]): Promise<DataKeyRecord[]> {
    await this.ready();
    const docs = await this.keys.find({ personId: { $in: [...new Set(personIds)] } }).toArray();
    return docs.map((doc) => recordOf(doc)!);
  }

  async byKids(kids: string[]): Promise<DataKeyRecord[]> {
    await this.ready();
    const docs = await this.keys.find({ _id: { $in: [...new Set(kids)] } }).toArray();
    return docs.map((doc) => recordOf(doc)!);
  }

  async create(record: DataKeyRecord): Promise<DataKeyRecord> {
    await this.ready();
    try {
      await this.keys.insertOne({
        _id: record.kid,
        personId: record.personId,
        wrapped: record.wrapped,
        masterKid: record.masterKid,
        createdAt: record.createdAt,
      });
      return record;
    } catch (error) {
      // The unique index on personId let another writer's key in first: that one is the person's key.
      if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
      const existing = await this.currentOf(record.personId);
      if (!existing) throw error;
      return existing;
    }
  }

  async destroy(personId: string): Promise<string[]> {
    await this.ready();
    const docs = await this.keys.find({ personId }).toArray();
    await this.keys.deleteMany({ personId });
    return docs.map((doc) => doc._id);
  }

  async page(afterKid: string | null, limit: number): Promise<DataKeyRecord[]> {
    await this.ready();
    const docs = await this.keys
      .find(afterKid === null ? {} : { _id: { $gt: afterKid } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((doc) => recordOf(doc)!);
  }

  async rewrap(kid: string, wrapped: string, masterKid: string): Promise<void> {
    await this.ready();
    await this.keys.updateOne({ _id: kid }, { $set: { wrapped, masterKid } });
  }

  async ping(options: { write?: boolean } = {}): Promise<void> {
    await this.keys.findOne({ _id: '' });
    if (options.write) await this.ready();
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private ready(): Promise<unknown> {
    this.indexed ??= this.keys
      .createIndex({ personId: 1 }, { unique: true, name: 'personId' })
      .catch((error: unknown) => {
        this.indexed = undefined;
        throw error;
      });
    return this.indexed;
  }
}

function recordOf(doc: KeyDoc | null): DataKeyRecord | null {
  if (!doc) return null;
  return {
    kid: doc._id,
    personId: doc.personId,
    wrapped: doc.wrapped,
    masterKid: doc.masterKid,
    createdAt: doc.createdAt,
  };
}
