import { TEST_VIEW } from '@signet/domain/testing';
import { SqliteEventStore } from '@signet/event-store';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rebuildProjection } from '../projection-rebuild';
import { ProjectionRunner } from '../projection-runner';
import {
  securityInfoPageOf,
  securityInfoPageProjection as projection,
  type SecurityInfoDocumentBody,
} from '../security-info-projection';
import { pageFromScratch, writeHistories } from '../testing/security-info-history';
import { SqliteReadModelStore } from './sqlite-read-model-store';

const USERS = Array.from({ length: 40 }, (_, i) => `user${i}`);

/** A rebuild into a file writes its shadow on a writer thread, while it reads and folds its next batch. */
describe('the SQLite read model: a rebuild written on the writer thread', () => {
  let dir: string;
  let eventStore: SqliteEventStore;
  let store: SqliteReadModelStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-shadow-writer-'));
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    store = new SqliteReadModelStore({ filename: join(dir, 'read-model.sqlite') });
    await writeHistories(eventStore, USERS);
    // The live copy as the runner builds it, inline.
    const runner = new ProjectionRunner({ projection, eventStore, store, recheckMs: 10 });
    runner.start();
    while ((await store.live(projection.name))?.checkpoint !== (await eventStore.headPosition())) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await runner.stop();
  });

  afterEach(async () => {
    await store.close();
    await eventStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = async (userId: string) =>
    securityInfoPageOf(
      userId,
      (await store.readLive<SecurityInfoDocumentBody>(projection.name, userId)).document,
      TEST_VIEW,
    );

  it('builds exactly the copy the live runner built (no drift), in small batches pipelined', async () => {
    const before = await store.allDocuments(projection.name, (await store.live(projection.name))!.generation);
    const result = await rebuildProjection({ projection, eventStore, store, batchSize: 7 });
    expect(result.drift).toEqual({ position: result.position.toString(), documents: 0, sampleKeys: [] });
    expect(await store.allDocuments(projection.name, result.generation)).toEqual(before);
    for (const userId of USERS) expect(await page(userId)).toEqual(await pageFromScratch(eventStore, userId));
  });

  it('fails the rebuild cleanly when the thread cannot write, leaving the served generation untouched', async () => {
    const live = (await store.live(projection.name))!;
    const served = await store.allDocuments(projection.name, live.generation);
    // Another connection takes the shadow's table away under the writer thread after its first commit.
    const other = new Database(join(dir, 'read-model.sqlite'));
    let dropped = false;
    try {
      await expect(
        rebuildProjection({
          projection,
          eventStore,
          store,
          batchSize: 5,
          onProgress: ({ generation }) => {
            if (dropped) return;
            dropped = true;
            other.exec(`DROP TABLE "documents_${projection.name}_${generation}"`);
          },
        }),
      ).rejects.toThrow(/no such table/);
    } finally {
      other.close();
    }
    expect((await store.live(projection.name))!.generation).toBe(live.generation);
    expect(await store.allDocuments(projection.name, live.generation)).toEqual(served);
    expect((await store.generations()).find((g) => g.role === 'abandoned')?.rebuild).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('no such table'),
    });
    // And a later rebuild succeeds.
    const again = await rebuildProjection({ projection, eventStore, store });
    expect(again.drift?.documents).toBe(0);
  });

  it('writes a shadow inline when asked to, with the same result', async () => {
    await store.close();
    store = new SqliteReadModelStore({ filename: join(dir, 'read-model.sqlite'), shadowWriter: 'inline' });
    const result = await rebuildProjection({ projection, eventStore, store, batchSize: 7 });
    expect(result.drift?.documents).toBe(0);
  });
});
