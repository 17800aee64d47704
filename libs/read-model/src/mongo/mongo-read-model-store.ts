import {
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type MongoClient,
} from 'mongodb';
import {
  RebuildInProgressError,
  SupersededGenerationError,
  type DriftReport,
  type GenerationInfo,
  type GenerationRole,
  type ProjectionFault,
  type ReadModelDocument,
  type ReadModelStore,
  type RebuildProgress,
  type SwapOutcome,
} from '../read-model.port';
import { connectMongo } from '@signet/mongo';

export interface MongoReadModelStoreOptions {
  /** `mongodb://…` or `mongodb+srv://…`; the database is the URL's path (default `signet`). */
  url: string;
  /** Overrides the URL's database. */
  database?: string;
  /** Prefix of every collection name (default `readModel`). */
  collectionPrefix?: string;
  now?: () => Date;
}

const NAME = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
const DRIFT_SAMPLE = 20;
const DUPLICATE_KEY = 11000;
const NAMESPACE_NOT_FOUND = 26;

/**
 * The pointer: which generation of a projection serves reads, and the checkpoint of that live generation.
 * Keeping the live checkpoint in the pointer document makes "move the live checkpoint only while this
 * generation is live" and "swap only while the live checkpoint equals the shadow's" single-document
 * conditional updates, which MongoDB applies atomically without a transaction.
 */
interface PointerDoc {
  _id: string;
  live: number;
  checkpoint: bigint;
  updatedAt: string;
}

/**
 * A generation as written, keyed `<projection>:<generation>`. Its `role` is as written: the pointer decides
 * which one is live (see roleOf), and a live generation's checkpoint is the pointer's.
 */
type GenerationDoc = GenerationInfo & { _id: string };

interface StoredDocument {
  _id: string;
  revision: bigint;
  position: bigint;
  body: unknown;
}

interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

/**
 * The MongoDB read model. Collections (prefix `readModel` by default):
 *
 * - `<prefix>_projections`: the pointer document per projection (live generation + its checkpoint);
 * - `<prefix>_generations`: one document per generation (role, shadow checkpoint, fault, rebuild progress),
 *   unique index `{projection, generation}`;
 * - `<prefix>_documents_<projection>_<generation>`: one document per key (per user), `_id` = key, so reads by
 *   key and the key-ordered scans of a comparison use the `_id` index and need no other;
 * - `<prefix>_leases`: which process runs which projection.
 *
 * No transaction is needed (a standalone server will do): every document write is an upsert guarded by the
 * log position it reflects, `{_id, position: {$lt: n}}`, so a re-delivered event changes nothing (the insert half
 * of such an upsert hits the `_id` index with E11000: the stored copy is already as new, ignored); the
 * checkpoint moves with `$max` and only after the batch's documents are written, so a crash in between
 * re-projects that batch on restart, harmlessly. Unlike SQLite, documents and checkpoint are not one commit:
 * for an instant a reader may see a document newer than the checkpoint, never one older.
 *
 * Rebuilds are blue/green: the shadow generation is built in its own collection and swapped in by one
 * conditional update of the pointer (`{_id, live: L, checkpoint: c}` → `live: S`).
 */
export class MongoReadModelStore implements ReadModelStore {
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly prefix: string;
  private readonly now: () => Date;
  private readonly pointers: Collection<PointerDoc>;
  private readonly generationDocs: Collection<GenerationDoc>;
  private readonly leases: Collection<LeaseDoc>;
  private indexes: Promise<void> | undefined;

  constructor(options: MongoReadModelStoreOptions) {
    ({ client: this.client, db: this.db } = connectMongo(options.url, {
      database: options.database,
      useBigInt64: true,
    }));
    this.prefix = options.collectionPrefix ?? 'readModel';
    this.now = options.now ?? (() => new Date());
    this.pointers = this.db.collection<PointerDoc>(`${this.prefix}_projections`);
    this.generationDocs = this.db.collection<GenerationDoc>(`${this.prefix}_generations`);
    this.leases = this.db.collection<LeaseDoc>(`${this.prefix}_leases`);
  }

