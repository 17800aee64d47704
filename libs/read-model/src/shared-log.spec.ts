import { securityInfoStream } from '@signet/domain';
import {
  SqliteEventStore,
  type EventStore,
  type RecordedEvent,
  type SubscribeOptions,
} from '@signet/event-store';
import { eventually } from '@signet/testing';
import type { Projection } from './projection';
import { rebuildProjection } from './projection-rebuild';
import { ProjectionRunner } from './projection-runner';
import type { ReadModelStore } from './read-model.port';
import { SharedLog, type LogFollower } from './shared-log';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model-store';
import { unknownEvent, verifiedPhoneEvents } from './testing/security-info-history';

const PREFIXES = ['securityInfo-', 'codeDelivery-'];

/** The event store, counting what is read from it: subscriptions opened and events they delivered. */
function counted(eventStore: EventStore) {
  const reads = { subscriptions: 0, events: 0 };
  const source = {
    subscribeToAll(options: SubscribeOptions) {
      reads.subscriptions += 1;
      const subscription = eventStore.subscribeToAll(options);
      return {
        caughtUp: subscription.caughtUp,
        close: () => subscription.close(),
        async *[Symbol.asyncIterator]() {
          for await (const event of subscription) {
            reads.events += 1;
            yield event;
          }
        },
      };
    },
  };
  return { source, reads };
}

/** Takes `count` events from a follower (kept open). */
async function take(events: AsyncIterator<RecordedEvent>, count: number): Promise<bigint[]> {
  const positions: bigint[] = [];
  while (positions.length < count) {
    const next = await events.next();
    if (next.done) throw new Error(`ended after ${positions.length} events`);
    positions.push(next.value.position);
  }
  return positions;
}

async function append(eventStore: EventStore, user: string, times = 1): Promise<bigint[]> {
  const positions: bigint[] = [];
  for (let i = 0; i < times; i++) {
    const { position } = await eventStore.appendToStream(securityInfoStream(user), verifiedPhoneEvents(), {
      expectedRevision: 'any',
    });
    for (let p = position - 3n; p <= position; p++) positions.push(p);
  }
  return positions;
}

