import { preparePrivateFile, probeSqliteWrite, StoreFileGuard } from '@signet/config';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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

export interface SqliteReadModelStoreOptions {
  /** Path of the database file (its directory is created if missing), or ':memory:'. */
  filename: string;
  busyTimeoutMs?: number;
  now?: () => Date;
}

const SCHEMA = `
  -- The pointer: which generation of each projection serves reads. Swapping it is the atomic switch that
  -- every process sharing the file (the API, the CLI) sees at its next read.
  CREATE TABLE IF NOT EXISTS projections (
    name TEXT PRIMARY KEY,
    live_generation INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS generations (
    projection TEXT NOT NULL,
    generation INTEGER NOT NULL,
    version INTEGER NOT NULL,
    role TEXT NOT NULL,
    checkpoint INTEGER NOT NULL,
    fault TEXT,
    rebuild TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (projection, generation)
  ) WITHOUT ROWID;
  -- Which process runs which projection, until when (ms since the epoch).
  CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

const NAME = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
const DRIFT_SAMPLE = 20;

interface GenerationRow {
  projection: string;
  generation: bigint;
  version: bigint;
  role: GenerationRole;
  checkpoint: bigint;
  fault: string | null;
  rebuild: string | null;
  created_at: string;
  updated_at: string;
}

interface DocumentRow {
  key: string;
  revision: bigint;
  position: bigint;
  body: string;
}

/**
 * The embedded read model: one SQLite file in DATA_DIR, one table per generation of each projection
 * (`documents_<projection>_<generation>`), so a shadow is built beside the live table and swapped in by
 * changing one pointer row. Documents and the checkpoint they reach are committed in one transaction.
 *
 * Durability is `synchronous=NORMAL`: a power cut may lose the last commits, but documents and checkpoint go
 * together, so the runner simply projects those events again; the model can always be rebuilt from the log.
 */
export class SqliteReadModelStore implements ReadModelStore {
  private readonly db: Database.Database;
  private readonly now: () => Date;
  /** The file as opened (null in memory): readiness checks the path still names it. */
  private readonly guard: StoreFileGuard | null = null;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(options: SqliteReadModelStoreOptions) {
    const inMemory = options.filename === ':memory:' || options.filename === '';
    if (!inMemory) {
      mkdirSync(dirname(options.filename), { recursive: true, mode: 0o700 });
      preparePrivateFile(options.filename);
    }
    this.db = new Database(options.filename);
    this.now = options.now ?? (() => new Date());
    try {
      if (!inMemory) this.guard = new StoreFileGuard('the read model', options.filename);
      this.db.defaultSafeIntegers(true);
      this.db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.transaction(() => this.db.exec(SCHEMA)).immediate();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  async ensureLive(projection: string, version: number): Promise<GenerationInfo> {
    checkName(projection);
    return this.db
      .transaction(() => {
        const current = this.liveRow(projection);
        if (current) return toInfo(current);
        const generation = this.nextGeneration(projection);
        this.createGeneration(projection, generation, version, 'live', null);
        this.db
          .prepare('INSERT INTO projections (name, live_generation) VALUES (?, ?)')
          .run(projection, generation);
        return toInfo(this.generationRow(projection, generation)!);
      })
      .immediate();
  }

  async live(projection: string): Promise<GenerationInfo | null> {
    const row = this.liveRow(projection);
    return row ? toInfo(row) : null;
  }

  async generation(projection: string, generation: number): Promise<GenerationInfo | null> {
    const row = this.generationRow(projection, generation);
    return row ? toInfo(row) : null;
  }

  async generations(): Promise<GenerationInfo[]> {
    return this.db
      .prepare<[], GenerationRow>('SELECT * FROM generations ORDER BY projection, generation DESC')
      .all()
      .map(toInfo);
  }

  async readLive<Body>(
    projection: string,
    key: string,
  ): Promise<{ document: ReadModelDocument<Body> | null; generation: GenerationInfo | null }> {
    // One read transaction: the pointer and the document come from the same snapshot, even mid-swap.
    return this.db.transaction(() => {
      const live = this.liveRow(projection);
      if (!live) return { document: null, generation: null };
      const row = this.prepared<[string], DocumentRow>(
        `SELECT * FROM ${table(projection, live.generation)} WHERE key = ?`,
      ).get(key);
      return { document: row ? toDocument<Body>(row) : null, generation: toInfo(live) };
    })();
  }

  async readDocuments<Body>(
    projection: string,
    generation: number,
    keys: string[],
  ): Promise<Map<string, ReadModelDocument<Body>>> {
    return this.db.transaction(() => {
      this.assertCurrent(projection, generation);
      const found = new Map<string, ReadModelDocument<Body>>();
      const select = this.prepared<[string], DocumentRow>(
        `SELECT * FROM ${table(projection, generation)} WHERE key = ?`,
      );
      for (const key of new Set(keys)) {
        const row = select.get(key);
        if (row) found.set(key, toDocument<Body>(row));
      }
      return found;
    })();
  }

  async allDocuments<Body>(projection: string, generation: number): Promise<ReadModelDocument<Body>[]> {
    return this.db
      .prepare<[], DocumentRow>(`SELECT * FROM ${table(projection, generation)} ORDER BY key`)
      .all()
      .map((row) => toDocument<Body>(row));
  }

  async commit(
    projection: string,
    generation: number,
    documents: ReadModelDocument[],
    checkpoint: bigint,
    progress?: Pick<RebuildProgress, 'processedEvents' | 'targetPosition'>,
  ): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.assertCurrent(projection, generation);
        // The position guard: an event delivered twice (or an older copy of a document) never wins.
        const upsert = this.prepared(
          `INSERT INTO ${table(projection, generation)} AS d (key, revision, position, body) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, position = excluded.position,
             body = excluded.body
           WHERE excluded.position > d.position`,
        );
        for (const document of documents) {
          upsert.run(document.key, document.revision, document.position, JSON.stringify(document.body));
        }
        const rebuild =
          progress && row.rebuild
            ? JSON.stringify({ ...(JSON.parse(row.rebuild) as RebuildProgress), ...progress })
            : row.rebuild;
        this.prepared(
          `UPDATE generations SET checkpoint = max(checkpoint, ?), rebuild = ?, updated_at = ?
           WHERE projection = ? AND generation = ?`,
        ).run(checkpoint, rebuild, this.timestamp(), projection, generation);
      })
      .immediate();
  }

  async recordFault(projection: string, generation: number, fault: ProjectionFault): Promise<void> {
    this.setFault(projection, generation, JSON.stringify(fault));
  }

  async clearFault(projection: string, generation: number): Promise<void> {
    this.setFault(projection, generation, null);
  }

  async beginShadow(
    projection: string,
    version: number,
    options: { busyAfterMs: number },
  ): Promise<GenerationInfo> {
    checkName(projection);
    return this.db
      .transaction(() => {
        const now = this.now();
        const shadows = this.db
          .prepare<[string], GenerationRow>(
            `SELECT * FROM generations WHERE projection = ? AND role = 'shadow'`,
          )
          .all(projection);
        for (const shadow of shadows) {
          if (now.getTime() - Date.parse(shadow.updated_at) < options.busyAfterMs) {
            throw new RebuildInProgressError(projection, Number(shadow.generation));
          }
          this.finishShadow(projection, shadow, 'abandoned', 'Interrupted; a later rebuild replaced it.');
        }
        const live = this.liveRow(projection);
        const generation = this.nextGeneration(projection);
        const rebuild: RebuildProgress = {
          state: 'building',
          processedEvents: 0,
          targetPosition: (live?.checkpoint ?? 0n).toString(),
          startedAt: now.toISOString(),
          finishedAt: null,
          drift: null,
          error: null,
        };
        this.createGeneration(projection, generation, version, 'shadow', rebuild);
        return toInfo(this.generationRow(projection, generation)!);
      })
      .immediate();
  }

  async swap(projection: string, shadow: number): Promise<SwapOutcome> {
    return this.db
      .transaction((): SwapOutcome => {
        const shadowRow = this.generationRow(projection, shadow);
        if (!shadowRow || shadowRow.role !== 'shadow')
          throw new SupersededGenerationError(projection, shadow);
        const live = this.liveRow(projection);
        if (live && live.checkpoint !== shadowRow.checkpoint) {
          return { swapped: false, liveCheckpoint: live.checkpoint };
        }
        const drift = live ? this.compare(projection, live.generation, shadow, live.checkpoint) : null;
        const finishedAt = this.timestamp();
        if (live) {
          this.db
            .prepare(
              `UPDATE generations SET role = 'retired', updated_at = ? WHERE projection = ? AND generation = ?`,
            )
            .run(finishedAt, projection, live.generation);
          // The previous generation is kept until the next rebuild, for an operator to look at.
          for (const old of this.db
            .prepare<[string, bigint], { generation: bigint }>(
              `SELECT generation FROM generations WHERE projection = ? AND role = 'retired' AND generation < ?`,
            )
            .all(projection, live.generation)) {
            this.db.exec(`DROP TABLE IF EXISTS ${table(projection, old.generation)}`);
          }
        }
        const rebuild = {
          ...(JSON.parse(shadowRow.rebuild ?? '{}') as RebuildProgress),
          state: 'swapped',
          finishedAt,
          drift,
        };
        this.db
          .prepare(
            `UPDATE generations SET role = 'live', rebuild = ?, updated_at = ? WHERE projection = ? AND generation = ?`,
          )
          .run(JSON.stringify(rebuild), finishedAt, projection, shadow);
        this.db
          .prepare(
            `INSERT INTO projections (name, live_generation) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET live_generation = excluded.live_generation`,
          )
          .run(projection, shadow);
        return { swapped: true, drift };
      })
      .immediate();
  }

  async endShadow(
    projection: string,
    shadow: number,
    state: 'failed' | 'abandoned',
    error: string | null,
  ): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.generationRow(projection, shadow);
        if (row?.role === 'shadow') this.finishShadow(projection, row, state, error);
      })
      .immediate();
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now().getTime();
    const taken = this.db
      .prepare(
        `INSERT INTO leases AS l (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE l.owner = excluded.owner OR l.expires_at <= ?`,
      )
      .run(name, owner, Math.trunc(now + ttlMs), Math.trunc(now));
    return taken.changes > 0;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
  }

  async ping(options: { write?: boolean } = {}): Promise<void> {
    this.guard?.check();
    this.db.pragma('user_version', { simple: true });
    if (!options.write) return;
    probeSqliteWrite(this.db, 'the read model', this.guard?.filename ?? ':memory:');
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private compare(projection: string, live: bigint, shadow: number, position: bigint): DriftReport {
    const a = table(projection, live);
    const b = table(projection, shadow);
    // Both directions: documents missing on either side, and documents that differ.
    const drifted = this.db
      .prepare<[], { key: string }>(
        `SELECT a.key FROM ${a} a LEFT JOIN ${b} b ON b.key = a.key
           WHERE b.key IS NULL OR a.revision != b.revision OR a.body != b.body
         UNION
         SELECT b.key FROM ${b} b LEFT JOIN ${a} a ON a.key = b.key WHERE a.key IS NULL
         ORDER BY 1`,
      )
      .all();
    return {
      position: position.toString(),
      documents: drifted.length,
      sampleKeys: drifted.slice(0, DRIFT_SAMPLE).map((r) => r.key),
    };
  }

  private finishShadow(
    projection: string,
    row: GenerationRow,
    state: 'failed' | 'abandoned',
    error: string | null,
  ): void {
    const finishedAt = this.timestamp();
    const rebuild = { ...(JSON.parse(row.rebuild ?? '{}') as RebuildProgress), state, finishedAt, error };
    this.db
      .prepare(
        `UPDATE generations SET role = ?, rebuild = ?, updated_at = ? WHERE projection = ? AND generation = ?`,
      )
      .run(
        state === 'failed' ? 'abandoned' : state,
        JSON.stringify(rebuild),
        finishedAt,
        projection,
        row.generation,
      );
    this.db.exec(`DROP TABLE IF EXISTS ${table(projection, row.generation)}`);
  }

  private setFault(projection: string, generation: number, fault: string | null): void {
    this.db
      .prepare(`UPDATE generations SET fault = ?, updated_at = ? WHERE projection = ? AND generation = ?`)
      .run(fault, this.timestamp(), projection, generation);
  }

  /** Inside a transaction: the generation must still be live or a shadow. */
  private assertCurrent(projection: string, generation: number): GenerationRow {
    const row = this.generationRow(projection, generation);
    if (!row || (row.role !== 'live' && row.role !== 'shadow')) {
      throw new SupersededGenerationError(projection, generation);
    }
    return row;
  }

  private createGeneration(
    projection: string,
    generation: bigint,
    version: number,
    role: GenerationRole,
    rebuild: RebuildProgress | null,
  ): void {
    const now = this.timestamp();
    this.db
      .prepare(
        `INSERT INTO generations (projection, generation, version, role, checkpoint, fault, rebuild, created_at, updated_at)
         VALUES (?, ?, ?, ?, 0, NULL, ?, ?, ?)`,
      )
      .run(projection, generation, version, role, rebuild && JSON.stringify(rebuild), now, now);
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table(projection, generation)} (
         key TEXT PRIMARY KEY,
         revision INTEGER NOT NULL,
         position INTEGER NOT NULL,
         body TEXT NOT NULL
       ) WITHOUT ROWID`,
    );
  }

  private nextGeneration(projection: string): bigint {
    const row = this.db
      .prepare<[string], { last: bigint | null }>(
        'SELECT max(generation) AS last FROM generations WHERE projection = ?',
      )
      .get(projection);
    return (row?.last ?? 0n) + 1n;
  }

  private liveRow(projection: string): GenerationRow | undefined {
    return this.prepared<[string], GenerationRow>(
      `SELECT g.* FROM projections p JOIN generations g
         ON g.projection = p.name AND g.generation = p.live_generation
       WHERE p.name = ?`,
    ).get(projection);
  }

  private generationRow(projection: string, generation: number | bigint): GenerationRow | undefined {
    return this.prepared<[string, bigint], GenerationRow>(
      'SELECT * FROM generations WHERE projection = ? AND generation = ?',
    ).get(projection, BigInt(generation));
  }

  /** Statements of the hot paths (a rebuild commits hundreds of batches), prepared once per text. */
  private prepared<Params extends unknown[], Row = unknown>(sql: string): Database.Statement<Params, Row> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Database.Statement<Params, Row>;
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}

function checkName(projection: string): void {
  if (!NAME.test(projection)) throw new RangeError(`Invalid projection name ${JSON.stringify(projection)}`);
}

/** Names are checked, so the identifier is safe to splice into SQL. */
function table(projection: string, generation: number | bigint): string {
  checkName(projection);
  return `"documents_${projection}_${BigInt(generation).toString()}"`;
}

function toInfo(row: GenerationRow): GenerationInfo {
  return {
    projection: row.projection,
    generation: Number(row.generation),
    version: Number(row.version),
    role: row.role,
    checkpoint: row.checkpoint,
    fault: row.fault === null ? null : (JSON.parse(row.fault) as ProjectionFault),
    rebuild: row.rebuild === null ? null : (JSON.parse(row.rebuild) as RebuildProgress),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDocument<Body>(row: DocumentRow): ReadModelDocument<Body> {
  return { key: row.key, revision: row.revision, position: row.position, body: JSON.parse(row.body) as Body };
}
