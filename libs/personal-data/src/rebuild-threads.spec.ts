import { securityInfoStream } from '@signet/domain';
import { openEventStore, type EventStore } from '@signet/event-store';
import {
  openReadModelStore,
  rebuildProjection,
  securityInfoPageProjection,
  type ReadModelStore,
  type RebuildThreads,
} from '@signet/read-model';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersonalData } from './open-personal-data';
import { rebuildThreadsOf, type RebuildStoresConfig } from './rebuild-stores';
import { added, AT, record } from './testing/page-records';

const USERS = 40;
const projection = securityInfoPageProjection;

/** The stores of a process on DATA_DIR `dir`, sealed as the CLI opens them; its rebuilds split as configured. */
describe('a rebuild split across threads (REBUILD_THREADS)', () => {
  let dir: string;
  let config: RebuildStoresConfig;
  let eventStore: EventStore;
  let store: ReadModelStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-rebuild-threads-'));
    config = {
      codeSecret: randomBytes(32),
      personalData: {
        masterKey: randomBytes(32),
        previousMasterKeys: [],
        generated: false,
        keyStore: { filename: join(dir, 'keys.sqlite') },
      },
      eventStore: { filename: join(dir, 'events.sqlite'), synchronous: 'NORMAL' },
      readModel: {
        filename: join(dir, 'read-model.sqlite'),
        maxWaitMs: 0,
        batchSize: 7,
        leaseMs: 15_000,
        asOfSnapshotEvery: 500,
        rebuildThreads: 3,
      },
    };
    const personalData = PersonalData.open(config);
    eventStore = personalData.sealing(openEventStore(config), { closesKeys: true });
    store = personalData.sealingReadModel(openReadModelStore(config));
    for (let n = 0; n < USERS; n++) {
      const userId = `user-${n}`;
      await eventStore.appendToStream(
        securityInfoStream(userId),
        Array.from({ length: 1 + (n % 4) }, (_, i) =>
          record(userId, added(`m${i}`, `+1425555${String(n).padStart(2, '0')}${i}0`)),
        ),
        { expectedRevision: 'no_stream' },
      );
    }
    // The live copy, built on one thread.
    await rebuildProjection({ projection, eventStore, store, batchSize: 7 });
  }, 30_000);

  afterEach(async () => {
    await store.close();
    await eventStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function liveDocuments(): Promise<unknown[]> {
    const live = await store.live(projection.name);
    const documents = await store.allDocuments(projection.name, live!.generation);
    return documents.map(({ key, revision, position, body }) => ({ key, revision, position, body }));
  }

  it('builds the documents one thread builds: no drift against the live copy, every event counted once', async () => {
    const before = await liveDocuments();
    const threads = rebuildThreadsOf(config);
    expect(threads?.count).toBe(3);
    const ticks: number[] = [];
    const result = await rebuildProjection({
      projection,
      eventStore,
      store,
      batchSize: 7,
      threads,
      onProgress: (tick) => ticks.push(tick.processedEvents),
    });
    const events = Array.from({ length: USERS }, (_, n) => 1 + (n % 4)).reduce((a, b) => a + b, 0);
    expect(result.processedEvents).toBe(events);
    expect(result.drift).toMatchObject({ documents: 0 });
    expect(result.position).toBe(await eventStore.headPosition());
    expect(ticks.at(-1)).toBe(events);
    expect(await liveDocuments()).toEqual(before);
    expect(JSON.stringify(before.map((d) => (d as { body: unknown }).body))).toContain('+1425555');
  }, 60_000);

  it.each(['throw', 'exit'] as const)(
    'a thread that fails (%s) fails the whole rebuild: the others stopped, the shadow failed, the live copy served as it was',
    async (fail) => {
      const live = await store.live(projection.name);
      const before = await liveDocuments();
      const threads = rebuildThreadsOf(config)!;
      const failing: RebuildThreads = {
        ...threads,
        open: {
          module: join(__dirname, 'testing', 'failing-rebuild-stores.ts'),
          data: { inner: threads.open.data, fail },
        },
      };
      let shadow = 0;
      await expect(
        rebuildProjection({
          projection,
          eventStore,
          store,
          batchSize: 7,
          threads: failing,
          onStarted: (generation) => (shadow = generation),
        }),
      ).rejects.toThrow(
        fail === 'throw' ? /the read model went away/ : /Rebuild thread \d of 3 stopped \(exit 3\)/,
      );
      const generations = await store.generations();
      expect(generations.find((g) => g.generation === shadow)?.role).toBe('abandoned');
      expect((await store.live(projection.name))?.generation).toBe(live!.generation);
      expect(await liveDocuments()).toEqual(before);
    },
    60_000,
  );

  it('an abort ends the threads and abandons the shadow; the live copy is untouched', async () => {
    const live = await store.live(projection.name);
    const controller = new AbortController();
    let shadow = 0;
    await expect(
      rebuildProjection({
        projection,
        eventStore,
        store,
        batchSize: 7,
        threads: rebuildThreadsOf(config),
        signal: controller.signal,
        onStarted: (generation) => {
          shadow = generation;
          setTimeout(() => controller.abort(), 50);
        },
      }),
    ).rejects.toBeDefined();
    const generations = await store.generations();
    expect(generations.find((g) => g.generation === shadow)?.role).toBe('abandoned');
    expect((await store.live(projection.name))?.generation).toBe(live!.generation);
  }, 60_000);

  it('a person erased while the threads fold their events is readable nowhere once the rebuild has swapped', async () => {
    // Another process (the API), with keys of its own, erases alice while the threads are at work.
    const api = PersonalData.open(config);
    const apiEvents = api.sealing(openEventStore(config), { closesKeys: true });
    const numbers = Array.from({ length: 60 }, (_, i) => `+1425556${String(i).padStart(4, '0')}`);
    await apiEvents.appendToStream(
      securityInfoStream('alice'),
      numbers.map((number, i) => record('alice', added(`a${i}`, number))),
      { expectedRevision: 'no_stream' },
    );
    let erased: Promise<unknown> | null = null;
    await rebuildProjection({
      projection,
      eventStore,
      store,
      batchSize: 1,
      threads: rebuildThreadsOf(config),
      onProgress: () => {
        // The erasure as erasePersonalData does it: the key first, then the event that starts afresh.
        erased ??= api.keys.destroy('alice').then(() =>
          apiEvents.appendToStream(
            securityInfoStream('alice'),
            [
              record('alice', {
                type: 'PersonalDataErased',
                data: { reason: 'asked', by: 'dpo', erasedAt: AT },
              }),
            ],
            { expectedRevision: 'any' },
          ),
        );
      },
    });
    expect(erased).not.toBeNull();
    await erased;
    await apiEvents.close();
    // What a third process, with nothing cached, reads of every live document.
    const reader = PersonalData.open(config);
    const readerStore = reader.sealingReadModel(openReadModelStore(config));
    const live = await readerStore.live(projection.name);
    const swapped = JSON.stringify(
      (await readerStore.allDocuments(projection.name, live!.generation)).map((d) => d.body),
    );
    await readerStore.close();
    await reader.close();
    for (const number of numbers) expect(swapped).not.toContain(number.slice(1));
    expect(swapped).toContain('+1425555000');
  }, 60_000);

  it('runs on the rebuild’s own thread with one thread, or with EventStoreDB', () => {
    expect(
      rebuildThreadsOf({ ...config, readModel: { ...config.readModel, rebuildThreads: 1 } }),
    ).toBeUndefined();
    expect(
      rebuildThreadsOf({ ...config, eventStore: { ...config.eventStore, url: 'esdb://localhost:2113' } }),
    ).toBeUndefined();
  });
});