describe('one read of the log for the runners of a process (SharedLog)', () => {
  let eventStore: SqliteEventStore;
  let followers: LogFollower[];

  beforeEach(() => {
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    followers = [];
  });

  afterEach(async () => {
    for (const follower of followers) await follower.close();
    await eventStore.close();
  });

  const follow = (log: SharedLog, fromPosition: bigint, streamPrefixes = PREFIXES) => {
    const follower = log.subscribeToAll({ fromPosition, filter: { streamPrefixes } });
    followers.push(follower);
    return follower[Symbol.asyncIterator]();
  };

  it('reads each event once for followers at one position, and hands each of them every event once', async () => {
    const { source, reads } = counted(eventStore);
    const log = new SharedLog(source, { streamPrefixes: PREFIXES });
    const written = await append(eventStore, 'ann', 2);
    const [page, snapshots] = [follow(log, 0n), follow(log, 0n, ['securityInfo-'])];

    expect(await take(page, 8)).toEqual(written);
    expect(await take(snapshots, 8)).toEqual(written);
    const live = await append(eventStore, 'bob');
    expect(await take(snapshots, 4)).toEqual(live);
    expect(await take(page, 4)).toEqual(live);
    expect(reads).toEqual({ subscriptions: 1, events: 12 });
  });

  it('lets a follower behind the shared reading read on its own, then takes it back without a gap', async () => {
    const { source, reads } = counted(eventStore);
    const log = new SharedLog(source, { streamPrefixes: PREFIXES });
    const history = await append(eventStore, 'ann', 3);
    const ahead = follow(log, history[history.length - 1]);
    const live = await append(eventStore, 'bob');
    expect(await take(ahead, 4)).toEqual(live);

    // A runner resumed after a fault, from an older checkpoint: it does not move the others back.
    const behind = follow(log, 0n);
    const more = await append(eventStore, 'cy');
    expect(await take(ahead, 4)).toEqual(more);
    expect(await take(behind, 20)).toEqual([...history, ...live, ...more]);
    const last = await append(eventStore, 'dee', 2);
    expect(await take(ahead, 8)).toEqual(last);
    expect(await take(behind, 8)).toEqual(last);
    // Back on the shared reading: its own was closed, the last events were read once.
    const before = { ...reads };
    const after = await append(eventStore, 'eve');
    expect(await take(ahead, 4)).toEqual(after);
    expect(await take(behind, 4)).toEqual(after);
    expect(reads.subscriptions).toBe(before.subscriptions);
    expect(reads.events - before.events).toBe(4);
  });

  it('does not let a follower that stops taking hold the others back, and loses it nothing', async () => {
    const log = new SharedLog(eventStore, { streamPrefixes: PREFIXES, holdLimit: 6 });
    const [fast, slow] = [follow(log, 0n), follow(log, 0n)];
    const first = await append(eventStore, 'ann');
    expect(await take(slow, 1)).toEqual(first.slice(0, 1));
    // `slow` takes nothing more while `fast` goes on past what may be held for it.
    const written = [...first, ...(await append(eventStore, 'bob', 4))];
    expect(await take(fast, 20)).toEqual(written);
    expect(await take(slow, 19)).toEqual(written.slice(1));
    const live = await append(eventStore, 'cy');
    expect(await take(fast, 4)).toEqual(live);
    expect(await take(slow, 4)).toEqual(live);
  });

  it('lets a follower leave at any point while the others go on', async () => {
    const log = new SharedLog(eventStore, { streamPrefixes: PREFIXES });
    const [stays, leaves] = [follow(log, 0n), follow(log, 0n)];
    const first = await append(eventStore, 'ann');
    expect(await take(leaves, 2)).toEqual(first.slice(0, 2));
    await followers[1].close();
    expect(await leaves.next()).toEqual({ done: true, value: undefined });
    const more = await append(eventStore, 'bob');
    expect(await take(stays, 8)).toEqual([...first, ...more]);
    // A new follower where the last one stopped: nothing missed, nothing twice.
    const again = follow(log, first[1]);
    expect(await take(again, 6)).toEqual([...first.slice(2), ...more]);
  });

  it('reads on its own for a filter it does not cover', async () => {
    const { source, reads } = counted(eventStore);
    const log = new SharedLog(source, { streamPrefixes: ['securityInfo-'] });
    const written = await append(eventStore, 'ann');
    const [shared, other] = [follow(log, 0n), follow(log, 0n, ['codeDelivery-', 'securityInfo-'])];
    expect(await take(shared, 4)).toEqual(written);
    expect(await take(other, 4)).toEqual(written);
    expect(reads.subscriptions).toBe(2);
  });
});

/** A projection counting each user's events: any event applied twice or missed shows in its count. */
function eventCounts(name: string, refuses?: string): Projection<{ events: number }> {
  return {
    name,
    version: 1,
    streamPrefixes: ['securityInfo-'],
    documentKey: (event) => event.streamId,
    apply: (document, event) => {
      if (event.type === refuses) throw new Error(`${name} cannot handle ${event.type}`);
      return {
        key: event.streamId,
        revision: event.revision,
        position: event.position,
        body: { events: (document?.body.events ?? 0) + 1 },
      };
    },
  };
}

