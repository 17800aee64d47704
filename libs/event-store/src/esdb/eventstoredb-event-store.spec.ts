import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@signet/config';
import { anEvent, collect, eventStoreContract } from '../event-store.contract';
import { eventually } from '@signet/testing';
import { EventStore, RecordedEvent, Subscription, WrongExpectedRevisionError } from '../event-store.port';
import { openEventStore } from '../open-event-store';
import { EventStoreClosedError, EventStoreUnavailableError } from '../event-store.errors';
import { waitForEventStore } from '../wait-for-event-store';
import { EventStoreDbEventStore, EventStoreDbEventStoreOptions } from './eventstoredb-event-store';
import { EsdbDouble, EsdbDoubleOptions } from './testing/esdb-double';

/** Fast resubscription for tests; production defaults are 100 ms doubling to 5 s. */
const FAST: Partial<EventStoreDbEventStoreOptions> = { resubscribeBackoff: { initialMs: 20, maxMs: 200 } };

eventStoreContract('EventStoreDbEventStore on the gRPC test double', async () => {
  const double = await EsdbDouble.start();
  const store = new EventStoreDbEventStore({ url: double.url, ...FAST });
  const reopened: EventStore[] = [];
  return {
    store,
    reopen: async () => {
      const again = new EventStoreDbEventStore({ url: double.url, ...FAST });
      reopened.push(again);
      return again;
    },
    cleanup: async () => {
      await store.close();
      for (const other of reopened) await other.close();
      await double.close();
    },
  };
});

/** A real EventStoreDB when ESDB_TEST_URL is set; otherwise the suite shows as skipped, naming the variable. */
const realServer = process.env.ESDB_TEST_URL ?? '';
const onRealServer = realServer ? describe : describe.skip;

onRealServer('EventStoreDB contract on a real server (set ESDB_TEST_URL to run)', () => {
  eventStoreContract(`EventStoreDbEventStore on ESDB_TEST_URL`, async () => {
    const store = new EventStoreDbEventStore({ url: realServer });
    const reopened: EventStore[] = [];
    return {
      store,
      reopen: async () => {
        const again = new EventStoreDbEventStore({ url: realServer });
        reopened.push(again);
        return again;
      },
      // The server's data stays: every contract test writes streams and types of its own.
      cleanup: async () => {
        await store.close();
        for (const other of reopened) await other.close();
      },
    };
  });
});

