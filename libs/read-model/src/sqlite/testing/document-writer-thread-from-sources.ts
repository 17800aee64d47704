import { threadFromSources } from '@signet/event-store/testing';
import { join } from 'node:path';

/** The read model's writer thread, from its sources (runs under ts-jest; see threadFromSources). */
export function documentWriterThreadFromSources(): string {
  const sqlite = join(__dirname, '..');
  return threadFromSources(['document-writer.thread', 'document-writer'].map((name) => join(sqlite, name)));
}
