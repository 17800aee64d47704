/**
 * Child process of the crash-durability test: appends events one at a time to a stream and reports every
 * acknowledged append to the parent over IPC, until the parent SIGKILLs it.
 * Run with `--require register-ts.js`; argv: <database file> <stream id>.
 */
import { SqliteEventStore } from '../sqlite-event-store';

export interface CrashWriterAck {
  revision: string;
  position: string;
}

/** The n-th event the writer appends; the parent rebuilds it to check what survived is intact. */
export function crashWriterEvent(n: number): { id: string; type: string; data: Record<string, unknown> } {
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    type: 'CrashTestEventWritten',
    data: { n, payload: `event-${n}-`.repeat(20) },
  };
}

async function main(): Promise<void> {
  const [filename, streamId] = process.argv.slice(2);
  const send = process.send?.bind(process);
  if (!filename || !streamId || !send) throw new Error('usage: fork crash-writer.ts <file> <stream id>');
  const store = new SqliteEventStore({ filename });
  for (let n = 0; ; n++) {
    const result = await store.appendToStream(
      streamId,
      [{ ...crashWriterEvent(n), metadata: { writer: process.pid } }],
      { expectedRevision: n === 0 ? 'no_stream' : BigInt(n - 1) },
    );
    const ack: CrashWriterAck = {
      revision: result.nextRevision.toString(),
      position: result.position.toString(),
    };
    // Wait for the message to be handed over, so acknowledgements never outrun the IPC channel.
    await new Promise<void>((resolve, reject) =>
      send(ack, (error: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
