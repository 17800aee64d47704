import { TEST_VIEW } from '@signet/domain/testing';
import { initialState, securityInfoStream } from '@signet/domain';
import { SqliteEventStore, type EventStore, type Subscription } from '@signet/event-store';
import type { Projection } from './projection';
import { rebuildProjection } from './projection-rebuild';
import { ProjectionRunner } from './projection-runner';
import { hasPassed, projectionStatuses } from './projection-status';
import { RebuildInProgressError, type ReadModelStore } from './read-model.port';
import {
  projectSecurityInfo,
  securityInfoPageOf,
  securityInfoPageProjection as projection,
  type SecurityInfoDocumentBody,
} from './security-info-projection';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model-store';
import {
  officePhoneAdded,
  pageFromScratch,
  unknownEvent,
  writeHistories,
} from './testing/security-info-history';
import { eventually } from '@signet/testing';

const USERS = Array.from({ length: 30 }, (_, i) => `user${i}`);

describe('the projection runner and rebuild', () => {
  let eventStore: SqliteEventStore;
  let store: ReadModelStore;
  let runners: ProjectionRunner<SecurityInfoDocumentBody>[];

  const run = (
    options: { batchSize?: number; events?: EventStore; with?: Projection<SecurityInfoDocumentBody> } = {},
  ) => {
    const runner = new ProjectionRunner({
      projection: options.with ?? projection,
      eventStore: options.events ?? eventStore,
      store,
      batchSize: options.batchSize,
      recheckMs: 10,
    });
    runners.push(runner);
    runner.start();
    return runner;
  };
  const checkpoint = async () => (await store.live(projection.name))?.checkpoint ?? 0n;
  const caughtUp = async () => (await checkpoint()) === (await eventStore.headPosition());
  const page = async (userId: string) =>
    securityInfoPageOf(
      userId,
      (await store.readLive<SecurityInfoDocumentBody>(projection.name, userId)).document,
      TEST_VIEW,
    );
  /** Every user's page equals the one built from scratch from their stream. */
  const expectEqualToScratch = async (users = USERS) => {
    for (const userId of users) expect(await page(userId)).toEqual(await pageFromScratch(eventStore, userId));
  };

  beforeEach(() => {
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    store = new SqliteReadModelStore({ filename: ':memory:' });
    runners = [];
  });

  afterEach(async () => {
    for (const runner of runners) await runner.stop();
    await eventStore.close();
    await store.close();
  });

  it('projects the history, then follows new events live', async () => {
    await writeHistories(eventStore, USERS);
    run();
    await eventually(caughtUp);
    await expectEqualToScratch();
    await eventStore.appendToStream(securityInfoStream('user3'), [officePhoneAdded()], {
      expectedRevision: 3n,
    });
    await eventually(async () => (await page('user3')).methods.length === 2);
    await expectEqualToScratch();
  });

  it('resumes after a restart mid-stream with nothing lost and nothing applied twice', async () => {
    await writeHistories(eventStore, USERS);
    const first = run({ batchSize: 10 });
    await first.nextCommit();
    await first.stop();
    const stoppedAt = await checkpoint();
    expect(stoppedAt).toBeGreaterThan(0n);
    expect(stoppedAt).toBeLessThan(await eventStore.headPosition());

    run({ batchSize: 10 });
    await eventually(caughtUp);
    await expectEqualToScratch();
  });

  it('stops even when asked while it is still looking up its generation (before it subscribes)', async () => {
    let answer!: () => void;
    const slowStore = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'ensureLive') {
          return async (...args: Parameters<ReadModelStore['ensureLive']>) => {
            await new Promise<void>((resolve) => (answer = resolve));
            return target.ensureLive(...args);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const runner = new ProjectionRunner({ projection, eventStore, store: slowStore, recheckMs: 10 });
    runner.start();
    await eventually(async () => answer !== undefined);
    const stopped = runner.stop();
    answer(); // the store answers after stop() was asked
    const outcome = await Promise.race([
      stopped.then(() => 'stopped'),
      new Promise((resolve) => setTimeout(resolve, 2000, 'still running')),
    ]);
    expect(outcome).toBe('stopped');
    expect(runner.state).toBe('stopped');
  });

  it('applies an event delivered twice only once', async () => {
    await writeHistories(eventStore, USERS.slice(0, 3));
    run({ events: deliveringTwice(eventStore) });
    await eventually(caughtUp);
    await expectEqualToScratch(USERS.slice(0, 3));
    expect((await page('user0')).methods).toHaveLength(1);
  });

  it('stops faulted on an event it cannot handle, never skipping it, and resumes once fixed', async () => {
    await writeHistories(eventStore, ['before']);
    const bad = await eventStore.appendToStream(securityInfoStream('odd'), [unknownEvent()], {
      expectedRevision: 'no_stream',
    });
    await writeHistories(eventStore, ['after']);
    const broken = run();
    await eventually(async () => (await store.live(projection.name))?.fault != null);
    expect(broken.state).toBe('faulted');
    expect((await store.live(projection.name))?.fault).toMatchObject({
      position: bad.position.toString(),
      streamId: 'securityInfo-odd',
      eventType: 'PhoneMethodRenamed',
      error: expect.stringContaining('UnknownEventError'),
    });
    expect(await checkpoint()).toBe(bad.position - 1n);
    expect((await page('before')).methods).toHaveLength(1);
    expect((await page('after')).methods).toHaveLength(0);
    const [status] = await projectionStatuses([projection as Projection], eventStore, store);
    expect(status).toMatchObject({ state: 'faulted', lagEvents: 5 });
    await broken.stop();

    // Restarted with code that knows the event: it carries on from the faulted event.
    const fixed: Projection<SecurityInfoDocumentBody> = {
      ...projection,
      apply: (document, event) =>
        event.type === 'PhoneMethodRenamed'
          ? {
              key: 'odd',
              revision: event.revision,
              position: event.position,
              body: document?.body ?? { state: initialState, updatedAt: 'then' },
            }
          : projectSecurityInfo(document, event),
    };
    run({ with: fixed });
    await eventually(caughtUp);
    expect((await store.live(projection.name))?.fault).toBeNull();
    await expectEqualToScratch(['before', 'after']);
  });

  it('retries a faulted projection when an operator resumes it', async () => {
    await eventStore.appendToStream(securityInfoStream('odd'), [unknownEvent()], {
      expectedRevision: 'no_stream',
    });
    const faults = jest.spyOn(store, 'recordFault');
    const runner = run();
    await eventually(async () => faults.mock.calls.length === 1);
    const live = (await store.live(projection.name))!;
    expect(live.fault).not.toBeNull();
    await store.clearFault(projection.name, live.generation);
    // Same code, so it faults again on the same event: retried, not skipped.
    await eventually(async () => faults.mock.calls.length === 2);
    expect(runner.state).toBe('faulted');
    expect((await store.live(projection.name))!.fault).toMatchObject({ eventType: 'PhoneMethodRenamed' });
    expect(await checkpoint()).toBe(0n);
  });

  it('rebuilds into a shadow while live, swaps without drift, and the runner follows the new copy', async () => {
    await writeHistories(eventStore, USERS);
    run();
    await eventually(caughtUp);
    const before = (await store.live(projection.name))!.generation;
    const ticks: number[] = [];
    const result = await rebuildProjection({
      projection,
      eventStore,
      store,
      batchSize: 16,
      onProgress: (tick) => ticks.push(tick.processedEvents),
    });
    expect(result.drift).toEqual({
      position: String(await eventStore.headPosition()),
      documents: 0,
      sampleKeys: [],
    });
    expect(result.processedEvents).toBe(USERS.length * 4);
    expect(ticks.length).toBeGreaterThan(1);
    const live = (await store.live(projection.name))!;
    expect(live.generation).toBeGreaterThan(before);

    await eventStore.appendToStream(securityInfoStream('user1'), [officePhoneAdded()], {
      expectedRevision: 3n,
    });
    await eventually(async () => (await page('user1')).methods.length === 2);
    expect((await store.live(projection.name))!.generation).toBe(live.generation);
    await expectEqualToScratch();
  });

  it('reports the drift of a live copy that went wrong, and repairs it', async () => {
    await writeHistories(eventStore, USERS.slice(0, 5));
    const runner = run();
    await eventually(caughtUp);
    await runner.stop();
    const live = (await store.live(projection.name))!;
    const wrong = (
      await store.readDocuments<SecurityInfoDocumentBody>(projection.name, live.generation, ['user2'])
    ).get('user2')!;
    await store.commit(
      projection.name,
      live.generation,
      [
        {
          ...wrong,
          // Past the guard (by position): a copy that went wrong behind the runner's back.
          position: wrong.position + 1n,
          body: { ...wrong.body, state: { ...wrong.body.state, methods: [] } },
        },
      ],
      live.checkpoint,
    );
    const result = await rebuildProjection({ projection, eventStore, store });
    expect(result.drift).toMatchObject({ documents: 1, sampleKeys: ['user2'] });
    await expectEqualToScratch(USERS.slice(0, 5));
  });

  it('catches the live copy up when it is behind (no runner), so both are compared at one position', async () => {
    await writeHistories(eventStore, USERS.slice(0, 4));
    const runner = run();
    await eventually(caughtUp);
    await runner.stop();
    await writeHistories(eventStore, USERS.slice(4, 8));
    const result = await rebuildProjection({ projection, eventStore, store });
    expect(result.drift?.documents).toBe(0);
    expect(result.position).toBe(await eventStore.headPosition());
    await expectEqualToScratch(USERS.slice(0, 8));
  });

  it('leaves the live copy untouched when interrupted, and can be started again', async () => {
    await writeHistories(eventStore, USERS);
    const runner = run();
    await eventually(caughtUp);
    await runner.stop();
    const live = (await store.live(projection.name))!;
    const controller = new AbortController();
    await expect(
      rebuildProjection({
        projection,
        eventStore,
        store,
        batchSize: 8,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toThrow();
    expect((await store.live(projection.name))!.generation).toBe(live.generation);
    await expectEqualToScratch();
    const interrupted = (await store.generations()).find((g) => g.role === 'abandoned');
    expect(interrupted?.rebuild).toMatchObject({ state: 'abandoned' });

    const again = await rebuildProjection({ projection, eventStore, store });
    expect(again.drift?.documents).toBe(0);
    expect((await store.live(projection.name))!.generation).toBe(again.generation);
  });

  it('fails a rebuild that meets an event it cannot handle, leaving the live copy serving', async () => {
    await writeHistories(eventStore, USERS.slice(0, 3));
    const runner = run();
    await eventually(caughtUp);
    await runner.stop();
    const live = (await store.live(projection.name))!;
    await eventStore.appendToStream(securityInfoStream('odd'), [unknownEvent()], {
      expectedRevision: 'no_stream',
    });
    await expect(rebuildProjection({ projection, eventStore, store })).rejects.toThrow(/PhoneMethodRenamed/);
    expect((await store.live(projection.name))!.generation).toBe(live.generation);
    expect((await store.generations()).find((g) => g.role === 'abandoned')?.rebuild).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('UnknownEventError'),
    });
    await expectEqualToScratch(USERS.slice(0, 3));
  });

  it('refuses a second rebuild while one is running', async () => {
    await store.beginShadow(projection.name, projection.version, { busyAfterMs: 60_000 });
    await expect(rebuildProjection({ projection, eventStore, store })).rejects.toBeInstanceOf(
      RebuildInProgressError,
    );
  });

  it('has passed a position when no event of its streams lies between its checkpoint and it', async () => {
    await writeHistories(eventStore, ['alice']);
    const runner = run();
    await eventually(caughtUp);
    await runner.stop();
    // An event on another stream (an audit log, say) is never applied, yet must not make a reader wait.
    const other = await eventStore.appendToStream('audit-x', [unknownEvent()], { expectedRevision: 'any' });
    expect(await hasPassed(projection as Projection, eventStore, store, other.position)).toBe(true);
    const mine = await eventStore.appendToStream(securityInfoStream('bob'), [officePhoneAdded()], {
      expectedRevision: 'any',
    });
    expect(await hasPassed(projection as Projection, eventStore, store, mine.position)).toBe(false);
    expect(await hasPassed(projection as Projection, eventStore, store, mine.position + 10n)).toBe(false);
    const [status] = await projectionStatuses([projection as Projection], eventStore, store);
    expect(status).toMatchObject({ state: 'catchingUp', lagEvents: 1, checkpoint: '4', headPosition: '6' });
  });
});

/** The event store, but its subscriptions deliver every event twice (as an at-least-once transport may). */
function deliveringTwice(inner: EventStore): EventStore {
  return {
    appendToStream: (...args) => inner.appendToStream(...args),
    readStream: (...args) => inner.readStream(...args),
    readStreams: (...args) => inner.readStreams(...args),
    readAll: (...args) => inner.readAll(...args),
    headPosition: () => inner.headPosition(),
    ping: () => inner.ping(),
    close: () => inner.close(),
    subscribeToAll: (options): Subscription => {
      const subscription = inner.subscribeToAll(options);
      return {
        caughtUp: subscription.caughtUp,
        close: () => subscription.close(),
        async *[Symbol.asyncIterator]() {
          for await (const event of subscription) {
            yield event;
            yield event;
          }
        },
      };
    },
  };
}