  async ensureLive(projection: string, version: number): Promise<GenerationInfo> {
    checkName(projection);
    await this.ready();
    for (;;) {
      const pointer = await this.pointers.findOne({ _id: projection });
      if (pointer) {
        const doc = await this.generationDocs.findOne({ _id: genId(projection, pointer.live) });
        if (!doc) throw new Error(`${projection}: the live generation ${pointer.live} has no record`);
        return toInfo(doc, pointer);
      }
      const generation = await this.createGeneration(projection, version, 'live', null);
      try {
        await this.pointers.insertOne({
          _id: projection,
          live: generation,
          checkpoint: 0n,
          updatedAt: this.timestamp(),
        });
      } catch (error) {
        // Another process made one first: use theirs, forget ours.
        await this.generationDocs.deleteOne({ _id: genId(projection, generation) });
        if (isDuplicateKey(error)) continue;
        throw error;
      }
    }
  }

  async live(projection: string): Promise<GenerationInfo | null> {
    await this.ready();
    const pointer = await this.pointers.findOne({ _id: projection });
    if (!pointer) return null;
    const doc = await this.generationDocs.findOne({ _id: genId(projection, pointer.live) });
    return doc ? toInfo(doc, pointer) : null;
  }

  async generation(projection: string, generation: number): Promise<GenerationInfo | null> {
    await this.ready();
    const [doc, pointer] = await Promise.all([
      this.generationDocs.findOne({ _id: genId(projection, generation) }),
      this.pointers.findOne({ _id: projection }),
    ]);
    return doc ? toInfo(doc, pointer) : null;
  }

  async generations(): Promise<GenerationInfo[]> {
    await this.ready();
    const [docs, pointers] = await Promise.all([
      this.generationDocs.find({}).sort({ projection: 1, generation: -1 }).toArray(),
      this.pointers.find({}).toArray(),
    ]);
    const byName = new Map(pointers.map((p) => [p._id, p]));
    return docs.map((doc) => toInfo(doc, byName.get(doc.projection) ?? null));
  }

  async readLive<Body>(
    projection: string,
    key: string,
  ): Promise<{ document: ReadModelDocument<Body> | null; generation: GenerationInfo | null }> {
    const live = await this.live(projection);
    if (!live) return { document: null, generation: null };
    // The pointer is read first: a swap in between leaves the old copy readable until the next rebuild.
    const stored = await this.documents(projection, live.generation).findOne({ _id: key });
    return { document: stored ? toDocument<Body>(stored) : null, generation: live };
  }

  async readDocuments<Body>(
    projection: string,
    generation: number,
    keys: string[],
  ): Promise<Map<string, ReadModelDocument<Body>>> {
    await this.assertCurrent(projection, generation);
    const found = new Map<string, ReadModelDocument<Body>>();
    const unique = [...new Set(keys)];
    if (unique.length === 0) return found;
    for (const stored of await this.documents(projection, generation)
      .find({ _id: { $in: unique } })
      .toArray()) {
      found.set(stored._id, toDocument<Body>(stored));
    }
    return found;
  }

  async allDocuments<Body>(projection: string, generation: number): Promise<ReadModelDocument<Body>[]> {
    const all = await this.documents(projection, generation).find({}).sort({ _id: 1 }).toArray();
    return all.map((stored) => toDocument<Body>(stored));
  }

