import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelContract } from '../read-model.contract';
import type { ReadModelStore } from '../read-model.port';
import { SqliteReadModelStore } from './sqlite-read-model-store';

readModelContract('SqliteReadModelStore', async ({ now }) => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-read-model-'));
  const filename = join(dir, 'read-model.sqlite');
  const opened: ReadModelStore[] = [new SqliteReadModelStore({ filename, now })];
  return {
    store: opened[0],
    reopen: async () => {
      const store = new SqliteReadModelStore({ filename, now });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteReadModelStore', () => {
  it('sees a swap made by another connection to the file (the CLI beside the API)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-read-model-'));
    const filename = join(dir, 'read-model.sqlite');
    const api = new SqliteReadModelStore({ filename });
    const cli = new SqliteReadModelStore({ filename });
    try {
      const live = await api.ensureLive('pages', 1);
      const shadow = await cli.beginShadow('pages', 1, { busyAfterMs: 60_000 });
      await cli.commit(
        'pages',
        shadow.generation,
        [{ key: 'a', revision: 0n, position: 1n, body: 'new' }],
        0n,
      );
      expect(await cli.swap('pages', shadow.generation)).toMatchObject({ swapped: true });
      expect((await api.readLive('pages', 'a')).document?.body).toBe('new');
      await expect(api.commit('pages', live.generation, [], 1n)).rejects.toThrow(/no longer live/);
    } finally {
      await api.close();
      await cli.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
