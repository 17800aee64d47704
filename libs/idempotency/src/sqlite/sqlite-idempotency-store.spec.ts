import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idempotencyContract } from '../idempotency.contract';
import { SqliteIdempotencyStore } from './sqlite-idempotency-store';

idempotencyContract('SqliteIdempotencyStore', async (options) => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-idempotency-'));
  const filename = join(dir, 'idempotency.sqlite');
  const opened = [new SqliteIdempotencyStore({ filename, ...options })];
  return {
    store: opened[0],
    sibling: async () => {
      const store = new SqliteIdempotencyStore({ filename, ...options });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