describe('the runners of a process on one SharedLog', () => {
  let eventStore: SqliteEventStore;
  let store: ReadModelStore;
  let log: SharedLog;
  let runners: ProjectionRunner[];

  const run = (projection: Projection<{ events: number }>, lease?: { owner: string; ttlMs: number }) => {
    const runner = new ProjectionRunner({
      projection: projection as Projection,
      eventStore: log,
      store,
      recheckMs: 10,
      lease,
    });
    runners.push(runner);
    runner.start();
    return runner;
  };
  const count = async (projection: string, user: string) =>
    (await store.readLive<{ events: number }>(projection, securityInfoStream(user))).document?.body.events;
  const counts = async (projection: string, users: string[]) =>
    Promise.all(users.map((user) => count(projection, user)));

  beforeEach(() => {
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    store = new SqliteReadModelStore({ filename: ':memory:' });
    log = new SharedLog(eventStore, { streamPrefixes: ['securityInfo-'] });
    runners = [];
  });

  afterEach(async () => {
    for (const runner of runners) await runner.stop();
    await eventStore.close();
    await store.close();
  });

  it('reads each event once for two runners following from one checkpoint', async () => {
    const { source, reads } = counted(eventStore);
    log = new SharedLog(source, { streamPrefixes: ['securityInfo-'] });
    const [first, second] = [run(eventCounts('first')), run(eventCounts('second'))];
    await eventually(async () => first.state === 'running' && second.state === 'running');
    await append(eventStore, 'ann', 3);
    await eventually(
      async () => (await count('first', 'ann')) === 12 && (await count('second', 'ann')) === 12,
    );
    expect(reads).toEqual({ subscriptions: 1, events: 12 });
  });

  it('keeps one runner going while the other is faulted, and the fixed one catches up, every event once', async () => {
    await append(eventStore, 'ann');
    await eventStore.appendToStream(securityInfoStream('odd'), [unknownEvent()], {
      expectedRevision: 'no_stream',
    });
    const healthy = run(eventCounts('healthy'));
    const broken = run(eventCounts('picky', 'PhoneMethodRenamed'));
    await eventually(async () => broken.state === 'faulted');
    await append(eventStore, 'bob', 2);
    await eventually(async () => (await count('healthy', 'bob')) === 8);
    expect(healthy.state).toBe('running');
    expect(await count('picky', 'bob')).toBeUndefined();

    await broken.stop();
    run(eventCounts('picky'));
    await eventually(async () => (await count('picky', 'bob')) === 8);
    await append(eventStore, 'cy');
    await eventually(async () => (await count('picky', 'cy')) === 4 && (await count('healthy', 'cy')) === 4);
    expect(await counts('picky', ['ann', 'odd', 'bob', 'cy'])).toEqual([4, 1, 8, 4]);
    expect(await counts('healthy', ['ann', 'odd', 'bob', 'cy'])).toEqual([4, 1, 8, 4]);
  });

  it('keeps one runner going while the other stands by for a lease held elsewhere', async () => {
    await store.acquireLease('projection:elsewhere', 'another process', 60_000);
    const standby = run(eventCounts('elsewhere'), { owner: 'this process', ttlMs: 60_000 });
    run(eventCounts('here'), { owner: 'this process', ttlMs: 60_000 });
    await append(eventStore, 'ann', 2);
    await eventually(async () => (await count('here', 'ann')) === 8);
    expect(standby.state).toBe('standby');
    expect(await count('elsewhere', 'ann')).toBeUndefined();
  });

  it('keeps one runner going while the other is superseded by a rebuild and follows the new copy', async () => {
    await append(eventStore, 'ann');
    const rebuilt = eventCounts('rebuilt');
    run(rebuilt);
    run(eventCounts('other'));
    await eventually(
      async () => (await count('rebuilt', 'ann')) === 4 && (await count('other', 'ann')) === 4,
    );
    const before = (await store.live('rebuilt'))!.generation;
    await rebuildProjection({ projection: rebuilt, eventStore, store });
    expect((await store.live('rebuilt'))!.generation).toBeGreaterThan(before);
    await append(eventStore, 'ann');
    await append(eventStore, 'bob');
    await eventually(
      async () => (await count('rebuilt', 'bob')) === 4 && (await count('other', 'bob')) === 4,
    );
    expect(await counts('rebuilt', ['ann', 'bob'])).toEqual([8, 4]);
    expect(await counts('other', ['ann', 'bob'])).toEqual([8, 4]);
  });
});
