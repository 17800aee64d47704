import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { DocumentWriter, type DocumentsToCommit } from './document-writer';

/** What the store tells its writer thread. */
export interface DocumentWriterThreadData {
  filename: string;
  busyTimeoutMs: number;
}

/**
 * The read model's writer thread: its own connection to the store's file (created by the store), with the
 * store's durability, one commit at a time, answered in order (`{ answer }` or `{ failure }`, as the event
 * store's ThreadChannel expects). `null` closes the connection.
 */
const { filename, busyTimeoutMs } = workerData as DocumentWriterThreadData;
const db = new Database(filename);
db.defaultSafeIntegers(true);
db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
db.pragma('synchronous = NORMAL');
const writer = new DocumentWriter(db);

parentPort!.on('message', (commit: DocumentsToCommit | null) => {
  if (commit === null) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    writer.commit(commit);
    parentPort!.postMessage({ answer: null });
  } catch (error) {
    const { name, message, code } = error as { name?: string; message?: string; code?: unknown };
    parentPort!.postMessage({
      failure: { kind: 'error', name: name ?? 'Error', message: message ?? String(error), code },
    });
  }
});