describe('EventStoreDbEventStore on the gRPC test double', () => {
  let double: EsdbDouble;
  let store: EventStoreDbEventStore;
  const subscriptions: Subscription[] = [];
  const others: { close(): Promise<void> }[] = [];
  let run: string;

  async function startDouble(options: EsdbDoubleOptions = {}): Promise<void> {
    double = await EsdbDouble.start(options);
    store = new EventStoreDbEventStore({ url: double.url, ...FAST });
  }

  beforeEach(() => {
    run = randomUUID().slice(0, 8);
  });

  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) await subscription.close();
    for (const other of others.splice(0)) await other.close();
    await store.close();
    await double.close();
  });

  /** Consumes a subscription in the background, keeping what it delivers. */
  function consume(subscription: Subscription): {
    subscription: Subscription;
    events: RecordedEvent[];
    done: Promise<void>;
  } {
    subscriptions.push(subscription);
    const events: RecordedEvent[] = [];
    const done = (async () => {
      for await (const event of subscription) events.push(event);
    })();
    done.catch(() => undefined);
    return { subscription, events, done };
  }

  function numbered(type: string, from: number, count: number) {
    return Array.from({ length: count }, (_, n) => anEvent(type, { n: from + n }));
  }

  describe('the wire', () => {
    beforeEach(() => startDouble());

    it('appends with plain Append: the double advertises no BatchAppend, so the client never uses it', async () => {
      await store.appendToStream(`wire${run}`, [anEvent('Sent')], { expectedRevision: 'no_stream' });
      await store.appendToStream(`wire${run}`, [anEvent('Sent')], { expectedRevision: 0n });

      expect(double.calls.ServerFeatures).toBeGreaterThanOrEqual(1);
      expect(double.calls.Append).toBe(2);
      expect(double.calls.BatchAppend).toBe(0);
    });

    it('round-trips data and metadata exactly, as JSON on the wire', async () => {
      const metadata = {
        eventId: randomUUID(),
        occurredAt: '2026-11-26T10:00:00.000Z',
        actor: { subject: 'alice', roles: ['user', 'auditor'] },
        correlationId: randomUUID(),
        causationId: null,
        hash: 'a'.repeat(64),
        previousHash: '0'.repeat(64),
        schemaVersion: 1,
        note: 'ünïcødé ✓ "quoted" \\ back',
      };
      const data = { phone: '+14255550100', nested: { list: [1, 'two', null, { deep: true }] }, empty: {} };
      const event = { id: randomUUID(), type: 'PhoneMethodAdded', data, metadata };

      await store.appendToStream(`meta${run}`, [event], { expectedRevision: 'no_stream' });

      const [read] = await collect(store.readStream(`meta${run}`));
      expect(read.data).toEqual(data);
      expect(read.metadata).toEqual(metadata);
      const stored = double.events().find((candidate) => candidate.id === event.id)!;
      expect(stored.contentType).toBe('application/json');
      expect(JSON.parse(Buffer.from(stored.customMetadata).toString('utf8'))).toEqual(metadata);
      expect(JSON.parse(Buffer.from(stored.data).toString('utf8'))).toEqual(data);
    });

    it("maps WrongExpectedVersion to the port's WrongExpectedRevisionError, with the actual revision", async () => {
      const streamId = `conflict${run}`;
      await store.appendToStream(streamId, [anEvent('A'), anEvent('B')], { expectedRevision: 'no_stream' });

      const stale = store.appendToStream(streamId, [anEvent('C')], { expectedRevision: 0n });
      await expect(stale).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(stale).rejects.toMatchObject({ streamId, expected: 0n, actual: 1n });
      await expect(
        store.appendToStream(`missing${run}`, [anEvent('C')], { expectedRevision: 'stream_exists' }),
      ).rejects.toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });
      expect(await collect(store.readStream(streamId))).toHaveLength(2);
    });

    it('never surfaces system events, filtered or not', async () => {
      double.appendDirect('$stats-127.0.0.1:2113', [{ type: '$statsCollected', data: {} }]);
      double.appendDirect(`user${run}`, [
        { type: '$metadata', data: {} },
        { type: 'Kept', data: { n: 1 } },
      ]);

      const all = await collect(store.readAll());
      const head = await store.headPosition();
      const live = consume(store.subscribeToAll());
      await eventually(() => expect(live.events.length).toBeGreaterThanOrEqual(1));
      double.appendDirect('$stats-127.0.0.1:2113', [{ type: '$statsCollected', data: {} }]);
      // A sentinel: a system event delivered before it would show in the list below.
      await store.appendToStream(`user${run}`, [anEvent('Sentinel')], { expectedRevision: 1n });
      await eventually(() => expect(live.events.length).toBeGreaterThanOrEqual(2));

      expect(all.map((event) => event.type)).toEqual(['Kept']);
      expect(head).toBe(all[0].position);
      expect(live.events.map((event) => event.type)).toEqual(['Kept', 'Sentinel']);
      expect(await store.headPosition()).toBe(live.events[1].position);
    });

    it('refuses events whose id is not a UUID before sending anything', async () => {
      await expect(
        store.appendToStream(`ids${run}`, [{ ...anEvent('Bad'), id: 'not-a-uuid' }], {
          expectedRevision: 'any',
        }),
      ).rejects.toThrow(/UUID/);
      expect(double.calls.Append).toBe(0);
    });

    it('rejects every call after close() with EventStoreClosedError', async () => {
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(EventStoreClosedError);
      expect(() => store.subscribeToAll()).toThrow(EventStoreClosedError);
    });
  });

  describe('closing', () => {
    /** close() settles, or says it is still waiting after `ms`. */
    const closesWithin = (ms: number) =>
      Promise.race([
        store.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(resolve, ms, 'still waiting on open gRPC calls')).then(
          (waiting) => waiting,
        ),
      ]);

    it('does not wait on reads their consumers left early, however far the server got', async () => {
      await startDouble();
      const streamId = `closing-${run}`;
      await store.appendToStream(streamId, numbered('Numbered', 0, 300), { expectedRevision: 'no_stream' });
      double.setTrailerDelay(20);
      // Left early from every depth, many at once as a busy service does: the last event only (the call ends
      // right after it), and long reads whose server side is still held by flow control.
      const last = async () => {
        for await (const event of store.readStream(streamId, { direction: 'backwards', maxCount: 1 })) {
          return event.revision;
        }
      };
      const first = async () => {
        for await (const event of store.readStream(streamId)) return event.revision;
      };
      const firstOfAll = async () => {
        for await (const event of store.readAll({ filter: { streamPrefixes: [streamId] } })) {
          return event.streamId;
        }
      };
      for (let round = 0; round < 5; round++) {
        const lasts = await Promise.all(Array.from({ length: 20 }, last));
        expect(new Set(lasts)).toEqual(new Set([299n]));
        expect(await Promise.all([first(), first(), firstOfAll()])).toEqual([0n, 0n, streamId]);
      }
      expect(await closesWithin(3000)).toBe('closed');
      // 115 gRPC reads and a 300-event append against the double: seconds on a loaded machine.
    }, 30_000);
  });

  describe('dropped subscriptions', () => {
    it('resumes after a drop mid-stream with nothing lost or doubled', async () => {
      await startDouble();
      const streamId = `drop${run}-1`;
      await store.appendToStream(streamId, numbered('Numbered', 0, 300), { expectedRevision: 'no_stream' });
      double.dropSubscriptionsAfter(120);

      const consumer = consume(store.subscribeToAll({ filter: { streamPrefixes: [`drop${run}-`] } }));
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(300));
      await store.appendToStream(streamId, numbered('Numbered', 300, 5), { expectedRevision: 299n });
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(305));

      expect(double.subscriptionStarts.length).toBeGreaterThanOrEqual(2);
      expect(consumer.events.map((event) => event.data.n)).toEqual(Array.from({ length: 305 }, (_, n) => n));
      expect(consumer.events.map((event) => event.revision)).toEqual(
        Array.from({ length: 305 }, (_, n) => BigInt(n)),
      );
    });

    it('resumes from the last checkpoint, past the events its filter skipped', async () => {
      await startDouble({ checkpointInterval: 4 });
      const wanted = `Wanted${run}`;
      // 1 wanted event, then 40 others: the server checkpoints while it skips them.
      await store.appendToStream(`cp${run}`, [anEvent(wanted, { n: 0 })], { expectedRevision: 'no_stream' });
      await store.appendToStream(`noise${run}`, numbered('Noise', 0, 40), { expectedRevision: 'no_stream' });
      const consumer = consume(store.subscribeToAll({ filter: { eventTypes: [wanted] } }));
      await consumer.subscription.caughtUp;
      const lastDelivered = consumer.events[0].position;

      expect(double.dropSubscriptions()).toBe(1);
      await store.appendToStream(`cp${run}`, [anEvent(wanted, { n: 1 })], { expectedRevision: 0n });
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(2));
      await store.appendToStream(`cp${run}`, [anEvent(wanted, { n: 2 })], { expectedRevision: 1n });
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(3));

      expect(consumer.events.map((event) => event.data.n)).toEqual([0, 1, 2]);
      const resumedFrom = double.subscriptionStarts[1];
      expect(typeof resumedFrom).toBe('bigint');
      expect(resumedFrom as bigint).toBeGreaterThan(lastDelivered);
    });

    it('does not skip an event sitting exactly on the checkpoint it resumes from (EventStoreDB 23.x)', async () => {
      await startDouble({ checkpointBeforeLiveEvents: true });
      const prefix = `edge${run}-`;
      const consumer = consume(store.subscribeToAll({ filter: { streamPrefixes: [prefix] } }));
      await consumer.subscription.caughtUp;
      double.dropSubscriptionsAtNextCheckpoint();

      // The server sends checkpoint(P), drops, and never sends the event at P on that subscription.
      await store.appendToStream(`${prefix}1`, [anEvent('Edge', { n: 0 })], {
        expectedRevision: 'no_stream',
      });
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(1));
      await store.appendToStream(`${prefix}1`, [anEvent('Edge', { n: 1 })], { expectedRevision: 0n });
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(2));

      expect(double.subscriptionStarts).toHaveLength(2);
      expect(double.subscriptionStarts[1]).toBe(consumer.events[0].position);
      expect(consumer.events.map((event) => event.data.n)).toEqual([0, 1]);
    });

    it('resubscribes after the server refused connections for a while, missing nothing written meanwhile', async () => {
      await startDouble();
      const prefix = `outage${run}-`;
      await store.appendToStream(`${prefix}1`, numbered('Numbered', 0, 3), { expectedRevision: 'no_stream' });
      const consumer = consume(store.subscribeToAll({ filter: { streamPrefixes: [prefix] } }));
      await consumer.subscription.caughtUp;
      expect(consumer.events).toHaveLength(3);

      await double.stop();
      // Another writer, behind the client's back, while this one cannot reach the server.
      double.appendDirect(
        `${prefix}2`,
        [0, 1].map((n) => ({ id: randomUUID(), type: 'Numbered', data: { n: 3 + n } })),
      );
      await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await double.restart();
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(5));
      await waitForEventStore(store, { timeoutMs: 5000, retryEveryMs: 20 });
      await store.appendToStream(`${prefix}1`, numbered('Numbered', 5, 2), { expectedRevision: 2n });
      await eventually(() => expect(consumer.events.length).toBeGreaterThanOrEqual(7));

      expect(consumer.events.map((event) => event.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(double.subscriptionStarts.length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('caught-up', () => {
    it('falls back to the head measured at start when the server sends no CaughtUp (before 23.10)', async () => {
      await startDouble({ sendCaughtUp: false });
      const prefix = `old${run}-`;
      await store.appendToStream(`${prefix}1`, numbered('Numbered', 0, 3), { expectedRevision: 'no_stream' });
      await store.appendToStream(`other${run}`, [anEvent('Other')], { expectedRevision: 'no_stream' });

      const consumer = consume(store.subscribeToAll({ filter: { streamPrefixes: [prefix] } }));
      await consumer.subscription.caughtUp;

      expect(consumer.events.map((event) => event.data.n)).toEqual([0, 1, 2]);
    });
  });

  describe('reachability', () => {
    it('ping() fails within its bound when the server answers too slowly, naming EVENTSTORE_URL', async () => {
      await startDouble();
      const slow = new EventStoreDbEventStore({ url: double.url, pingTimeoutMs: 100 });
      others.push(slow);
      double.setLatency(3000);

      const started = Date.now();
      await expect(slow.ping()).rejects.toThrow(
        /EventStoreDB at esdb:\/\/127\.0\.0\.1:\d+.*EVENTSTORE_URL.*100 ms/,
      );
      // The bound, not the server, ended the wait (generous margin for a loaded machine).
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('connect() gives up after a bounded wait on an unreachable server, naming it', async () => {
      await startDouble();
      await double.stop();
      const unreachable = new EventStoreDbEventStore({ url: double.url });
      others.push(unreachable);

      const error = await unreachable
        .connect({ timeoutMs: 300, retryEveryMs: 50 })
        .catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect((error as Error).message).toMatch(
        /unreachable after 300 ms.*EventStoreDB at esdb:\/\/127\.0\.0\.1/,
      );
    });

    it('connect() waits for a server that comes up within the bound', async () => {
      await startDouble();
      await double.stop();
      const restart = new Promise((resolve) => setTimeout(resolve, 150)).then(() => double.restart());

      await store.connect({ timeoutMs: 5000, retryEveryMs: 25 });
      await restart;
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('refuses a connection string the client cannot parse, naming EVENTSTORE_URL', async () => {
      await startDouble();
      expect(() => new EventStoreDbEventStore({ url: 'esdb://' })).toThrow(/EVENTSTORE_URL/);
    });

    it('hides the password of the connection string in its messages', async () => {
      await startDouble();
      await double.stop();
      const withCredentials = new EventStoreDbEventStore({
        url: `esdb://admin:changeit@127.0.0.1:${double.port}?tls=false`,
      });
      others.push(withCredentials);

      const error = (await withCredentials.ping().catch((reason: unknown) => reason)) as Error;

      expect(error.message).toContain('esdb://admin:***@127.0.0.1');
      expect(error.message).not.toContain('changeit');
    });
  });

  describe('configuration', () => {
    let dataDir: string;
    beforeEach(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'signet-esdb-config-'));
      await startDouble();
    });
    afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

    it('EVENTSTORE_URL selects EventStoreDB in openEventStore', async () => {
      const config = loadConfig({ DATA_DIR: dataDir, EVENTSTORE_URL: double.url });
      expect(config.eventStore.url).toBe(double.url);

      const opened = openEventStore(config);
      others.push(opened);
      await opened.appendToStream(`config${run}`, [anEvent('ViaConfig')], { expectedRevision: 'no_stream' });

      expect(double.events().some((event) => event.streamName === `config${run}`)).toBe(true);
    });

    it('refuses an EVENTSTORE_URL that is not an esdb:// or esdb+discover:// URL, naming it', () => {
      for (const bad of ['http://localhost:2113', 'localhost:2113', 'mongodb://x']) {
        expect(() => loadConfig({ DATA_DIR: dataDir, EVENTSTORE_URL: bad })).toThrow(/EVENTSTORE_URL/);
      }
      expect(
        loadConfig({ DATA_DIR: dataDir, EVENTSTORE_URL: 'esdb+discover://cluster.local:2113' }).eventStore
          .url,
      ).toBe('esdb+discover://cluster.local:2113');
      expect(loadConfig({ DATA_DIR: dataDir }).eventStore.url).toBeUndefined();
    });
  });
});
