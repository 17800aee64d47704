/**
 * A small MongoDB server for tests: the official `mongodb` driver talks to it over a real loopback socket, in
 * the wire protocol (OP_MSG, plus the legacy OP_QUERY `hello`/`isMaster` handshake answered with OP_REPLY),
 * and it keeps its collections in memory. Filters are evaluated by `mingo`; updates ($set, $setOnInsert, $max,
 * $min, $inc, $unset, replacement) are applied here. Unique indexes (and `_id`) raise E11000 (code 11000).
 *
 * It covers the commands the read-model and idempotency adapters use: hello/isMaster, ping, buildInfo,
 * endSessions, insert, update (upsert, multi), delete, find (filter, sort, skip, limit, projection, batchSize,
 * singleBatch), getMore, killCursors, createIndexes, drop, dropDatabase, listCollections, renameCollection
 * (dropTarget).
 * It answers as a standalone server (no replica set, so no transactions, no change streams).
 *
 * Fault injection: drop every connection, refuse connections for a while, fail the next commands.
 *
 * Test code only: never exported from index.ts.
 */
import { deserialize, ObjectId, serialize, type Document } from 'bson';
import { Query } from 'mingo';
import { createServer, type Server, type Socket } from 'node:net';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MAX_WIRE_VERSION = 21; // MongoDB 7.0
const DEFAULT_BATCH = 101;

interface IndexSpec {
  name: string;
  key: Record<string, number>;
  unique: boolean;
}

interface Collection {
  docs: Map<string, Document>;
  indexes: IndexSpec[];
}

interface OpenCursor {
  ns: string;
  docs: Document[];
}

class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

class DuplicateKeyError extends CommandError {
  constructor(ns: string, index: string, key: unknown) {
    super(
      11000,
      'DuplicateKey',
      `E11000 duplicate key error collection: ${ns} index: ${index} dup key: ${JSON.stringify(decode(key))}`,
    );
  }
}

