import Database from 'better-sqlite3';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anEvent, collect, eventStoreContract } from '../event-store.contract';
import { eventually } from '@signet/testing';
import { RecordedEvent, WrongExpectedRevisionError } from '../event-store.port';
import { EventStoreClosedError } from '../event-store.errors';
import { SqliteEventStore, SqliteEventStoreOptions } from './sqlite-event-store';
import { SubscriptionFeed } from './sqlite-subscription';
import { CrashWriterAck, crashWriterEvent } from './testing/crash-writer';

function tempDatabase(): { filename: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-event-store-'));
  return { filename: join(dir, 'events.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

for (const writer of ['inline', 'thread'] as const) {
  eventStoreContract(`SqliteEventStore (${writer} writer)`, async () => {
    const { filename, remove } = tempDatabase();
    const store = new SqliteEventStore({ filename, writer });
    return {
      store,
      reopen: async () => new SqliteEventStore({ filename, writer }),
      cleanup: async () => {
        await store.close();
        remove();
      },
    };
  });
}

describe('SqliteEventStore', () => {
  let filename: string;
  let remove: () => void;
  const opened: SqliteEventStore[] = [];
  const open = (options: Partial<SqliteEventStoreOptions> = {}): SqliteEventStore => {
    const store = new SqliteEventStore({ filename, ...options });
    opened.push(store);
    return store;
  };
  /** A second, raw connection to the same file, as another process would have. */
  const rawConnection = (): Database.Database => {
    const db = new Database(filename);
    db.pragma('busy_timeout = 5000');
    return db;
  };

  beforeEach(() => {
    ({ filename, remove } = tempDatabase());
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    remove();
  });

  describe('the file', () => {
    it('gets the schema, WAL mode and a schema version, and can be opened again', async () => {
      const store = open();
      await store.appendToStream('s-1', [anEvent('Created')], { expectedRevision: 'no_stream' });
      await store.close();
      open();

      const db = rawConnection();
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(1);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
        expect(tables).toEqual(expect.arrayContaining(['events']));
        expect(db.prepare('SELECT stream_id, revision FROM events').all()).toEqual([
          { stream_id: 's-1', revision: 0 },
        ]);
      } finally {
        db.close();
      }
    });

    it('refuses a file written by a newer schema version', () => {
      open();
      const db = rawConnection();
      db.pragma('user_version = 2');
      db.close();

      expect(() => new SqliteEventStore({ filename })).toThrow(/schema version 2/);
    });

    it('syncs every commit fully unless told otherwise', () => {
      expect(connectionOf(open()).pragma('synchronous', { simple: true })).toBe(2n); // FULL
      expect(connectionOf(open({ synchronous: 'NORMAL' })).pragma('synchronous', { simple: true })).toBe(1n);
      expect(() => open({ synchronous: 'OFF' as 'FULL' })).toThrow(RangeError);
    });

    it('works in memory', async () => {
      const store = new SqliteEventStore({ filename: ':memory:' });
      opened.push(store);

      const result = await store.appendToStream('m-1', [anEvent('InMemory')], {
        expectedRevision: 'no_stream',
      });

      expect(result).toEqual({ nextRevision: 0n, position: 1n });
      expect(await collect(store.readAll())).toHaveLength(1);
    });

    it('reads as many events as asked, whether the limit is written into the SQL (a page, one event) or bound', async () => {
      const store = open();
      await store.appendToStream(
        'long-1',
        Array.from({ length: 1201 }, (_, i) => anEvent(`E${i}`)),
        { expectedRevision: 'no_stream' },
      );
      for (const direction of ['forwards', 'backwards'] as const) {
        const from = direction === 'forwards' ? 'start' : 'end';
        for (const maxCount of [1, 2, 499, 500, 501, 1000, 1201, 5000]) {
          const read = await collect(store.readStream('long-1', { direction, fromRevision: from, maxCount }));
          expect(read).toHaveLength(Math.min(maxCount, 1201));
          expect(read[0].revision).toBe(direction === 'forwards' ? 0n : 1200n);
          const all = await collect(store.readAll({ direction, maxCount }));
          expect(all).toHaveLength(Math.min(maxCount, 1201));
        }
      }
    });

    it('reports head position 0n when empty, and 1-based positions', async () => {
      const store = open();
      expect(await store.headPosition()).toBe(0n);

      const result = await store.appendToStream('s-1', [anEvent('First')], { expectedRevision: 'any' });

      expect(result.position).toBe(1n);
      expect(await store.headPosition()).toBe(1n);
    });

    it('keeps every acknowledged append when the writing process is killed', async () => {
      const acks = await runCrashWriter(filename, 'crash-1', 60);
      const store = open();

      const read = await collect(store.readStream('crash-1'));

      expect(acks.length).toBeGreaterThanOrEqual(60);
      // Events past the last ack may or may not have made it; every acknowledged one must be there, intact.
      expect(read.length).toBeGreaterThanOrEqual(acks.length);
      acks.forEach((ack, n) => {
        const { id, type, data } = crashWriterEvent(n);
        expect(ack.revision).toBe(String(n));
        expect(read[n]).toMatchObject({
          id,
          type,
          data,
          revision: BigInt(n),
          position: BigInt(ack.position),
        });
      });
      // The file is usable after the crash: the stream continues where the writer stopped.
      await store.appendToStream('crash-1', [anEvent('AfterCrash')], {
        expectedRevision: BigInt(read.length - 1),
      });
    }, 30_000);
  });

  describe.each(['inline', 'thread'] as const)('group commit (%s writer)', (writer) => {
    it('commits concurrent appends in far fewer transactions than appends', async () => {
      const store = open({ writer });
      const before = store.stats();

      await Promise.all(
        Array.from({ length: 200 }, (_, n) =>
          store.appendToStream(`g-${n}`, [anEvent('Grouped', { n })], { expectedRevision: 'no_stream' }),
        ),
      );

      const after = store.stats();
      expect(after.appends - before.appends).toBe(200);
      expect(after.events - before.events).toBe(200);
      expect(after.commits - before.commits).toBeLessThan(10);
    });

    it('a conflicting request fails alone; the rest of its batch commits', async () => {
      const store = open({ writer });
      await store.appendToStream('taken', [anEvent('Exists')], { expectedRevision: 'no_stream' });
      const before = store.stats().commits;

      const [first, conflict, last] = await Promise.allSettled([
        store.appendToStream('b-1', [anEvent('Fine')], { expectedRevision: 'no_stream' }),
        store.appendToStream('taken', [anEvent('Clash'), anEvent('Clash')], {
          expectedRevision: 'no_stream',
        }),
        store.appendToStream('b-1', [anEvent('Fine')], { expectedRevision: 0n }),
      ]);

      expect(store.stats().commits - before).toBe(1);
      expect(first.status).toBe('fulfilled');
      expect(last).toMatchObject({ status: 'fulfilled', value: { nextRevision: 1n } });
      expect(conflict).toMatchObject({ status: 'rejected', reason: expect.any(WrongExpectedRevisionError) });
      expect(await collect(store.readStream('taken'))).toHaveLength(1);
    });

    it('a request failing mid-write is undone alone; the rest of its batch commits', async () => {
      const store = open({ writer });
      const db = rawConnection();
      db.exec(`CREATE TRIGGER explode BEFORE INSERT ON events WHEN NEW.type = 'Explodes'
               BEGIN SELECT RAISE(ABORT, 'exploded'); END`);
      db.close();

      const [before, failing, after] = await Promise.allSettled([
        store.appendToStream('f-1', [anEvent('Fine')], { expectedRevision: 'no_stream' }),
        store.appendToStream('f-2', [anEvent('Fine'), anEvent('Explodes')], {
          expectedRevision: 'no_stream',
        }),
        store.appendToStream('f-3', [anEvent('Fine')], { expectedRevision: 'no_stream' }),
      ]);

      expect([before.status, failing.status, after.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(failing).toMatchObject({ reason: { message: 'exploded' } });
      expect(await collect(store.readStream('f-2'))).toEqual([]);
      // Its stream was not created either: no_stream still holds.
      await store.appendToStream('f-2', [anEvent('Fine')], { expectedRevision: 'no_stream' });
    });

    it('a failed transaction rejects every request of its batch and writes nothing', async () => {
      const store = open({ writer });
      const db = rawConnection();
      db.exec(`CREATE TRIGGER doom BEFORE INSERT ON events WHEN NEW.type = 'Dooms'
               BEGIN SELECT RAISE(ROLLBACK, 'doomed'); END`);

      const outcomes = await Promise.allSettled([
        store.appendToStream('d-1', [anEvent('Fine')], { expectedRevision: 'no_stream' }),
        store.appendToStream('d-2', [anEvent('Dooms')], { expectedRevision: 'no_stream' }),
        store.appendToStream('d-3', [anEvent('Fine')], { expectedRevision: 'no_stream' }),
      ]);

      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(await store.headPosition()).toBe(0n);
      db.exec('DROP TRIGGER doom');
      db.close();
      const retried = await store.appendToStream('d-1', [anEvent('Fine')], { expectedRevision: 'no_stream' });
      expect(retried.position).toBe(1n);
    });

    it('rejects an unserialisable event before it can join a batch', async () => {
      const store = open({ writer });

      const [bad, good] = await Promise.allSettled([
        store.appendToStream('u-1', [anEvent('Bad', { amount: 10n })], { expectedRevision: 'any' }),
        store.appendToStream('u-2', [anEvent('Good')], { expectedRevision: 'any' }),
      ]);

      expect(bad).toMatchObject({ status: 'rejected', reason: expect.any(TypeError) });
      expect(good.status).toBe('fulfilled');
    });
  });

  describe.each(['inline', 'thread'] as const)('closing (%s writer)', (writer) => {
    it('a store left open does not keep its process alive, and what it acknowledged is written', async () => {
      const child = fork(join(__dirname, 'testing', 'left-open-writer.ts'), [filename, writer], {
        execArgv: ['--require', join(__dirname, 'testing', 'register-ts.js')],
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      expect(output).toBe('appended\n');
      expect(await collect(open({ writer }).readStream('left-open'))).toHaveLength(1);
      // A child process compiling TypeScript as it starts: seconds on a loaded machine, not jest's default 5.
    }, 30_000);

    it('close() commits the appends still queued', async () => {
      const store = open({ writer });
      const pending = [0, 1, 2].map((n) =>
        store.appendToStream('q-1', [anEvent('Queued', { n })], { expectedRevision: 'any' }),
      );

      await store.close();

      const results = await Promise.all(pending);
      expect(results.map((result) => result.nextRevision)).toEqual([0n, 1n, 2n]);
      const read = await collect(open({ writer }).readStream('q-1'));
      expect(read.map((event) => event.data.n)).toEqual([0, 1, 2]);
    });

    it('close() ends live subscriptions and later calls fail with EventStoreClosedError', async () => {
      const store = open({ writer });
      const subscription = store.subscribeToAll();
      const done = collect(subscription);
      await subscription.caughtUp;

      await store.close();

      await expect(done).resolves.toEqual([]);
      await expect(store.ping()).rejects.toThrow(EventStoreClosedError);
      expect(() => store.subscribeToAll()).toThrow(EventStoreClosedError);
      await expect(collect(store.readStream('s-1'))).rejects.toThrow(EventStoreClosedError);
    });

    it('close() ends subscriptions cleanly even when its last commit just woke them', async () => {
      const store = open({ writer });
      const subscriptions = [store.subscribeToAll(), store.subscribeToAll(), store.subscribeToAll()];
      const endings = subscriptions.map((subscription) =>
        collect(subscription).then(
          () => 'ended',
          (error: unknown) => error,
        ),
      );
      await Promise.all(subscriptions.map((subscription) => subscription.caughtUp));
      const pending = store.appendToStream('late-1', [anEvent('Late')], { expectedRevision: 'no_stream' });

      await store.close();

      await expect(pending).resolves.toEqual({ nextRevision: 0n, position: 1n });
      expect(await Promise.all(endings)).toEqual(['ended', 'ended', 'ended']);
    });

    it('rejects empty filter lists rather than guess what they mean', async () => {
      const store = open({ writer });

      expect(() => store.subscribeToAll({ filter: { streamPrefixes: [] } })).toThrow(RangeError);
      await expect(collect(store.readAll({ filter: { eventTypes: [] } }))).rejects.toThrow(RangeError);
    });
  });

  describe('subscriptions', () => {
    it('read the next page only when the consumer asks for more', async () => {
      const store = open();
      const events = Array.from({ length: 1200 }, (_, n) => anEvent('Many', { n }));
      await store.appendToStream('many-1', events, { expectedRevision: 'no_stream' });
      const pageReads = jest.spyOn(feedOf(store), 'page');
      const subscription = store.subscribeToAll();
      const iterator = subscription[Symbol.asyncIterator]();

      const first = await iterator.next();
      await new Promise((resolve) => setTimeout(resolve, 20));

      expect(first.value).toMatchObject({ data: { n: 0 } });
      expect(pageReads).toHaveBeenCalledTimes(1);
      for (let n = 1; n < 600; n++) await iterator.next();
      expect(pageReads).toHaveBeenCalledTimes(2);
      await subscription.close();
      await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
    });

    it('can be iterated only once', async () => {
      const subscription = open().subscribeToAll();
      subscription[Symbol.asyncIterator]();

      expect(() => subscription[Symbol.asyncIterator]()).toThrow(/only once/);
      await subscription.close();
    });

    it('reject caughtUp when closed before catching up', async () => {
      const subscription = open().subscribeToAll();

      await subscription.close();

      await expect(subscription.caughtUp).rejects.toThrow(/closed before it caught up/);
    });
  });

  describe('sharing the file', () => {
    it('a subscription sees events appended through another connection', async () => {
      const reader = open({ pollIntervalMs: 20 });
      const writer = open();
      await writer.appendToStream('shared-1', [anEvent('Before', { n: 0 })], {
        expectedRevision: 'no_stream',
      });
      const subscription = reader.subscribeToAll({ filter: { streamPrefixes: ['shared-'] } });
      const received: RecordedEvent[] = [];
      const done = (async () => {
        for await (const event of subscription) received.push(event);
      })();
      await subscription.caughtUp;

      await writer.appendToStream('shared-1', [anEvent('After', { n: 1 })], { expectedRevision: 0n });
      await writer.appendToStream('shared-2', [anEvent('After', { n: 2 })], {
        expectedRevision: 'no_stream',
      });
      await eventually(() => expect(received.length).toBeGreaterThanOrEqual(3));
      await subscription.close();
      await done;

      expect(received.map((event) => event.data.n)).toEqual([0, 1, 2]);
    });

    it('two stores appending to one stream see each other’s revisions', async () => {
      const [a, b] = [open(), open()];
      await a.appendToStream('shared-1', [anEvent('FromA')], { expectedRevision: 'no_stream' });

      await expect(
        b.appendToStream('shared-1', [anEvent('FromB')], { expectedRevision: 'no_stream' }),
      ).rejects.toMatchObject({ actual: 0n });
      const result = await b.appendToStream('shared-1', [anEvent('FromB')], { expectedRevision: 0n });

      expect(result).toEqual({ nextRevision: 1n, position: 2n });
    });
  });
});

/** The adapter's connection, for checking its pragmas. */
function connectionOf(store: SqliteEventStore): Database.Database {
  return (store as unknown as { db: Database.Database }).db;
}

/** The adapter's feed of pages to its subscriptions, for counting reads. */
function feedOf(store: SqliteEventStore): SubscriptionFeed {
  return (store as unknown as { feed: SubscriptionFeed }).feed;
}

/** Runs the crash writer in a child process and SIGKILLs it after `acksBeforeKill` acknowledged appends. */
function runCrashWriter(
  filename: string,
  streamId: string,
  acksBeforeKill: number,
): Promise<CrashWriterAck[]> {
  const child = fork(join(__dirname, 'testing', 'crash-writer.ts'), [filename, streamId], {
    execArgv: ['--require', join(__dirname, 'testing', 'register-ts.js')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const acks: CrashWriterAck[] = [];
  return new Promise((resolve, reject) => {
    child.on('message', (ack: CrashWriterAck) => {
      acks.push(ack);
      if (acks.length === acksBeforeKill) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`The crash writer exited on its own (code ${code}) after ${acks.length} acks`));
    });
  });
}
