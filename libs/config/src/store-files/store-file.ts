import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';

/**
 * A store cannot make a write durable where it should (its file is gone or replaced, its directory or file is
 * read-only, the disk is full or failing). Nothing was recorded; the API answers 503 `store-unavailable` and
 * readiness names the store. Not a refusal of the request: the same request may succeed once the store is back.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(
    /** What it is, as messages name it: "the event store". */
    readonly store: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** SQLite result codes that say the file cannot take a durable write (rather than a bad statement). */
const STORAGE_CODES = /^SQLITE_(READONLY|IOERR|CANTOPEN|FULL|PERM|NOTADB|CORRUPT)/;

/** The error as a StoreUnavailableError when it is a storage failure; otherwise the error itself. */
export function asStoreFailure(error: unknown, store: string, filename: string): unknown {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && STORAGE_CODES.test(code)) {
    return new StoreUnavailableError(
      store,
      `${capitalised(store)} cannot write to ${filename}: ${(error as Error).message} (${code})`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Creates a store's file readable and writable by its owner only (0600) before SQLite opens it: it holds
 * personal data, and SQLite gives the `-wal` and `-shm` files the mode of the database file. An existing file
 * loses any group or other permission it had (and keeps its owner's: a read-only file stays read-only).
 */
export function preparePrivateFile(filename: string): void {
  if (!existsSync(filename)) closeSync(openSync(filename, 'a', 0o600));
  for (const file of [filename, `${filename}-wal`, `${filename}-shm`]) {
    try {
      const { mode } = statSync(file);
      if (mode & 0o077) chmodSync(file, mode & 0o700);
    } catch {
      // Not there (no -wal yet), or not ours to change: SQLite's own open says what matters.
    }
  }
}

/**
 * Notices a store file that was deleted or replaced while open. SQLite keeps writing to an unlinked file
 * through its open descriptor, and those writes are lost with it at the next restart: an acknowledged write
 * that is not durable. So a store checks, before acknowledging a write and when pinged, that the path still
 * names the file it opened (same device and inode).
 */
export class StoreFileGuard {
  private readonly identity: { dev: number; ino: number };

  constructor(
    private readonly store: string,
    readonly filename: string,
  ) {
    const { dev, ino } = statSync(filename);
    this.identity = { dev, ino };
  }

  /** Throws StoreUnavailableError when the file is gone or is no longer the one opened. */
  check(): void {
    let now: { dev: number; ino: number };
    try {
      now = statSync(this.filename);
    } catch (error) {
      throw new StoreUnavailableError(
        this.store,
        `${capitalised(this.store)} file ${this.filename} is gone (was DATA_DIR deleted?); writes cannot be ` +
          'made durable until it is restored and Signet restarted',
        { cause: error },
      );
    }
    if (now.dev !== this.identity.dev || now.ino !== this.identity.ino) {
      throw new StoreUnavailableError(
        this.store,
        `${capitalised(this.store)} file ${this.filename} was replaced by another file since it was opened; ` +
          'restart Signet to use it',
      );
    }
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a write probe needs of a SQLite connection (better-sqlite3's Database has it). */
export interface SqliteConnection {
  exec(sql: string): unknown;
  prepare(sql: string): { run(...parameters: unknown[]): unknown };
}

const probes = new WeakMap<SqliteConnection, { run(...parameters: unknown[]): unknown }>();

/**
 * Readiness's proof that a store can still write: one committed row, overwritten each time, through the same
 * file and journal as the store's own writes, so a read-only file or directory, a full or failing disk answer
 * here as they would to a command (a StoreUnavailableError naming the store).
 */
export function probeSqliteWrite(db: SqliteConnection, store: string, filename: string): void {
  try {
    let probe = probes.get(db);
    if (!probe) {
      db.exec(
        'CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)',
      );
      probe = db.prepare(
        'INSERT INTO write_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
      );
      probes.set(db, probe);
    }
    probe.run(Date.now());
  } catch (error) {
    throw asStoreFailure(error, store, filename);
  }
}
