/**
 * Several API instances on one read-model store: only the holder of a projection's lease runs it; another
 * takes over when the holder stops renewing (it died) or hands the lease over (it stopped).
 *
 * The lease's time is a test clock shared by the stores and the runners: it stands still unless a test moves
 * it, so a lease never runs out by accident on a slow machine and runs out exactly when a test says so.
 */
import { TEST_VIEW } from '@signet/domain/testing';
import { securityInfoStream } from '@signet/domain';
import { SqliteEventStore } from '@signet/event-store';
import { MongoWireDouble } from '@signet/mongo/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoReadModelStore } from './mongo/mongo-read-model-store';
import { ProjectionRunner } from './projection-runner';
import type { ReadModelStore } from './read-model.port';
import {
  securityInfoPageOf,
  securityInfoPageProjection as projection,
  type SecurityInfoDocumentBody,
} from './security-info-projection';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model-store';
import { officePhoneAdded, pageFromScratch, writeHistories } from './testing/security-info-history';
import { eventually, TestClock } from '@signet/testing';

interface SharedStore {
  /** A new connection to the shared store (one per "instance"), on the given clock. */
  open(now: () => Date): ReadModelStore;
  cleanup(): Promise<void>;
}

const adapters: [string, () => Promise<SharedStore>][] = [
  [
    'SQLite (one file, two connections)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'signet-lease-'));
      return {
        open: (now) => new SqliteReadModelStore({ filename: join(dir, 'read-model.sqlite'), now }),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'MongoDB (wire-protocol double, two clients)',
    async () => {
      const double = await MongoWireDouble.start();
      return {
        open: (now) => new MongoReadModelStore({ url: double.url(), now }),
        cleanup: () => double.close(),
      };
    },
  ],
];

const USERS = Array.from({ length: 12 }, (_, i) => `user${i}`);
const TTL_MS = 150;

describe.each(adapters)('one projection runner at a time: %s', (_name, makeShared) => {
  let shared: SharedStore;
  let eventStore: SqliteEventStore;
  let stores: ReadModelStore[];
  let runners: ProjectionRunner<SecurityInfoDocumentBody>[];
  /** Who committed, in order. */
  let commits: string[];
  let partitioned: Set<string>;
  /** Who asked for the lease, in order. */
  let leaseRequests: string[];
  let clock: TestClock;

  beforeEach(async () => {
    shared = await makeShared();
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    stores = [];
    runners = [];
    commits = [];
    partitioned = new Set();
    leaseRequests = [];
    clock = new TestClock();
  });

  afterEach(async () => {
    for (const runner of runners) await runner.stop();
    for (const store of stores) await store.close();
    await eventStore.close();
    await shared.cleanup();
  });

  /** An instance: its own connection, which records its commits and can be cut off from the lease. */
  const instance = (owner: string) => {
    const store = shared.open(clock.now);
    stores.push(store);
    const watched: ReadModelStore = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'commit') {
          return async (...args: Parameters<ReadModelStore['commit']>) => {
            if (args[2].length > 0) commits.push(owner);
            return target.commit(...args);
          };
        }
        if (property === 'acquireLease') {
          return async (...args: Parameters<ReadModelStore['acquireLease']>) => {
            leaseRequests.push(owner);
            if (partitioned.has(owner)) throw new Error('connection refused');
            return target.acquireLease(...args);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const runner = new ProjectionRunner({
      projection,
      eventStore,
      store: watched,
      recheckMs: 10,
      batchSize: 5,
      lease: { owner, ttlMs: TTL_MS },
      now: clock.now,
    });
    runners.push(runner);
    runner.start();
    return { runner, store };
  };

  const caughtUp = async (store: ReadModelStore) =>
    (await store.live(projection.name))?.checkpoint === (await eventStore.headPosition());
  const expectPagesFromScratch = async (store: ReadModelStore) => {
    for (const userId of USERS) {
      const { document } = await store.readLive<SecurityInfoDocumentBody>(projection.name, userId);
      expect(securityInfoPageOf(userId, document, TEST_VIEW)).toEqual(
        await pageFromScratch(eventStore, userId),
      );
    }
  };
  const addOfficePhones = async (users: string[]) => {
    for (const userId of users) {
      await eventStore.appendToStream(securityInfoStream(userId), [officePhoneAdded()], {
        expectedRevision: 3n,
      });
    }
  };

  it('runs the projection in one instance only; the other stands by', async () => {
    await writeHistories(eventStore, USERS);
    const a = instance('a');
    await eventually(async () => a.runner.state === 'running');
    const b = instance('b');
    await eventually(() => caughtUp(a.store));
    await addOfficePhones(USERS.slice(0, 4));
    await eventually(() => caughtUp(b.store));
    expect(b.runner.state).toBe('standby');
    expect(new Set(commits)).toEqual(new Set(['a']));
    await expectPagesFromScratch(b.store);
  });

  it('takes over when the running instance stops renewing its lease, nothing lost or doubled', async () => {
    await writeHistories(eventStore, USERS);
    const a = instance('a');
    await eventually(async () => a.runner.state === 'running');
    const b = instance('b');
    await eventually(() => caughtUp(a.store));
    // Instance a can no longer reach the lease (as good as dead to the others), though its process runs on.
    partitioned.add('a');
    // It stops projecting at its first failed renewal, without waiting for the lease to run out.
    await eventually(() => a.runner.state === 'standby', { description: 'a to stand by' });
    // b asks again and again, but a's lease has not run out yet: b stays on standby.
    const asked = leaseRequests.length;
    await eventually(() => leaseRequests.slice(asked).filter((owner) => owner === 'b').length >= 2, {
      description: 'b to ask for the lease twice more',
    });
    expect(b.runner.state).toBe('standby');
    // The lease's time to live passes: b takes over at its next request.
    clock.advance(TTL_MS);
    await eventually(() => b.runner.state === 'running', { description: 'b to take over' });
    expect(a.runner.state).toBe('standby');
    await addOfficePhones(USERS.slice(4, 10));
    await eventually(() => caughtUp(b.store));
    await expectPagesFromScratch(b.store);
    // Never both: every commit by a comes before the first by b.
    const firstB = commits.indexOf('b');
    expect(firstB).toBeGreaterThan(0);
    expect(commits.slice(firstB)).not.toContain('a');
  });

  it('hands over at once on a graceful stop', async () => {
    await writeHistories(eventStore, USERS);
    const a = instance('a');
    await eventually(async () => a.runner.state === 'running');
    const b = instance('b');
    await eventually(() => caughtUp(a.store));
    await a.runner.stop();
    await addOfficePhones(USERS.slice(0, 3));
    await eventually(() => caughtUp(b.store));
    expect(b.runner.state).toBe('running');
    await expectPagesFromScratch(b.store);
  });
});