export class MongoWireDouble {
  /** How many times each command was run (by command name). */
  readonly commands: Record<string, number> = {};
  private readonly collections = new Map<string, Collection>();
  private readonly cursors = new Map<bigint, OpenCursor>();
  private readonly sockets = new Set<Socket>();
  private nextCursorId = 1000n;
  private nextRequestId = 1;
  private nextConnectionId = 1;
  private refusing = false;
  private failures: { remaining: number; command: string | undefined; code: number } | undefined;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<MongoWireDouble> {
    const server = createServer();
    const double = new MongoWireDouble(server);
    server.on('connection', (socket) => double.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return double;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** A connection string for the driver; `db` names the database. Short timeouts so failing tests fail fast. */
  url(db = 'signet'): string {
    return `mongodb://127.0.0.1:${this.port}/${db}?directConnection=true&serverSelectionTimeoutMS=2000`;
  }

  /** Fault: closes every open connection (the driver reconnects). */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Fault: closes every connection and refuses new ones until `acceptConnections()` (or for `forMs`). */
  refuseConnections(forMs?: number): void {
    this.refusing = true;
    this.dropConnections();
    if (forMs !== undefined) setTimeout(() => this.acceptConnections(), forMs).unref();
  }

  acceptConnections(): void {
    this.refusing = false;
  }

  /** Fault: the next `count` commands (of that name, if given) fail with the given error code. */
  failNextCommands(count: number, command?: string, code = 91 /* ShutdownInProgress */): void {
    this.failures = { remaining: count, command, code };
  }

  /** The documents of a collection, decoded (for assertions). */
  documents(db: string, collection: string): Document[] {
    return [...(this.collections.get(`${db}.${collection}`)?.docs.values() ?? [])].map(
      (d) => decode(d) as Document,
    );
  }

  collectionNames(db: string): string[] {
    return [...this.collections.keys()]
      .filter((ns) => ns.startsWith(`${db}.`))
      .map((ns) => ns.slice(db.length + 1));
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- the wire ------------------------------------------------------------------------------------------

  private accept(socket: Socket): void {
    if (this.refusing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const connectionId = this.nextConnectionId++;
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 16) {
        const length = buffered.readInt32LE(0);
        if (buffered.length < length) break;
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        try {
          const reply = this.handleMessage(message, connectionId);
          if (reply && !socket.destroyed) socket.write(reply);
        } catch {
          socket.destroy();
          return;
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private handleMessage(message: Buffer, connectionId: number): Buffer | null {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_QUERY) {
      // flags(4) fullCollectionName(cstring) numberToSkip(4) numberToReturn(4) query
      let offset = 20;
      while (message[offset] !== 0) offset++;
      offset += 1 + 8;
      const size = message.readInt32LE(offset);
      let query = deserialize(message.subarray(offset, offset + size), { useBigInt64: true });
      if (query.$query) query = query.$query as Document;
      const answer = this.runCommand({ ...query, $db: 'admin' }, connectionId);
      const body = serialize(answer);
      const header = Buffer.alloc(36);
      header.writeInt32LE(36 + body.length, 0);
      header.writeInt32LE(this.nextRequestId++, 4);
      header.writeInt32LE(requestId, 8);
      header.writeInt32LE(OP_REPLY, 12);
      header.writeInt32LE(0, 16); // responseFlags
      header.writeBigInt64LE(0n, 20); // cursorID
      header.writeInt32LE(0, 28); // startingFrom
      header.writeInt32LE(1, 32); // numberReturned
      return Buffer.concat([header, body]);
    }
    if (opCode !== OP_MSG) throw new Error(`Unsupported opcode ${opCode}`);
    const flags = message.readUInt32LE(16);
    const end = flags & 1 ? message.length - 4 : message.length; // checksumPresent
    let offset = 20;
    let command: Document | undefined;
    const sequences: Record<string, Document[]> = {};
    while (offset < end) {
      const kind = message[offset++];
      if (kind === 0) {
        const size = message.readInt32LE(offset);
        command = deserialize(message.subarray(offset, offset + size), { useBigInt64: true });
        offset += size;
      } else if (kind === 1) {
        const size = message.readInt32LE(offset);
        const sectionEnd = offset + size;
        let cursor = offset + 4;
        const nameEnd = message.indexOf(0, cursor);
        const identifier = message.toString('utf8', cursor, nameEnd);
        cursor = nameEnd + 1;
        const docs: Document[] = [];
        while (cursor < sectionEnd) {
          const docSize = message.readInt32LE(cursor);
          docs.push(deserialize(message.subarray(cursor, cursor + docSize), { useBigInt64: true }));
          cursor += docSize;
        }
        sequences[identifier] = docs;
        offset = sectionEnd;
      } else {
        throw new Error(`Unsupported OP_MSG section kind ${kind}`);
      }
    }
    if (!command) throw new Error('OP_MSG without a body');
    const answer = this.runCommand({ ...command, ...sequences }, connectionId);
    if (flags & 2) return null; // moreToCome: the client wants no answer (w:0)
    const body = serialize(answer);
    const header = Buffer.alloc(21);
    header.writeInt32LE(21 + body.length, 0);
    header.writeInt32LE(this.nextRequestId++, 4);
    header.writeInt32LE(requestId, 8);
    header.writeInt32LE(OP_MSG, 12);
    header.writeUInt32LE(0, 16);
    header.writeUInt8(0, 20);
    return Buffer.concat([header, body]);
  }

  // ---- commands ------------------------------------------------------------------------------------------

  private runCommand(command: Document, connectionId: number): Document {
    const name = Object.keys(command)[0];
    const key = name === 'ismaster' ? 'isMaster' : name;
    this.commands[key] = (this.commands[key] ?? 0) + 1;
    try {
      const failure = this.failures;
      if (failure && failure.remaining > 0 && (!failure.command || failure.command === key)) {
        failure.remaining -= 1;
        throw new CommandError(failure.code, 'InjectedFault', `Injected fault on ${key}`);
      }
      return { ...this.dispatch(key, command, connectionId), ok: 1 };
    } catch (error) {
      if (error instanceof CommandError) {
        return { ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName };
      }
      return { ok: 0, errmsg: (error as Error).message, code: 1, codeName: 'InternalError' };
    }
  }

  private dispatch(name: string, command: Document, connectionId: number): Document {
    const db = String(command.$db ?? 'test');
    switch (name) {
      case 'hello':
      case 'isMaster':
        return {
          helloOk: true,
          isWritablePrimary: true,
          ismaster: true,
          maxBsonObjectSize: 16 * 1024 * 1024,
          maxMessageSizeBytes: 48_000_000,
          maxWriteBatchSize: 100_000,
          localTime: new Date(),
          logicalSessionTimeoutMinutes: 30,
          connectionId,
          minWireVersion: 0,
          maxWireVersion: MAX_WIRE_VERSION,
          readOnly: false,
        };
      case 'ping':
      case 'endSessions':
        return {};
      case 'buildInfo':
      case 'buildinfo':
        return { version: '7.0.0-double', versionArray: [7, 0, 0, 0], maxBsonObjectSize: 16 * 1024 * 1024 };
      case 'insert':
        return this.insert(`${db}.${String(command.insert)}`, command);
      case 'update':
        return this.update(`${db}.${String(command.update)}`, command);
      case 'delete':
        return this.delete(`${db}.${String(command.delete)}`, command);
      case 'find':
        return this.find(`${db}.${String(command.find)}`, command);
      case 'getMore':
        return this.getMore(command);
      case 'killCursors': {
        const ids = (command.cursors as bigint[]) ?? [];
        for (const id of ids) this.cursors.delete(BigInt(id));
        return { cursorsKilled: ids, cursorsNotFound: [], cursorsAlive: [], cursorsUnknown: [] };
      }
      case 'createIndexes':
        return this.createIndexes(`${db}.${String(command.createIndexes)}`, command);
      case 'drop': {
        const ns = `${db}.${String(command.drop)}`;
        const existing = this.collections.get(ns);
        if (!existing) throw new CommandError(26, 'NamespaceNotFound', 'ns not found');
        this.collections.delete(ns);
        return { ns, nIndexesWas: existing.indexes.length + 1 };
      }
      case 'dropDatabase':
        for (const ns of this.collectionNames(db)) this.collections.delete(`${db}.${ns}`);
        return { dropped: db };
      case 'listCollections': {
        const filter = new Query(encode((command.filter as Document) ?? {}) as Record<string, unknown>);
        const entries = this.collectionNames(db)
          .map((collection) => ({
            name: collection,
            type: 'collection',
            options: {},
            info: { readOnly: false },
          }))
          .filter((entry) => filter.test(entry));
        return { cursor: { id: 0n, ns: `${db}.$cmd.listCollections`, firstBatch: entries } };
      }
      case 'renameCollection':
        return this.rename(String(command.renameCollection), String(command.to), command.dropTarget === true);
      default:
        throw new CommandError(59, 'CommandNotFound', `no such command: '${name}'`);
    }
  }

  private collection(ns: string, create: boolean): Collection | undefined {
    let found = this.collections.get(ns);
    if (!found && create) {
      found = { docs: new Map(), indexes: [] };
      this.collections.set(ns, found);
    }
    return found;
  }

  private insert(ns: string, command: Document): Document {
    const collection = this.collection(ns, true)!;
    const writeErrors: Document[] = [];
    let n = 0;
    const documents = (command.documents as Document[]) ?? [];
    for (const [index, raw] of documents.entries()) {
      try {
        const doc = encode({ _id: raw._id ?? new ObjectId(), ...raw }) as Document;
        this.checkUnique(ns, collection, doc, undefined);
        collection.docs.set(idKey(doc._id), doc);
        n++;
      } catch (error) {
        writeErrors.push(writeError(index, error));
        if (command.ordered !== false) break;
      }
    }
    return writeErrors.length ? { n, writeErrors } : { n };
  }

  private update(ns: string, command: Document): Document {
    const collection = this.collection(ns, true)!;
    const writeErrors: Document[] = [];
    const upserted: Document[] = [];
    let n = 0;
    let nModified = 0;
    for (const [index, statement] of ((command.updates as Document[]) ?? []).entries()) {
      try {
        const filter = encode(statement.q ?? {}) as Document;
        const update = encode(statement.u) as Document;
        if (Array.isArray(update))
          throw new CommandError(2, 'BadValue', 'update pipelines are not supported');
        const query = new Query(filter as Record<string, unknown>);
        const matches = [...collection.docs.values()].filter((doc) => query.test(doc));
        const targets = statement.multi ? matches : matches.slice(0, 1);
        if (targets.length > 0) {
          for (const target of targets) {
            const next = applyUpdate(target, update, false);
            if (idKey(next._id) !== idKey(target._id)) {
              throw new CommandError(
                66,
                'ImmutableField',
                "Performing an update on the path '_id' would modify the immutable field '_id'",
              );
            }
            this.checkUnique(ns, collection, next, target);
            n++;
            if (JSON.stringify(stable(next)) !== JSON.stringify(stable(target))) {
              collection.docs.set(idKey(next._id), next);
              nModified++;
            }
          }
        } else if (statement.upsert) {
          const seed: Document = {};
          for (const [field, value] of Object.entries(filter)) {
            if (field.startsWith('$') || field.includes('.')) continue;
            if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) continue;
            seed[field] = value;
          }
          const inserted = applyUpdate(seed, update, true);
          if (inserted._id === undefined) inserted._id = new ObjectId();
          const ordered: Document = { _id: inserted._id, ...inserted };
          this.checkUnique(ns, collection, ordered, undefined);
          collection.docs.set(idKey(ordered._id), ordered);
          n++;
          upserted.push({ index, _id: decode(ordered._id) });
        }
      } catch (error) {
        writeErrors.push(writeError(index, error));
        if (command.ordered !== false) break;
      }
    }
    const result: Document = { n, nModified };
    if (upserted.length) result.upserted = upserted;
    if (writeErrors.length) result.writeErrors = writeErrors;
    return result;
  }

  private delete(ns: string, command: Document): Document {
    const collection = this.collection(ns, false);
    let n = 0;
    for (const statement of (command.deletes as Document[]) ?? []) {
      if (!collection) break;
      const query = new Query(encode(statement.q ?? {}) as Record<string, unknown>);
      for (const [key, doc] of [...collection.docs]) {
        if (!query.test(doc)) continue;
        collection.docs.delete(key);
        n++;
        if (Number(statement.limit) === 1) break;
      }
    }
    return { n };
  }

  private find(ns: string, command: Document): Document {
    const collection = this.collection(ns, false);
    const query = new Query(encode(command.filter ?? {}) as Record<string, unknown>);
    let docs = [...(collection?.docs.values() ?? [])].filter((doc) => query.test(doc));
    const sort = command.sort as Record<string, number> | undefined;
    if (sort && Object.keys(sort).length > 0) {
      docs.sort((a, b) => {
        for (const [field, direction] of Object.entries(sort)) {
          const order = compareValues(getPath(a, field), getPath(b, field));
          if (order !== 0) return order * (Number(direction) < 0 ? -1 : 1);
        }
        return 0;
      });
    }
    const skip = Number(command.skip ?? 0);
    const limit = Math.abs(Number(command.limit ?? 0));
    docs = docs.slice(skip, limit > 0 ? skip + limit : undefined);
    const projected = docs.map(
      (doc) => decode(project(doc, command.projection as Document | undefined)) as Document,
    );
    const batchSize = command.batchSize !== undefined ? Number(command.batchSize) : DEFAULT_BATCH;
    return { cursor: this.openCursor(ns, projected, batchSize, command.singleBatch === true, 'firstBatch') };
  }

  private getMore(command: Document): Document {
    const id = BigInt(command.getMore as bigint);
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
    this.cursors.delete(id);
    const batchSize = command.batchSize !== undefined ? Number(command.batchSize) : cursor.docs.length;
    const batch = cursor.docs.splice(0, batchSize > 0 ? batchSize : cursor.docs.length);
    let nextId = 0n;
    if (cursor.docs.length > 0) {
      nextId = id;
      this.cursors.set(id, cursor);
    }
    return { cursor: { id: nextId, ns: cursor.ns, nextBatch: batch } };
  }

  private openCursor(
    ns: string,
    docs: Document[],
    batchSize: number,
    singleBatch: boolean,
    field: 'firstBatch',
  ): Document {
    const size = batchSize > 0 ? batchSize : docs.length;
    const first = docs.slice(0, size);
    let id = 0n;
    if (!singleBatch && docs.length > size) {
      id = this.nextCursorId++;
      this.cursors.set(id, { ns, docs: docs.slice(size) });
    }
    return { id, ns, [field]: first };
  }

  private createIndexes(ns: string, command: Document): Document {
    const created = !this.collections.has(ns);
    const collection = this.collection(ns, true)!;
    const before = collection.indexes.length + 1;
    for (const spec of (command.indexes as Document[]) ?? []) {
      const name = String(spec.name);
      if (name === '_id_' || collection.indexes.some((i) => i.name === name)) continue;
      const index: IndexSpec = {
        name,
        key: spec.key as Record<string, number>,
        unique: spec.unique === true,
      };
      if (index.unique) {
        const seen = new Set<string>();
        for (const doc of collection.docs.values()) {
          const value = indexValue(doc, index);
          if (seen.has(value)) throw new DuplicateKeyError(ns, name, JSON.parse(value));
          seen.add(value);
        }
      }
      collection.indexes.push(index);
    }
    return {
      createdCollectionAutomatically: created,
      numIndexesBefore: before,
      numIndexesAfter: collection.indexes.length + 1,
    };
  }

  private rename(from: string, to: string, dropTarget: boolean): Document {
    const source = this.collections.get(from);
    if (!source) throw new CommandError(26, 'NamespaceNotFound', 'source namespace does not exist');
    if (this.collections.has(to) && !dropTarget) {
      throw new CommandError(48, 'NamespaceExists', 'target namespace exists');
    }
    // Atomic here as on a real server: one step, no moment without the target.
    this.collections.set(to, source);
    this.collections.delete(from);
    return {};
  }

  private checkUnique(
    ns: string,
    collection: Collection,
    doc: Document,
    replacing: Document | undefined,
  ): void {
    const id = idKey(doc._id);
    const sameId = collection.docs.get(id);
    if (sameId && sameId !== replacing) throw new DuplicateKeyError(ns, '_id_', { _id: doc._id });
    for (const index of collection.indexes.filter((i) => i.unique)) {
      const value = indexValue(doc, index);
      for (const other of collection.docs.values()) {
        if (other === replacing || other === sameId) continue;
        if (indexValue(other, index) === value)
          throw new DuplicateKeyError(ns, index.name, JSON.parse(value));
      }
    }
  }
}

// ---- values ----------------------------------------------------------------------------------------------

/**
 * int64 values travel as bigint (useBigInt64); mingo cannot compare bigints, so they are kept as strings that
 * sort in numeric order (offset by 2^63, zero-padded), marked by a leading \u0001, and turned back on the way out.
 */
const I64 = '\u0001';
const OFFSET = 2n ** 63n;

function encode(value: unknown): unknown {
  if (typeof value === 'bigint') return I64 + (value + OFFSET).toString().padStart(20, '0');
  if (Array.isArray(value)) return value.map(encode);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

function decode(value: unknown): unknown {
  if (typeof value === 'string' && value.length === 21 && value.startsWith(I64)) {
    return BigInt(value.slice(1)) - OFFSET;
  }
  if (Array.isArray(value)) return value.map(decode);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

/** A plain document (from any realm: jest runs tests in a vm context), not a BSON value, Date or array. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if ('_bsontype' in value) return false;
  return Object.prototype.toString.call(value) === '[object Object]';
}

/** A deep copy of documents and arrays; other values (BSON values, Dates) are shared, never mutated. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  }
  return value;
}

function idKey(id: unknown): string {
  return JSON.stringify(stable(id));
}

function stable(value: unknown): unknown {
  if (value instanceof ObjectId) return { $oid: value.toHexString() };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(stable);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stable(v)]));
  return value;
}

function indexValue(doc: Document, index: IndexSpec): string {
  return JSON.stringify(Object.keys(index.key).map((field) => stable(getPath(doc, field) ?? null)));
}

function getPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let current: Record<string, unknown> = doc;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(current[part])) current[part] = {};
    current = current[part] as Record<string, unknown>;
  }
  current[parts[parts.length - 1]] = value;
}

function unsetPath(doc: Document, path: string): void {
  const parts = path.split('.');
  const parent = getPath(doc, parts.slice(0, -1).join('.') || '') as Record<string, unknown> | undefined;
  const target = parts.length === 1 ? doc : parent;
  if (target && typeof target === 'object') delete target[parts[parts.length - 1]];
}

const TYPE_ORDER = (value: unknown): number => {
  if (value === undefined || value === null) return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return value.startsWith(I64) && value.length === 21 ? 2 : 3;
  if (isPlainObject(value)) return 4;
  if (Array.isArray(value)) return 5;
  if (value instanceof ObjectId) return 7;
  if (typeof value === 'boolean') return 8;
  if (value instanceof Date) return 9;
  return 10;
};

function compareValues(a: unknown, b: unknown): number {
  const ta = TYPE_ORDER(a);
  const tb = TYPE_ORDER(b);
  if (ta !== tb) return ta - tb;
  const na = typeof a === 'string' && ta === 2 ? (decode(a) as bigint) : a;
  const nb = typeof b === 'string' && tb === 2 ? (decode(b) as bigint) : b;
  if (
    (typeof na === 'number' || typeof na === 'bigint') &&
    (typeof nb === 'number' || typeof nb === 'bigint')
  ) {
    return na < nb ? -1 : na > nb ? 1 : 0;
  }
  if (na instanceof Date && nb instanceof Date) return na.getTime() - nb.getTime();
  const sa = JSON.stringify(stable(na));
  const sb = JSON.stringify(stable(nb));
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function applyUpdate(target: Document, update: Document, inserting: boolean): Document {
  const next = clone(target);
  const operators = Object.keys(update).filter((k) => k.startsWith('$'));
  if (operators.length === 0) {
    // A replacement: keeps _id.
    return { _id: target._id, ...clone(update) };
  }
  for (const [operator, fields] of Object.entries(update)) {
    for (const [path, value] of Object.entries(fields as Document)) {
      const current = getPath(next, path);
      switch (operator) {
        case '$set':
          setPath(next, path, clone(value));
          break;
        case '$setOnInsert':
          if (inserting) setPath(next, path, clone(value));
          break;
        case '$unset':
          unsetPath(next, path);
          break;
        case '$max':
          if (current === undefined || compareValues(value, current) > 0) setPath(next, path, value);
          break;
        case '$min':
          if (current === undefined || compareValues(value, current) < 0) setPath(next, path, value);
          break;
        case '$inc': {
          if (typeof value === 'string' || typeof current === 'string') {
            const sum = ((decode(current) as bigint | undefined) ?? 0n) + BigInt(decode(value) as bigint);
            setPath(next, path, encode(sum));
          } else {
            setPath(next, path, ((current as number | undefined) ?? 0) + (value as number));
          }
          break;
        }
        default:
          throw new CommandError(9, 'FailedToParse', `Unknown modifier: ${operator}`);
      }
    }
  }
  return next;
}

function project(doc: Document, projection: Document | undefined): Document {
  if (!projection || Object.keys(projection).length === 0) return doc;
  const fields = Object.entries(projection);
  const including = fields.some(([field, on]) => field !== '_id' && Boolean(on));
  if (including) {
    const out: Document = {};
    if (projection._id === undefined || Boolean(projection._id)) out._id = doc._id;
    for (const [field, on] of fields) {
      if (field === '_id' || !on) continue;
      const value = getPath(doc, field);
      if (value !== undefined) setPath(out, field, value);
    }
    return out;
  }
  const out = clone(doc);
  for (const [field] of fields) unsetPath(out, field);
  return out;
}

function writeError(index: number, error: unknown): Document {
  if (error instanceof CommandError)
    return { index, code: error.code, codeName: error.codeName, errmsg: error.message };
  return { index, code: 1, codeName: 'InternalError', errmsg: (error as Error).message };
}