  async commit(
    projection: string,
    generation: number,
    documents: ReadModelDocument[],
    checkpoint: bigint,
    progress?: Pick<RebuildProgress, 'processedEvents' | 'targetPosition'>,
  ): Promise<void> {
    const current = await this.assertCurrent(projection, generation);
    if (documents.length > 0) {
      // The position guard: an event delivered twice (or an older copy of a document) never wins.
      const writes: AnyBulkWriteOperation<StoredDocument>[] = documents.map((document) => ({
        updateOne: {
          filter: { _id: document.key, position: { $lt: document.position } },
          update: {
            $set: {
              revision: document.revision,
              position: document.position,
              body: normalise(document.body),
            },
          },
          upsert: true,
        },
      }));
      try {
        await this.documents(projection, generation).bulkWrite(writes, { ordered: false });
      } catch (error) {
        if (!onlyDuplicateKeys(error)) throw error;
      }
    }
    const updatedAt = this.timestamp();
    if (current.role === 'live') {
      // Guarded by the pointer: if a rebuild swapped this generation out meanwhile, nothing moves.
      const moved = await this.pointers.updateOne(
        { _id: projection, live: generation },
        { $max: { checkpoint }, $set: { updatedAt } },
      );
      if (moved.matchedCount === 0) throw new SupersededGenerationError(projection, generation);
      return;
    }
    const set: Record<string, unknown> = { updatedAt };
    if (progress && current.rebuild) {
      set['rebuild.processedEvents'] = progress.processedEvents;
      set['rebuild.targetPosition'] = progress.targetPosition;
    }
    const moved = await this.generationDocs.updateOne(
      { _id: genId(projection, generation), role: 'shadow' },
      { $max: { checkpoint }, $set: set },
    );
    if (moved.matchedCount === 0) throw new SupersededGenerationError(projection, generation);
  }

  async recordFault(projection: string, generation: number, fault: ProjectionFault): Promise<void> {
    await this.setFault(projection, generation, fault);
  }

  async clearFault(projection: string, generation: number): Promise<void> {
    await this.setFault(projection, generation, null);
  }

  async beginShadow(
    projection: string,
    version: number,
    options: { busyAfterMs: number },
  ): Promise<GenerationInfo> {
    checkName(projection);
    await this.ready();
    const now = this.now();
    const pointer = await this.pointers.findOne({ _id: projection });
    const shadows = (await this.generationDocs.find({ projection, role: 'shadow' }).toArray()).filter(
      (doc) => doc.generation !== pointer?.live,
    );
    for (const shadow of shadows) {
      if (now.getTime() - Date.parse(shadow.updatedAt) < options.busyAfterMs) {
        throw new RebuildInProgressError(projection, shadow.generation);
      }
    }
    for (const shadow of shadows) {
      await this.finishShadow(projection, shadow, 'abandoned', 'Interrupted; a later rebuild replaced it.');
    }
    const rebuild: RebuildProgress = {
      state: 'building',
      processedEvents: 0,
      targetPosition: (pointer?.checkpoint ?? 0n).toString(),
      startedAt: now.toISOString(),
      finishedAt: null,
      drift: null,
      error: null,
    };
    const generation = await this.createGeneration(projection, version, 'shadow', rebuild);
    return (await this.generation(projection, generation))!;
  }

  async swap(projection: string, shadow: number): Promise<SwapOutcome> {
    await this.ready();
    const shadowDoc = await this.generationDocs.findOne({ _id: genId(projection, shadow) });
    const pointer = await this.pointers.findOne({ _id: projection });
    if (!shadowDoc || shadowDoc.role !== 'shadow' || pointer?.live === shadow) {
      throw new SupersededGenerationError(projection, shadow);
    }
    const finishedAt = this.timestamp();
    let drift: DriftReport | null = null;
    if (!pointer) {
      try {
        await this.pointers.insertOne({
          _id: projection,
          live: shadow,
          checkpoint: shadowDoc.checkpoint,
          updatedAt: finishedAt,
        });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const now = await this.pointers.findOne({ _id: projection });
        return { swapped: false, liveCheckpoint: now?.checkpoint ?? 0n };
      }
    } else {
      if (pointer.checkpoint !== shadowDoc.checkpoint) {
        return { swapped: false, liveCheckpoint: pointer.checkpoint };
      }
      drift = await this.compare(projection, pointer.live, shadow, pointer.checkpoint);
      // The atomic switch: only if the live copy has not moved since it was compared.
      const switched = await this.pointers.updateOne(
        { _id: projection, live: pointer.live, checkpoint: pointer.checkpoint },
        { $set: { live: shadow, updatedAt: finishedAt } },
      );
      if (switched.matchedCount === 0) {
        const now = await this.pointers.findOne({ _id: projection });
        if (!now || now.live !== pointer.live) throw new SupersededGenerationError(projection, shadow);
        return { swapped: false, liveCheckpoint: now.checkpoint };
      }
      // Bookkeeping after the switch (the pointer already decides the roles): retire the old copy, keep its
      // final checkpoint, and drop the one before it (kept until now for an operator to look at).
      await this.generationDocs.updateOne(
        { _id: genId(projection, pointer.live) },
        { $set: { role: 'retired', checkpoint: pointer.checkpoint, updatedAt: finishedAt } },
      );
      const older = await this.generationDocs
        .find({ projection, role: 'retired', generation: { $lt: pointer.live } })
        .toArray();
      for (const old of older) await this.dropDocuments(projection, old.generation);
    }
    await this.generationDocs.updateOne(
      { _id: genId(projection, shadow) },
      {
        $set: {
          role: 'live',
          updatedAt: finishedAt,
          rebuild: {
            ...(shadowDoc.rebuild ?? emptyProgress(finishedAt)),
            state: 'swapped',
            finishedAt,
            drift,
          },
        },
      },
    );
    return { swapped: true, drift };
  }

