import Database from 'better-sqlite3';
import { SqliteEventStore, type ExpectedRevision } from '@signet/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intFromEnv, ownPeakRssMb } from '../measure';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * Single-event appends with an expected revision, spread over STREAMS streams, on the embedded store with its
 * default durability (WAL, synchronous=FULL) — against raw better-sqlite3 inserts with the same settings, one
 * row per transaction: the fastest a one-commit-per-append writer can go on this disk.
 */
const APPENDS = intFromEnv('BENCH_APPENDS', 20_000);
const STREAMS = intFromEnv('BENCH_STREAMS', 10_000);
const WRITERS = intFromEnv('BENCH_WRITERS', 50);

const payload = {
  methodId: 'a2b4c6d8-0000-4000-8000-000000000000',
  phoneType: 'mobile',
  deliveryMethod: 'sms',
};
const metadata = { occurredAt: '2026-11-26T10:00:00.000Z', actor: { subject: 'bench', roles: ['user'] } };

function rawCeiling(dir: string): number {
  const db = new Database(join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // The adapter's own table, so the ceiling is the cost of the disk and SQLite, not of a different schema.
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL,
    revision INTEGER NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
    recorded_at INTEGER NOT NULL, UNIQUE (stream_id, revision))`);
  const insert = db.prepare(
    'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const revisions = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < APPENDS; i++) {
    const stream = `bench-${i % STREAMS}`;
    const revision = (revisions.get(stream) ?? -1) + 1;
    revisions.set(stream, revision);
    // One row per transaction: better-sqlite3 autocommits each statement.
    insert.run(
      stream,
      revision,
      `e${i}`,
      'PhoneMethodAdded',
      JSON.stringify(payload),
      JSON.stringify(metadata),
      Date.now(),
    );
  }
  const rate = APPENDS / ((performance.now() - started) / 1000);
  db.close();
  return rate;
}

async function adapterRun(dir: string, writers: number): Promise<number> {
  const store = new SqliteEventStore({ filename: join(dir, `store-${writers}.sqlite`) });
  const revisions = new Map<string, bigint>();
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < APPENDS; i = next++) {
      const stream = `bench-${i % STREAMS}`;
      const expectedRevision: ExpectedRevision = revisions.get(stream) ?? 'no_stream';
      const result = await store.appendToStream(
        stream,
        [{ id: `e${i}`, type: 'PhoneMethodAdded', data: payload, metadata }],
        { expectedRevision },
      );
      revisions.set(stream, result.nextRevision);
    }
  };
  const started = performance.now();
  // Writers never touch the same stream at once: i % STREAMS with STREAMS >> WRITERS.
  await Promise.all(Array.from({ length: writers }, writer));
  const rate = APPENDS / ((performance.now() - started) / 1000);
  await store.close();
  return rate;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-appends-'));
  try {
    const ceiling = rawCeiling(dir);
    const sequential = await adapterRun(dir, 1);
    const concurrent = await adapterRun(dir, WRITERS);
    const ceilingLabel = 'raw better-sqlite3, 1 row/txn, FULL';
    const figures: Figure[] = [
      {
        part: 'appends',
        figure: `sequential appends (${APPENDS} over ${STREAMS} streams)`,
        value: sequential,
        unit: 'events/s',
        ceiling: { label: ceilingLabel, value: ceiling },
        target: '≥ 0.8×',
        met: sequential / ceiling >= 0.8,
      },
      {
        part: 'appends',
        figure: `${WRITERS} concurrent writers (group commit)`,
        value: concurrent,
        unit: 'events/s',
        ceiling: { label: ceilingLabel, value: ceiling },
        target: '≥ 3×',
        met: concurrent / ceiling >= 3,
        peakRssMb: ownPeakRssMb(),
      },
    ];
    emit(figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
