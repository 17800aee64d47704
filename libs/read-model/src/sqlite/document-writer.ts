import type Database from 'better-sqlite3';
import type { RebuildProgress } from '../read-model.port';

/** A document as the writer stores it: its body already serialised (plain data: it may cross to a thread). */
export type DocumentRow = [key: string, revision: bigint, position: bigint, body: string];

/** One commit as it crosses to the writer. */
export interface DocumentsToCommit {
  projection: string;
  generation: number;
  /** The generation's table, its name checked by the store. */
  table: string;
  documents: DocumentRow[];
  checkpoint: bigint;
  progress?: Pick<RebuildProgress, 'processedEvents' | 'targetPosition'>;
  /** When the store committed it (the generation's `updated_at`). */
  at: string;
}

/** The generation is neither live nor a shadow any more; the store makes it a SupersededGenerationError. */
export const SUPERSEDED = 'SupersededGeneration';

/**
 * A commit of the SQLite read model: the documents and the checkpoint they reach in one transaction, every
 * document guarded by its position. On the store's own connection, or on a writer thread's (the rebuild's).
 */
export class DocumentWriter {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  commit(commit: DocumentsToCommit): void {
    const { projection, generation, table } = commit;
    this.db
      .transaction(() => {
        const row = this.prepared<[string, bigint], { role: string; rebuild: string | null }>(
          'SELECT role, rebuild FROM generations WHERE projection = ? AND generation = ?',
        ).get(projection, BigInt(generation));
        if (!row || (row.role !== 'live' && row.role !== 'shadow')) {
          throw Object.assign(new Error(`Generation ${generation} of ${projection} is no longer live`), {
            name: SUPERSEDED,
          });
        }
        // The position guard: an event delivered twice (or an older copy of a document) never wins.
        const upsert = this.prepared<DocumentRow>(
          `INSERT INTO ${table} AS d (key, revision, position, body) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, position = excluded.position,
             body = excluded.body
           WHERE excluded.position > d.position`,
        );
        for (const document of commit.documents) upsert.run(...document);
        const rebuild =
          commit.progress && row.rebuild
            ? JSON.stringify({ ...(JSON.parse(row.rebuild) as RebuildProgress), ...commit.progress })
            : row.rebuild;
        this.prepared(
          `UPDATE generations SET checkpoint = max(checkpoint, ?), rebuild = ?, updated_at = ?
           WHERE projection = ? AND generation = ?`,
        ).run(commit.checkpoint, rebuild, commit.at, projection, generation);
      })
      .immediate();
  }

  /** Prepared once per text: a rebuild commits thousands of batches. */
  private prepared<Params extends unknown[], Row = unknown>(sql: string): Database.Statement<Params, Row> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Database.Statement<Params, Row>;
  }
}