  async endShadow(
    projection: string,
    shadow: number,
    state: 'failed' | 'abandoned',
    error: string | null,
  ): Promise<void> {
    await this.ready();
    const [doc, pointer] = await Promise.all([
      this.generationDocs.findOne({ _id: genId(projection, shadow) }),
      this.pointers.findOne({ _id: projection }),
    ]);
    if (doc?.role === 'shadow' && pointer?.live !== shadow)
      await this.finishShadow(projection, doc, state, error);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    await this.ready();
    const now = this.now();
    try {
      // Free, ours already, or expired: take it. Held by another: the upsert's insert hits _id (E11000).
      await this.leases.updateOne(
        { _id: name, $or: [{ owner }, { expiresAt: { $lte: now } }] },
        { $set: { owner, expiresAt: new Date(now.getTime() + ttlMs) } },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.ready();
    await this.leases.deleteOne({ _id: name, owner });
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  // ---- internals ------------------------------------------------------------------------------------------

  /** Creates the indexes once per store (idempotent on the server). */
  private ready(): Promise<void> {
    this.indexes ??= this.generationDocs
      .createIndex({ projection: 1, generation: 1 }, { unique: true, name: 'projection_generation' })
      .then(
        () => undefined,
        (error: unknown) => {
          this.indexes = undefined;
          throw error;
        },
      );
    return this.indexes;
  }

  private documents(projection: string, generation: number): Collection<StoredDocument> {
    checkName(projection);
    return this.db.collection<StoredDocument>(`${this.prefix}_documents_${projection}_${generation}`);
  }

  private async createGeneration(
    projection: string,
    version: number,
    role: GenerationRole,
    rebuild: RebuildProgress | null,
  ): Promise<number> {
    // The unique _id allocates the number: two processes racing for the same one, one retries.
    for (;;) {
      const last = await this.generationDocs.find({ projection }).sort({ generation: -1 }).limit(1).toArray();
      const generation = (last[0]?.generation ?? 0) + 1;
      const now = this.timestamp();
      try {
        await this.generationDocs.insertOne({
          _id: genId(projection, generation),
          projection,
          generation,
          version,
          role,
          checkpoint: 0n,
          fault: null,
          rebuild,
          createdAt: now,
          updatedAt: now,
        });
        return generation;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
  }

  /** The generation must still be live or a shadow. */
  private async assertCurrent(projection: string, generation: number): Promise<GenerationInfo> {
    const info = await this.generation(projection, generation);
    if (!info || (info.role !== 'live' && info.role !== 'shadow')) {
      throw new SupersededGenerationError(projection, generation);
    }
    return info;
  }

  private async setFault(
    projection: string,
    generation: number,
    fault: ProjectionFault | null,
  ): Promise<void> {
    await this.ready();
    await this.generationDocs.updateOne(
      { _id: genId(projection, generation) },
      { $set: { fault, updatedAt: this.timestamp() } },
    );
  }

  private async finishShadow(
    projection: string,
    doc: GenerationDoc,
    state: 'failed' | 'abandoned',
    error: string | null,
  ): Promise<void> {
    const finishedAt = this.timestamp();
    const rebuild = { ...(doc.rebuild ?? emptyProgress(finishedAt)), state, finishedAt, error };
    const ended = await this.generationDocs.updateOne(
      { _id: doc._id, role: 'shadow' },
      { $set: { role: 'abandoned', rebuild, updatedAt: finishedAt } },
    );
    if (ended.matchedCount > 0) await this.dropDocuments(projection, doc.generation);
  }

  private async dropDocuments(projection: string, generation: number): Promise<void> {
    try {
      await this.documents(projection, generation).drop();
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND)) throw error;
    }
  }

  /** Both copies in key order, merged: documents missing on either side, and documents that differ. */
  private async compare(
    projection: string,
    live: number,
    shadow: number,
    position: bigint,
  ): Promise<DriftReport> {
    const a = this.documents(projection, live).find({}).sort({ _id: 1 });
    const b = this.documents(projection, shadow).find({}).sort({ _id: 1 });
    let documents = 0;
    const sampleKeys: string[] = [];
    const drifted = (key: string) => {
      documents += 1;
      if (sampleKeys.length < DRIFT_SAMPLE) sampleKeys.push(key);
    };
    try {
      let left = await a.next();
      let right = await b.next();
      while (left || right) {
        if (left && (!right || left._id < right._id)) {
          drifted(left._id);
          left = await a.next();
        } else if (right && (!left || right._id < left._id)) {
          drifted(right._id);
          right = await b.next();
        } else {
          if (
            left!.revision !== right!.revision ||
            JSON.stringify(left!.body) !== JSON.stringify(right!.body)
          ) {
            drifted(left!._id);
          }
          left = await a.next();
          right = await b.next();
        }
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    return { position: position.toString(), documents, sampleKeys };
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}

function checkName(projection: string): void {
  if (!NAME.test(projection)) throw new RangeError(`Invalid projection name ${JSON.stringify(projection)}`);
}

function genId(projection: string, generation: number): string {
  return `${projection}:${generation}`;
}

/** The pointer decides which generation is live; a generation once live and no longer is retired. */
function roleOf(doc: GenerationDoc, pointer: PointerDoc | null): GenerationRole {
  if (pointer?.live === doc.generation) return 'live';
  return doc.role === 'live' ? 'retired' : doc.role;
}

function toInfo(doc: GenerationDoc, pointer: PointerDoc | null): GenerationInfo {
  const role = roleOf(doc, pointer);
  const live = role === 'live' && pointer !== null;
  return {
    projection: doc.projection,
    generation: doc.generation,
    version: doc.version,
    role,
    checkpoint: live && pointer.checkpoint > doc.checkpoint ? pointer.checkpoint : doc.checkpoint,
    fault: doc.fault ?? null,
    rebuild: doc.rebuild ?? null,
    createdAt: doc.createdAt,
    updatedAt: live && pointer.updatedAt > doc.updatedAt ? pointer.updatedAt : doc.updatedAt,
  };
}

function toDocument<Body>(stored: StoredDocument): ReadModelDocument<Body> {
  return {
    key: stored._id,
    revision: BigInt(stored.revision),
    position: BigInt(stored.position),
    body: stored.body as Body,
  };
}

/** Bodies are JSON (as the embedded store keeps them): the same value reads back from either adapter. */
function normalise(body: unknown): unknown {
  return body === undefined ? null : (JSON.parse(JSON.stringify(body)) as unknown);
}

function emptyProgress(at: string): RebuildProgress {
  return {
    state: 'building',
    processedEvents: 0,
    targetPosition: '0',
    startedAt: at,
    finishedAt: null,
    drift: null,
    error: null,
  };
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/** A bulk write whose only failures are guarded upserts that found a newer document. */
function onlyDuplicateKeys(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  if (!(error instanceof MongoServerError) || writeErrors === undefined) return false;
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return (
    list.length > 0 &&
    list.every((e: { code?: number }) => e.code === DUPLICATE_KEY) &&
    !(error as { writeConcernError?: unknown }).writeConcernError
  );
}
