/**
 * The behaviour every EventStore adapter must have, as a jest suite an adapter's spec runs:
 *
 *   eventStoreContract('SqliteEventStore', async () => ({ store, reopen, cleanup }));
 *
 * Test code only (uses jest globals): never export it from index.ts. The tests assume nothing about the
 * store's other contents (an EventStoreDB has system events) nor that positions are consecutive: each test
 * writes to streams and event types of its own and reads them back through filters.
 */
import { eventually } from '@signet/testing';
import { randomUUID } from 'node:crypto';
import {
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
  Subscription,
  WrongExpectedRevisionError,
} from './event-store.port';
import { partitionOfKey } from './event-filter';

export interface EventStoreUnderTest {
  store: EventStore;
  /** Closes nothing itself: opens a new store on the same data, e.g. after `store.close()`. */
  reopen?: () => Promise<EventStore>;
  /** Closes `store` (if still open) and removes its data. */
  cleanup: () => Promise<void>;
}

const WAIT_TIMEOUT_MS = 5000;

export function eventStoreContract(name: string, makeStore: () => Promise<EventStoreUnderTest>): void {
  describe(`EventStore contract: ${name}`, () => {
    let subject: EventStoreUnderTest;
    let store: EventStore;
    let consumers: Consumer[];
    let reopened: EventStore[];
    /** Unique per test, so tests never see each other's events. */
    let run: string;
    let streamCount: number;

    const newStream = (category = 'contract'): string => `${category}${run}-${++streamCount}`;
    const prefix = (category = 'contract'): string => `${category}${run}-`;

    const subscribe = (subscription: Subscription): Consumer => {
      const consumer = consume(subscription);
      consumers.push(consumer);
      return consumer;
    };

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
      consumers = [];
      reopened = [];
      run = randomUUID().slice(0, 8);
      streamCount = 0;
    });

    afterEach(async () => {
      for (const consumer of consumers) await consumer.subscription.close();
      await Promise.allSettled(consumers.map((consumer) => consumer.done));
      for (const other of reopened) await other.close();
      await subject.cleanup();
    });

    describe('appending and reading back', () => {
      it('round-trips ids, types, data, metadata, revisions and positions', async () => {
        const streamId = newStream();
        const events = [
          anEvent('AccountOpened', { owner: 'Ada', nested: { list: [1, 'two', null], flag: true } }),
          anEvent('AccountRenamed', { owner: 'Ada L.' }, { correlationId: randomUUID(), actor: 'user-1' }),
        ];
        const before = Date.now();

        const result = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });

        expect(result.nextRevision).toBe(1n);
        expect(typeof result.position).toBe('bigint');
        const read = await collect(store.readStream(streamId));
        expect(read).toHaveLength(2);
        read.forEach((recorded, index) => {
          expect(recorded).toMatchObject({
            id: events[index].id,
            streamId,
            type: events[index].type,
            revision: BigInt(index),
            data: events[index].data,
            metadata: events[index].metadata,
          });
          expect(typeof recorded.position).toBe('bigint');
          expect(recorded.recordedAt).toBeInstanceOf(Date);
          expect(recorded.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
          expect(recorded.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        });
        expect(read[1].position).toBe(result.position);
        expect(read[0].position).toBeLessThan(read[1].position);
      });

      it('gives positions that increase strictly and globally across streams', async () => {
        const [a, b] = [newStream(), newStream()];
        const results = [];
        results.push(await store.appendToStream(a, [anEvent('A')], { expectedRevision: 'no_stream' }));
        results.push(
          await store.appendToStream(b, [anEvent('B'), anEvent('B')], { expectedRevision: 'no_stream' }),
        );
        results.push(await store.appendToStream(a, [anEvent('A')], { expectedRevision: 0n }));

        const all = await collect(store.readAll({ filter: { streamPrefixes: [prefix()] } }));

        expect(all.map((event) => event.streamId)).toEqual([a, b, b, a]);
        expect(all.map((event) => event.revision)).toEqual([0n, 0n, 1n, 1n]);
        expectStrictlyIncreasing(all.map((event) => event.position));
        expect([all[0], all[2], all[3]].map((event) => event.position)).toEqual(
          results.map((result) => result.position),
        );
      });

      it('writes the events of one append together, contiguously, even when appends race', async () => {
        const streamId = newStream();
        const appends = Array.from({ length: 5 }, (_, writer) =>
          Array.from({ length: 3 }, (_, n) => anEvent('Batched', { writer, n })),
        );

        await Promise.all(
          appends.map((events) => store.appendToStream(streamId, events, { expectedRevision: 'any' })),
        );

        const read = await collect(store.readStream(streamId));
        expect(read.map((event) => event.revision)).toEqual(read.map((_, index) => BigInt(index)));
        for (let start = 0; start < read.length; start += 3) {
          const group = read.slice(start, start + 3);
          expect(group.map((event) => event.data)).toEqual(
            [0, 1, 2].map((n) => ({ writer: group[0].data.writer, n })),
          );
        }
        expectStrictlyIncreasing(read.map((event) => event.position));
      });

      it('accepts an empty append, which checks the expectation and writes nothing', async () => {
        const streamId = newStream();
        await store.appendToStream(streamId, [anEvent('Only')], { expectedRevision: 'no_stream' });

        const result = await store.appendToStream(streamId, [], { expectedRevision: 0n });

        expect(result.nextRevision).toBe(0n);
        await expectConflict(store.appendToStream(streamId, [], { expectedRevision: 'no_stream' }), 0n);
        expect(await collect(store.readStream(streamId))).toHaveLength(1);
      });

      it('keeps revisions and positions as bigint through a long stream', async () => {
        const streamId = newStream();
        const events = Array.from({ length: 1100 }, (_, n) => anEvent('Counted', { n }));

        const result = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });

        expect(result.nextRevision).toBe(1099n);
        const read = await collect(store.readStream(streamId));
        expect(read.map((event) => event.data.n)).toEqual(events.map((_, n) => n));
        expect(read.every((event, n) => event.revision === BigInt(n))).toBe(true);
        expectStrictlyIncreasing(read.map((event) => event.position));
      });
    });

    describe('expected revision', () => {
      async function streamAtRevision(revision: number): Promise<string> {
        const streamId = newStream();
        const events = Array.from({ length: revision + 1 }, (_, n) => anEvent('Existing', { n }));
        await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        return streamId;
      }

      it('no_stream: accepts a missing stream, rejects an existing one with its revision', async () => {
        const created = await store.appendToStream(newStream(), [anEvent('Created')], {
          expectedRevision: 'no_stream',
        });
        expect(created.nextRevision).toBe(0n);

        const existing = await streamAtRevision(2);
        await expectConflict(
          store.appendToStream(existing, [anEvent('Again')], { expectedRevision: 'no_stream' }),
          2n,
        );
      });

      it('exact revision: accepts the current revision, rejects any other with the actual one', async () => {
        const streamId = await streamAtRevision(1);

        await expectConflict(
          store.appendToStream(streamId, [anEvent('Stale')], { expectedRevision: 0n }),
          1n,
        );
        await expectConflict(
          store.appendToStream(streamId, [anEvent('Ahead')], { expectedRevision: 5n }),
          1n,
        );
        const result = await store.appendToStream(streamId, [anEvent('Next')], { expectedRevision: 1n });

        expect(result.nextRevision).toBe(2n);
      });

      it('exact revision on a missing stream: rejects with no_stream', async () => {
        await expectConflict(
          store.appendToStream(newStream(), [anEvent('Orphan')], { expectedRevision: 0n }),
          'no_stream',
        );
      });

      it('stream_exists: rejects a missing stream, accepts an existing one', async () => {
        await expectConflict(
          store.appendToStream(newStream(), [anEvent('Orphan')], { expectedRevision: 'stream_exists' }),
          'no_stream',
        );

        const streamId = await streamAtRevision(0);
        const result = await store.appendToStream(streamId, [anEvent('More')], {
          expectedRevision: 'stream_exists',
        });
        expect(result.nextRevision).toBe(1n);
      });

      it('any: accepts a missing stream and an existing one', async () => {
        const streamId = newStream();

        const first = await store.appendToStream(streamId, [anEvent('First')], { expectedRevision: 'any' });
        const second = await store.appendToStream(streamId, [anEvent('Second')], { expectedRevision: 'any' });

        expect([first.nextRevision, second.nextRevision]).toEqual([0n, 1n]);
      });

      it('a rejected append writes none of its events', async () => {
        const streamId = await streamAtRevision(0);
        const typeName = `Rejected${run}`;
        const conflicting = [anEvent(typeName), anEvent(typeName), anEvent(typeName)];
        const cases: ExpectedRevision[] = ['no_stream', 3n];

        for (const expectedRevision of cases) {
          await expectConflict(store.appendToStream(streamId, conflicting, { expectedRevision }), 0n);
        }

        expect(await collect(store.readStream(streamId))).toHaveLength(1);
        expect(await collect(store.readAll({ filter: { eventTypes: [typeName] } }))).toEqual([]);
      });

      it('of concurrent appends expecting the same revision, exactly one wins', async () => {
        const streamId = await streamAtRevision(4);

        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, writer) =>
            store.appendToStream(streamId, [anEvent('Raced', { writer })], { expectedRevision: 4n }),
          ),
        );

        const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
        expect(winners).toHaveLength(1);
        expect(winners[0].value.nextRevision).toBe(5n);
        for (const loser of losers) {
          expect(loser.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(loser.reason).toMatchObject({ streamId, expected: 4n, actual: 5n });
        }
        const read = await collect(store.readStream(streamId));
        expect(read).toHaveLength(6);
      });

      it('concurrent appends to different streams all succeed', async () => {
        const streams = Array.from({ length: 200 }, () => newStream());

        const results = await Promise.all(
          streams.map((streamId, n) =>
            store.appendToStream(streamId, [anEvent('Parallel', { n })], { expectedRevision: 'no_stream' }),
          ),
        );

        expect(results.every((result) => result.nextRevision === 0n)).toBe(true);
        expect(new Set(results.map((result) => result.position)).size).toBe(streams.length);
        const all = await collect(store.readAll({ filter: { streamPrefixes: [prefix()] } }));
        expect(all).toHaveLength(streams.length);
        expectStrictlyIncreasing(all.map((event) => event.position));
      });
    });

    describe('readStream', () => {
      let streamId: string;
      beforeEach(async () => {
        streamId = newStream();
        const events = Array.from({ length: 5 }, (_, n) => anEvent('Numbered', { n }));
        await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
      });
      const numbers = async (options?: Parameters<EventStore['readStream']>[1]): Promise<unknown[]> =>
        (await collect(store.readStream(streamId, options))).map((event) => event.data.n);

      it('reads forwards and backwards', async () => {
        expect(await numbers()).toEqual([0, 1, 2, 3, 4]);
        expect(await numbers({ direction: 'forwards', fromRevision: 'start' })).toEqual([0, 1, 2, 3, 4]);
        expect(await numbers({ direction: 'backwards' })).toEqual([4, 3, 2, 1, 0]);
        expect(await numbers({ direction: 'backwards', fromRevision: 'end' })).toEqual([4, 3, 2, 1, 0]);
      });

      it('starts at fromRevision, inclusive, in either direction', async () => {
        expect(await numbers({ fromRevision: 2n })).toEqual([2, 3, 4]);
        expect(await numbers({ direction: 'backwards', fromRevision: 2n })).toEqual([2, 1, 0]);
        expect(await numbers({ fromRevision: 9n })).toEqual([]);
      });

      it('stops after maxCount', async () => {
        expect(await numbers({ maxCount: 2 })).toEqual([0, 1]);
        expect(await numbers({ direction: 'backwards', maxCount: 2 })).toEqual([4, 3]);
        expect(await numbers({ fromRevision: 1n, maxCount: 3 })).toEqual([1, 2, 3]);
        expect(await numbers({ maxCount: 0 })).toEqual([]);
      });

      it('yields nothing for a missing stream', async () => {
        expect(await collect(store.readStream(newStream('missing')))).toEqual([]);
        expect(await collect(store.readStream(newStream('missing'), { direction: 'backwards' }))).toEqual([]);
      });
    });

    describe('readStreams', () => {
      const read = async (streamIds: string[]): Promise<[string, unknown][]> =>
        (await collect(store.readStreams(streamIds))).map((event) => [event.streamId, event.data.n]);

      it('reads several streams from their start, merged in log order, with their own revisions', async () => {
        const [a, b, c] = [newStream(), newStream(), newStream()];
        await store.appendToStream(a, [anEvent('Merged', { n: 0 }), anEvent('Merged', { n: 1 })], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(b, [anEvent('Merged', { n: 2 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(c, [anEvent('Merged', { n: 3 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(a, [anEvent('Merged', { n: 4 })], { expectedRevision: 1n });
        await store.appendToStream(b, [anEvent('Merged', { n: 5 })], { expectedRevision: 0n });

        const merged = await collect(store.readStreams([b, a]));

        expect(merged.map((event) => [event.streamId, event.data.n])).toEqual([
          [a, 0],
          [a, 1],
          [b, 2],
          [a, 4],
          [b, 5],
        ]);
        expect(merged.map((event) => event.revision)).toEqual([0n, 1n, 0n, 2n, 1n]);
        expectStrictlyIncreasing(merged.map((event) => event.position));
      });

      it('reads a stream named twice once, adds nothing for a missing one, and nothing for none', async () => {
        const streamId = newStream();
        await store.appendToStream(streamId, [anEvent('Merged', { n: 0 })], {
          expectedRevision: 'no_stream',
        });

        expect(await read([streamId, newStream('missing'), streamId])).toEqual([[streamId, 0]]);
        expect(await read([newStream('missing')])).toEqual([]);
        expect(await read([])).toEqual([]);
      });

      it('pages through streams longer than one read, interleaved, in log order', async () => {
        const [long, short] = [newStream('bulk'), newStream('bulk')];
        await store.appendToStream(
          long,
          Array.from({ length: 700 }, (_, n) => anEvent('Bulk', { n })),
          {
            expectedRevision: 'no_stream',
          },
        );
        for (let n = 700; n < 705; n++) {
          await store.appendToStream(short, [anEvent('Bulk', { n })], { expectedRevision: 'any' });
        }
        await store.appendToStream(
          long,
          Array.from({ length: 600 }, (_, k) => anEvent('Bulk', { n: 705 + k })),
          {
            expectedRevision: 699n,
          },
        );

        const merged = await collect(store.readStreams([short, long]));

        expect(merged.map((event) => event.data.n)).toEqual(Array.from({ length: 1305 }, (_, n) => n));
      });
    });

    describe('readAll', () => {
      let first: bigint;
      let positions: bigint[];
      let ids: string[];
      beforeEach(async () => {
        // Streams of two categories interleaved, with two event types.
        positions = [];
        ids = [];
        for (let n = 0; n < 6; n++) {
          const category = n % 2 === 0 ? 'even' : 'odd';
          const event = anEvent(n < 3 ? `Early${run}` : `Late${run}`, { n });
          const result = await store.appendToStream(newStream(category), [event], {
            expectedRevision: 'no_stream',
          });
          positions.push(result.position);
          ids.push(event.id);
        }
        first = positions[0];
      });
      const both = (): { streamPrefixes: string[] } => ({ streamPrefixes: [prefix('even'), prefix('odd')] });
      const numbers = async (options: Parameters<EventStore['readAll']>[0]): Promise<unknown[]> =>
        (await collect(store.readAll(options))).map((event) => event.data.n);

      it('reads forwards and backwards across streams in position order', async () => {
        const forwards = await collect(store.readAll({ fromPosition: first, filter: both() }));
        expect(forwards.map((event) => event.id)).toEqual(ids);
        expect(forwards.map((event) => event.position)).toEqual(positions);
        expect(await numbers({ direction: 'backwards', filter: both() })).toEqual([5, 4, 3, 2, 1, 0]);
      });

      it('starts at fromPosition, inclusive, in either direction', async () => {
        expect(await numbers({ fromPosition: positions[2], filter: both() })).toEqual([2, 3, 4, 5]);
        expect(await numbers({ direction: 'backwards', fromPosition: positions[2], filter: both() })).toEqual(
          [2, 1, 0],
        );
      });

      it('stops after maxCount', async () => {
        expect(await numbers({ fromPosition: first, maxCount: 2, filter: both() })).toEqual([0, 1]);
        expect(await numbers({ direction: 'backwards', maxCount: 2, filter: both() })).toEqual([5, 4]);
      });

      it('reads every stream when unfiltered', async () => {
        const all = await collect(store.readAll({ fromPosition: first }));
        expect(all.map((event) => event.id)).toEqual(expect.arrayContaining(ids));
        expectStrictlyIncreasing(all.map((event) => event.position));
        const latest = await collect(
          store.readAll({ direction: 'backwards', fromPosition: positions[5], maxCount: 1 }),
        );
        expect(latest.map((event) => event.id)).toEqual([ids[5]]);
      });

      it('keeps only streams with one of the prefixes', async () => {
        expect(await numbers({ filter: { streamPrefixes: [prefix('even')] } })).toEqual([0, 2, 4]);
        expect(
          await numbers({ direction: 'backwards', filter: { streamPrefixes: [prefix('odd')] } }),
        ).toEqual([5, 3, 1]);
        expect(await numbers({ filter: { streamPrefixes: [`even${run}-1`] } })).toEqual([0]);
      });

      it('matches prefixes literally: wildcards and case are not special', async () => {
        const literal = `x%_${run}-`;
        await store.appendToStream(`${literal}1`, [anEvent('Literal', { n: 'literal' })], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(`xAB${run}-1`, [anEvent('Literal', { n: 'wildcard' })], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(`X%_${run}-1`, [anEvent('Literal', { n: 'case' })], {
          expectedRevision: 'no_stream',
        });

        expect(await numbers({ filter: { streamPrefixes: [literal] } })).toEqual(['literal']);
      });

      it('keeps only events of the given types, combined with prefixes', async () => {
        expect(await numbers({ filter: { eventTypes: [`Late${run}`] } })).toEqual([3, 4, 5]);
        expect(await numbers({ filter: { eventTypes: [`Late${run}`, `Early${run}`] } })).toEqual([
          0, 1, 2, 3, 4, 5,
        ]);
        expect(
          await numbers({ filter: { eventTypes: [`Early${run}`], streamPrefixes: [prefix('odd')] } }),
        ).toEqual([1]);
        expect(await numbers({ direction: 'backwards', filter: { eventTypes: [`Early${run}`] } })).toEqual([
          2, 1, 0,
        ]);
      });

      it('splits streams into parts by what follows their prefix: each in one part, a key in one part whatever its prefix', async () => {
        const keys = Array.from({ length: 12 }, (_, i) => `k${i}-${run}`);
        for (const key of keys) {
          for (const category of ['pa', 'pb']) {
            await store.appendToStream(
              `${category}${run}-${key}`,
              [anEvent(`Part${run}`, { n: `${category}:${key}` })],
              {
                expectedRevision: 'no_stream',
              },
            );
          }
        }
        const streamPrefixes = [`pa${run}-`, `pb${run}-`];
        const parts = await Promise.all(
          [0, 1, 2].map((index) => numbers({ filter: { streamPrefixes, partition: { count: 3, index } } })),
        );
        const all = parts.flat() as string[];
        expect([...all].sort()).toEqual(keys.flatMap((key) => [`pa:${key}`, `pb:${key}`]).sort());
        keys.forEach((key) => {
          const part = partitionOfKey(key, 3);
          expect(parts[part]).toEqual(expect.arrayContaining([`pa:${key}`, `pb:${key}`]));
        });
        expect(parts.filter((part) => part.length > 0).length).toBeGreaterThan(1);
        expect(await numbers({ filter: { streamPrefixes, partition: { count: 1, index: 0 } } })).toHaveLength(
          24,
        );
      });

      it('pages through more events than fit in one read', async () => {
        const streamId = newStream('bulk');
        const events = Array.from({ length: 1100 }, (_, n) => anEvent(`Bulk${run}`, { n }));
        await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });

        const forwards = await numbers({ filter: { eventTypes: [`Bulk${run}`] } });
        const backwards = await numbers({
          direction: 'backwards',
          filter: { streamPrefixes: [prefix('bulk')] },
        });

        expect(forwards).toEqual(events.map((_, n) => n));
        expect(backwards).toEqual(events.map((_, n) => n).reverse());
      });
    });

    describe('subscribeToAll', () => {
      it("from 'start' catches up, then delivers live events, filtered, in order, once", async () => {
        const [a, b] = [newStream('live'), newStream('live')];
        await store.appendToStream(a, [anEvent('Historic', { n: 0 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(newStream('other'), [anEvent('Ignored')], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(b, [anEvent('Historic', { n: 1 }), anEvent('Historic', { n: 2 })], {
          expectedRevision: 'no_stream',
        });

        const consumer = subscribe(store.subscribeToAll({ fromPosition: 'start', filter: liveFilter() }));
        await consumer.subscription.caughtUp;

        expect(consumer.events.map((event) => event.data.n)).toEqual([0, 1, 2]);
        await store.appendToStream(a, [anEvent('Live', { n: 3 })], { expectedRevision: 0n });
        await store.appendToStream(newStream('other'), [anEvent('Ignored')], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(b, [anEvent('Live', { n: 4 }), anEvent('Live', { n: 5 })], {
          expectedRevision: 1n,
        });
        await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(6));
        // A sentinel: a duplicate or a filtered-out event delivered before it would show in the list below.
        await store.appendToStream(a, [anEvent('Live', { n: 6 })], { expectedRevision: 1n });
        await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(7));

        expect(consumer.events.map((event) => event.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expectStrictlyIncreasing(consumer.events.map((event) => event.position));
        expect(new Set(consumer.events.map((event) => event.id)).size).toBe(7);
      });

      it('starts after fromPosition: it is exclusive', async () => {
        const streamId = newStream('live');
        const events = [0, 1, 2].map((n) => anEvent('Numbered', { n }));
        await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        const [firstEvent] = await collect(store.readStream(streamId, { maxCount: 1 }));

        const consumer = subscribe(
          store.subscribeToAll({ fromPosition: firstEvent.position, filter: liveFilter() }),
        );
        await consumer.subscription.caughtUp;

        expect(consumer.events.map((event) => event.data.n)).toEqual([1, 2]);
      });

      it("from 'end' delivers only what is appended afterwards", async () => {
        await store.appendToStream(newStream('live'), [anEvent('Historic', { n: 0 })], {
          expectedRevision: 'no_stream',
        });

        const consumer = subscribe(store.subscribeToAll({ fromPosition: 'end', filter: liveFilter() }));
        await consumer.subscription.caughtUp;
        await store.appendToStream(newStream('live'), [anEvent('Live', { n: 1 })], {
          expectedRevision: 'no_stream',
        });
        await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(1));

        expect(consumer.events.map((event) => event.data.n)).toEqual([1]);
      });

      it('filters live events by type', async () => {
        const consumer = subscribe(store.subscribeToAll({ filter: { eventTypes: [`Wanted${run}`] } }));
        await consumer.subscription.caughtUp;
        const streamId = newStream('live');

        await store.appendToStream(
          streamId,
          [anEvent(`Unwanted${run}`, { n: 0 }), anEvent(`Wanted${run}`, { n: 1 }), anEvent(`Unwanted${run}`)],
          { expectedRevision: 'no_stream' },
        );
        await store.appendToStream(streamId, [anEvent(`Wanted${run}`, { n: 2 })], { expectedRevision: 2n });
        await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(2));

        expect(consumer.events.map((event) => event.data.n)).toEqual([1, 2]);
      });

      it('delivers concurrent and large appends without gaps or duplicates', async () => {
        const consumer = subscribe(store.subscribeToAll({ filter: liveFilter() }));
        await consumer.subscription.caughtUp;

        await Promise.all(
          Array.from({ length: 50 }, (_, n) =>
            store.appendToStream(newStream('live'), [anEvent('Burst', { n })], {
              expectedRevision: 'no_stream',
            }),
          ),
        );
        const bulk = Array.from({ length: 1100 }, (_, n) => anEvent('Bulk', { n }));
        await store.appendToStream(newStream('live'), bulk, { expectedRevision: 'no_stream' });
        await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(1150));

        const stored = await collect(store.readAll({ filter: liveFilter() }));
        expect(consumer.events.map((event) => event.id)).toEqual(stored.map((event) => event.id));
        expectStrictlyIncreasing(consumer.events.map((event) => event.position));
      });

      it('close() ends a pending iteration', async () => {
        const consumer = subscribe(store.subscribeToAll({ fromPosition: 'end', filter: liveFilter() }));
        await consumer.subscription.caughtUp;

        await consumer.subscription.close();

        await withTimeout(consumer.done, 'the for-await loop to finish after close()');
        await store.appendToStream(newStream('live'), [anEvent('AfterClose')], {
          expectedRevision: 'no_stream',
        });
        expect(consumer.events).toEqual([]);
      });

      it('breaking out of the loop ends the subscription', async () => {
        await store.appendToStream(
          newStream('live'),
          [0, 1, 2].map((n) => anEvent('Numbered', { n })),
          {
            expectedRevision: 'no_stream',
          },
        );
        const subscription = store.subscribeToAll({ filter: liveFilter() });
        const seen: unknown[] = [];

        for await (const event of subscription) {
          seen.push(event.data.n);
          if (seen.length === 2) break;
        }

        expect(seen).toEqual([0, 1]);
      });

      function liveFilter(): { streamPrefixes: string[] } {
        return { streamPrefixes: [prefix('live')] };
      }
    });

    describe('store', () => {
      it('headPosition() is the position of the last event', async () => {
        const result = await store.appendToStream(newStream(), [anEvent('Head'), anEvent('Head')], {
          expectedRevision: 'no_stream',
        });

        expect(await store.headPosition()).toBe(result.position);
      });

      it('ping() resolves while the store is open', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('rejects calls after close()', async () => {
        await store.close();

        await expect(
          store.appendToStream(newStream(), [anEvent('Late')], { expectedRevision: 'any' }),
        ).rejects.toThrow();
        await expect(store.headPosition()).rejects.toThrow();
        await expect(collect(store.readAll())).rejects.toThrow();
        await expect(collect(store.readStreams([newStream()]))).rejects.toThrow();
      });

      it('keeps acknowledged events across close and reopen', async () => {
        if (!subject.reopen) return;
        const streamId = newStream();
        const events = [anEvent('Durable', { n: 0 }), anEvent('Durable', { n: 1 }, { why: 'reopen' })];
        const result = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        await store.close();

        const again = await subject.reopen();
        reopened.push(again);

        const read = await collect(again.readStream(streamId));
        // toMatchObject: a decorating store may add metadata of its own (the hash chain adds `chain`).
        expect(read.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }))).toMatchObject(
          events,
        );
        expect(read[1].position).toBe(result.position);
        expect(await again.headPosition()).toBe(result.position);
        const next = await again.appendToStream(streamId, [anEvent('AfterReopen')], { expectedRevision: 1n });
        expect(next.nextRevision).toBe(2n);
      });
    });
  });
}

interface Consumer {
  subscription: Subscription;
  events: RecordedEvent[];
  done: Promise<void>;
}

function consume(subscription: Subscription): Consumer {
  const events: RecordedEvent[] = [];
  const done = (async () => {
    for await (const event of subscription) events.push(event);
  })();
  // Failures surface through the assertions on `events` and `done`; don't crash the run meanwhile.
  done.catch(() => undefined);
  return { subscription, events, done };
}

export function anEvent(
  type: string,
  data: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): EventToAppend {
  return { id: randomUUID(), type, data, metadata };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function withTimeout(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), WAIT_TIMEOUT_MS);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function expectConflict(append: Promise<unknown>, actual: bigint | 'no_stream'): Promise<void> {
  const error: unknown = await append.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect((error as WrongExpectedRevisionError).actual).toBe(actual);
}

function expectStrictlyIncreasing(values: bigint[]): void {
  values.slice(1).forEach((value, index) => {
    if (value <= values[index]) {
      throw new Error(
        `Expected strictly increasing values, got ${values[index]} then ${value} at ${index + 1}`,
      );
    }
  });
}
