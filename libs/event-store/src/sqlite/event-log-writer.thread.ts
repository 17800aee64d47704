import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { EventLogWriter, plainError, type AppendToWrite } from './event-log-writer';

/** What the store tells its writer thread. */
export interface WriterThreadData {
  filename: string;
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
}

/**
 * The writer thread: its own connection to the store's file (created and migrated by the store), one batch at
 * a time, answered in order. `null` closes the connection.
 */
const { filename, synchronous, busyTimeoutMs } = workerData as WriterThreadData;
const db = new Database(filename);
db.defaultSafeIntegers(true);
db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
db.pragma(`synchronous = ${synchronous}`);
const writer = new EventLogWriter(db);

parentPort!.on('message', (batch: AppendToWrite[] | null) => {
  if (batch === null) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ outcomes: writer.commit(batch) });
  } catch (error) {
    parentPort!.postMessage({ failure: plainError(error) });
  }
});
