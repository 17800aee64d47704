import { asStoreFailure, preparePrivateFile, probeSqliteWrite, StoreFileGuard } from '@signet/config';
import Database from 'better-sqlite3';
import type { DataKeyRecord, DataKeyStore } from '../data-key-store.port';

interface Row {
  kid: string;
  person_id: string;
  wrapped: string;
  master_kid: string;
  created_at: string;
}

const STORE = 'the key store';

/**
 * The data keys in `DATA_DIR/keys.sqlite`, a file of its own beside the event store. `secure_delete` zeroes a
 * destroyed key's bytes in the file, and the WAL is checkpointed and truncated after each destruction, so the
 * wrapped key leaves every file under DATA_DIR.
 */
export class SqliteDataKeyStore implements DataKeyStore {
  private readonly db: Database.Database;
  private readonly guard: StoreFileGuard | null = null;
  private readonly statements: Record<'currentOf' | 'byKid' | 'create', Database.Statement>;

  constructor(options: { filename: string }) {
    const inMemory = options.filename === ':memory:' || options.filename === '';
    if (!inMemory) preparePrivateFile(options.filename);
    this.db = new Database(options.filename);
    if (!inMemory) this.guard = new StoreFileGuard(STORE, options.filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('secure_delete = ON');
    this.db.exec(`CREATE TABLE IF NOT EXISTS data_keys (
      kid TEXT PRIMARY KEY,
      person_id TEXT NOT NULL,
      wrapped TEXT NOT NULL,
      master_kid TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS data_keys_person ON data_keys (person_id)`);
    // Prepared once: every sealed write asks for the person's key, every first read of a key by its id.
    this.statements = {
      currentOf: this.db.prepare('SELECT * FROM data_keys WHERE person_id = ?'),
      byKid: this.db.prepare('SELECT * FROM data_keys WHERE kid = ?'),
      // And at every person's first sealed write (every new account).
      create: this.db.prepare(
        `INSERT INTO data_keys (kid, person_id, wrapped, master_kid, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (person_id) DO NOTHING`,
      ),
    };
  }

  async currentOf(personId: string): Promise<DataKeyRecord | null> {
    const row = this.statements.currentOf.get(personId) as Row | undefined;
    return row ? recordOf(row) : null;
  }

  async byKid(kid: string): Promise<DataKeyRecord | null> {
    const row = this.statements.byKid.get(kid) as Row | undefined;
    return row ? recordOf(row) : null;
  }

  async currentOfMany(personIds: string[]): Promise<DataKeyRecord[]> {
    return this.many(this.statements.currentOf, personIds);
  }

  async byKids(kids: string[]): Promise<DataKeyRecord[]> {
    return this.many(this.statements.byKid, kids);
  }

  async create(record: DataKeyRecord): Promise<DataKeyRecord> {
    return this.writing(() => {
      this.statements.create.run(
        record.kid,
        record.personId,
        record.wrapped,
        record.masterKid,
        record.createdAt,
      );
      const row = this.statements.currentOf.get(record.personId) as Row;
      return recordOf(row);
    });
  }

  async destroy(personId: string): Promise<string[]> {
    return this.writing(() => {
      const rows = this.db.prepare('SELECT kid FROM data_keys WHERE person_id = ?').all(personId) as Row[];
      this.db.prepare('DELETE FROM data_keys WHERE person_id = ?').run(personId);
      // The WAL still holds the pages as they were: copy the zeroed pages back and empty it.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      return rows.map((row) => row.kid);
    });
  }

  async page(afterKid: string | null, limit: number): Promise<DataKeyRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM data_keys WHERE kid > ? ORDER BY kid LIMIT ?')
      .all(afterKid ?? '', limit) as Row[];
    return rows.map(recordOf);
  }

  async rewrap(kid: string, wrapped: string, masterKid: string): Promise<void> {
    this.writing(() =>
      this.db
        .prepare('UPDATE data_keys SET wrapped = ?, master_kid = ? WHERE kid = ?')
        .run(wrapped, masterKid, kid),
    );
  }

  async ping(options: { write?: boolean } = {}): Promise<void> {
    this.guard?.check();
    this.db.prepare('SELECT 1').get();
    if (options.write) probeSqliteWrite(this.db, STORE, this.guard?.filename ?? ':memory:');
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** One lookup per value, in one read transaction: a lookup of its own each would begin and end one each. */
  private many(statement: Database.Statement, values: string[]): DataKeyRecord[] {
    return this.db.transaction(() =>
      [...new Set(values)].flatMap((value) => {
        const row = statement.get(value) as Row | undefined;
        return row ? [recordOf(row)] : [];
      }),
    )();
  }

  private writing<T>(write: () => T): T {
    try {
      this.guard?.check();
      return write();
    } catch (error) {
      throw this.guard ? asStoreFailure(error, STORE, this.guard.filename) : error;
    }
  }
}

function recordOf(row: Row): DataKeyRecord {
  return {
    kid: row.kid,
    personId: row.person_id,
    wrapped: row.wrapped,
    masterKid: row.master_kid,
    createdAt: row.created_at,
  };
}
