/**
 * Child process of the writer-thread lifetime test: appends one event, says so, and ends without closing the
 * store. Run with `--require register-ts.js`; argv: <database file> <writer: inline | thread>.
 */
import { SqliteEventStore } from '../sqlite-event-store';

async function main(): Promise<void> {
  const store = new SqliteEventStore({
    filename: process.argv[2],
    writer: process.argv[3] === 'thread' ? 'thread' : 'inline',
  });
  await store.appendToStream(
    'left-open',
    [{ id: crypto.randomUUID(), type: 'Appended', data: {}, metadata: {} }],
    {
      expectedRevision: 'no_stream',
    },
  );
  process.stdout.write('appended\n');
}

void main();
