import { asStoreFailure, preparePrivateFile, probeSqliteWrite, StoreFileGuard } from '@signet/config';
import Database from 'better-sqlite3';
import type { IdempotencyClaim, IdempotencyStore, StoredResponse } from '../idempotency.port';

export interface SqliteIdempotencyStoreOptions {
  filename: string;
  /** How long a completed answer is replayed (default 24 h, as the IETF Idempotency-Key draft suggests). */
  retentionMs?: number;
  /**
   * How long an unfinished claim blocks retries. A process that died mid-request leaves its claim behind;
   * after this lease a retry may run again.
   */
  inFlightLeaseMs?: number;
  now?: () => number;
}

interface Row {
  fingerprint: string;
  response: string | null;
  created_at: number;
}

export class SqliteIdempotencyStore implements IdempotencyStore {
  private readonly db: Database.Database;
  private readonly retentionMs: number;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private claims = 0;
  /** The file as opened (null in memory): a key is written only while the path still names it. */
  private readonly guard: StoreFileGuard | null = null;

  constructor(options: SqliteIdempotencyStoreOptions) {
    const inMemory = options.filename === ':memory:' || options.filename === '';
    if (!inMemory) preparePrivateFile(options.filename);
    this.db = new Database(options.filename);
    if (!inMemory) this.guard = new StoreFileGuard('the idempotency store', options.filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      scope TEXT NOT NULL,
      key TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      response TEXT,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (scope, key)
    )`);
    this.retentionMs = options.retentionMs ?? 24 * 3_600_000;
    this.leaseMs = options.inFlightLeaseMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  // Async so that a SQLite error becomes a rejection, as the port promises.
  async claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    return this.writing(() => this.claimNow(scope, key, fingerprint));
  }

  private claimNow(scope: string, key: string, fingerprint: string): IdempotencyClaim {
    const now = this.now();
    // Expired entries go lazily, a few at a time, instead of by a timer.
    if (++this.claims % 100 === 0) {
      this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(now - this.retentionMs);
    }
    const claim = this.db
      .transaction((): IdempotencyClaim => {
        const row = this.db
          .prepare(
            'SELECT fingerprint, response, created_at FROM idempotency_keys WHERE scope = ? AND key = ?',
          )
          .get(scope, key) as Row | undefined;
        const stale =
          row &&
          (now - row.created_at > this.retentionMs ||
            (row.response === null && now - row.created_at > this.leaseMs));
        if (row && !stale) {
          if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' };
          if (row.response === null) return { outcome: 'inFlight' };
          return { outcome: 'completed', response: JSON.parse(row.response) as StoredResponse };
        }
        this.db
          .prepare(
            `INSERT INTO idempotency_keys (scope, key, fingerprint, response, created_at) VALUES (?, ?, ?, NULL, ?)
           ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, response = NULL, created_at = excluded.created_at`,
          )
          .run(scope, key, fingerprint, now);
        return { outcome: 'claimed' };
      })
      .immediate();
    return claim;
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    this.writing(() => this.completeNow(scope, key, response));
  }

  private completeNow(scope: string, key: string, response: StoredResponse): void {
    this.db
      .prepare('UPDATE idempotency_keys SET response = ? WHERE scope = ? AND key = ?')
      .run(JSON.stringify(response), scope, key);
  }

  async release(scope: string, key: string): Promise<void> {
    this.writing(() =>
      this.db
        .prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND response IS NULL')
        .run(scope, key),
    );
  }

  async ping(options: { write?: boolean } = {}): Promise<void> {
    this.guard?.check();
    this.db.prepare('SELECT 1').get();
    if (!options.write) return;
    this.guard?.check();
    probeSqliteWrite(this.db, 'the idempotency store', this.guard?.filename ?? ':memory:');
  }

  /** A write, only while the file is the one opened; storage failures become StoreUnavailableError (503). */
  private writing<T>(write: () => T): T {
    try {
      this.guard?.check();
      return write();
    } catch (error) {
      throw this.guard ? asStoreFailure(error, 'the idempotency store', this.guard.filename) : error;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
