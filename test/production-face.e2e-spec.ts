/**
 * The production face end to end: the API on EventStoreDB (the gRPC double), MongoDB (the wire-protocol
 * double) and a real private Redis, through its public HTTP interface. No EventStoreDB or MongoDB server runs
 * here: the official clients talk to protocol-level doubles over loopback sockets.
 */
import { answersPing, DispatchRuntime, readOutbox, type OutboxLine } from '@signet/messaging';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStore } from '@signet/event-store';
import { randomUUID, randomBytes } from 'node:crypto';
import { EsdbDouble } from '@signet/event-store/testing';
import { MongoWireDouble } from '@signet/mongo/testing';
import { eventually } from '@signet/testing';
import { build, cli, startApi, startWorker } from './support/processes';
import { textMeACode } from './support/seed-flow';
import { myPage, pageFromScratch, pageView, readModelStore } from './support/read-side';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';
import { checkedFetch } from './support/openapi-contract';

/** MONGO_URL needs the master key of the data keys kept there: every instance shares it. */
const DATA_KEY_SECRET = randomBytes(32).toString('hex');

const anEvent = () => {
  const id = randomUUID();
  return { id, type: 'Noted', data: {}, metadata: { eventId: id } };
};

// afterAll is a test too: closing the app once hung on gRPC reads its consumers had left early (the hash
// chain's look at a stream's last event), so the EventStoreDB client's dispose() waited forever.
describe('the API on EventStoreDB, MongoDB and Redis (doubles for the first two)', () => {
  let esdb: EsdbDouble;
  let mongo: MongoWireDouble;
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime;
  let numbers = 0;
  const mobile = () => ({
    phoneNumber: `+1 425 555 ${String(100 + ++numbers).padStart(4, '0')}`,
    phoneType: 'mobile',
    deliveryMethod: 'sms',
  });
  const outboxFor = (codeId: string): OutboxLine | undefined =>
    readOutbox((signet.config.dispatch.provider as { filename: string }).filename).find(
      (line) => line.codeId === codeId,
    );

  beforeAll(async () => {
    [esdb, mongo, redis] = await Promise.all([
      EsdbDouble.start(),
      MongoWireDouble.start(),
      RedisServer.start(),
    ]);
    signet = await SignetTestApp.start({
      EVENTSTORE_URL: esdb.url,
      MONGO_URL: mongo.url(),
      DATA_KEY_SECRET,
      REDIS_URL: redis.url,
      OTP_DOMAIN: 'signet.test',
    });
    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await signet?.stop();
    await Promise.all([esdb?.close(), mongo?.close(), redis?.stop(false)]);
  }, 30_000);

  it('reports each dependency, and what serves it, on /health/ready', async () => {
    const ready = await signet.http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      dependencies: {
        eventStore: { status: 'up', kind: 'eventstoredb' },
        readModel: { status: 'up', kind: 'mongodb' },
      },
    });
  });

  it('runs the seed flow: add a phone, the worker sends the code, verify it, the page shows it', async () => {
    const person = await Person.signIn(signet, 'prod-alice');
    const added = await person.addPhone(mobile()).expect(201);
    const { codeId } = added.body.code as { codeId: string };
    // Dispatched through Redis (BullMQ) by the worker runtime, to the outbox provider.
    const line = await eventually(() => outboxFor(codeId) ?? false, {
      timeoutMs: 10_000,
      description: 'the code in the outbox',
    });
    const code = /#(\d{6})$/.exec(line.body)![1];
    expect(code).toBe(signet.codeFor(codeId));
    const verified = await person.verify(added.body.methodId, code).expect(200);

    const page = await myPage(signet, person.userId, verified.body.position as string);
    expect(page.body).toEqual(await pageFromScratch(signet.eventStore, person.userId, pageView(signet)));
    expect(page.body.methods).toEqual([
      expect.objectContaining({ methodId: added.body.methodId, status: 'verified' }),
    ]);
    expect(page.body.defaultMethod).toMatchObject({ methodId: added.body.methodId });
    // The page really lives in MongoDB: one document per user, with the revision it reflects.
    const [collection] = mongo.collectionNames('signet').filter((n) => n.startsWith('readModel_documents_'));
    const stored = mongo.documents('signet', collection).find((d) => d._id === person.userId);
    expect(typeof stored?.revision).toBe('bigint'); // int64 on the wire
    // Sealed under the person's key there (libs/personal-data); the API's store opens it.
    expect(stored?.body).toEqual({ sealed: expect.objectContaining({ kid: expect.any(String) }) });
    const { document } = await readModelStore(signet).readLive('securityInfoPage', person.userId);
    expect(document?.body).toMatchObject({ state: { methods: [{ status: 'verified' }] } });
  });

  it('resumes a subscription dropped mid-stream with nothing lost or doubled on the page', async () => {
    const startsBefore = esdb.subscriptionStarts.length;
    // The projection's subscription (and the dispatcher's) is dropped after a few more events.
    esdb.dropSubscriptionsAfter(5);
    const people = await Promise.all(
      Array.from({ length: 8 }, (_, i) => Person.signIn(signet, `prod-drop-${i}`)),
    );
    let last = '0';
    for (const person of people) {
      const first = await person.addPhone(mobile()).expect(201);
      const second = await person
        .addPhone({ ...mobile(), phoneType: 'office', deliveryMethod: 'voice' })
        .expect(201);
      await person.deleteMethod(first.body.methodId as string).expect(200);
      last = second.body.position as string;
    }
    // Resubscribed from a checkpoint (an exclusive position), not from the start.
    await eventually(() => esdb.subscriptionStarts.length > startsBefore, {
      timeoutMs: 10_000,
      description: 'a resubscription',
    });
    expect(esdb.subscriptionStarts.slice(startsBefore)).not.toContain('start');
    for (const person of people) {
      const page = await myPage(signet, person.userId, last);
      expect(page.body).toEqual(await pageFromScratch(signet.eventStore, person.userId, pageView(signet)));
      expect(page.body.methods).toHaveLength(1);
    }
  });
});

describe('shutting down on EventStoreDB', () => {
  it('closes at once after a reader stopped early (SIGTERM must not wait on a forgotten gRPC call)', async () => {
    const esdb = await EsdbDouble.start();
    const store = openEventStore({ eventStore: { filename: '', synchronous: 'FULL', url: esdb.url } });
    try {
      await store.appendToStream('securityInfo-early', [anEvent(), anEvent()], {
        expectedRevision: 'no_stream',
      });
      for await (const event of store.readStream('securityInfo-early')) {
        expect(event.revision).toBe(0n);
        break;
      }
      const closed = await Promise.race([
        store.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(resolve, 5000, 'still waiting')),
      ]);
      expect(closed).toBe('closed');
    } finally {
      await esdb.close();
    }
  });
});

describe('the built API on the doubles', () => {
  let esdb: EsdbDouble;
  let mongo: MongoWireDouble;
  let dataDir: string;

  beforeAll(async () => {
    [esdb, mongo] = await Promise.all([EsdbDouble.start(), MongoWireDouble.start(), build()]);
    dataDir = mkdtempSync(join(tmpdir(), 'signet-prod-'));
  });

  afterAll(async () => {
    await Promise.all([esdb?.close(), mongo?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('npm start on EVENTSTORE_URL, MONGO_URL and REDIS_URL: ready, the seed flow, and a clean SIGTERM', async () => {
    const redis = await RedisServer.start();
    const signet = await startApi(
      {
        DATA_DIR: dataDir,
        EVENTSTORE_URL: esdb.url,
        MONGO_URL: mongo.url(),
        REDIS_URL: redis.url,
        DATA_KEY_SECRET,
      },
      'launcher',
    );
    try {
      const ready = await checkedFetch(`${signet.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        dependencies: { eventStore: { kind: 'eventstoredb' }, readModel: { kind: 'mongodb' } },
      });
      const { methodId, page, stale } = await textMeACode(signet.url, dataDir, 'prod-newcomer');
      expect(stale).toBeNull();
      expect(page).toMatchObject({
        methods: [{ methodId, status: 'verified', isDefault: true }],
        defaultMethod: { methodId, label: 'Phone - text +1 4255550100' },
      });
      // Written to EventStoreDB (the double), served from MongoDB (the double).
      expect(esdb.events().map((event) => event.streamName)).toContain('securityInfo-prod-newcomer');
    } finally {
      // The API and the worker both close their EventStoreDB clients: neither may hang on a gRPC call.
      expect(await signet.stop()).toBe(0);
      await redis.stop(false);
    }
  }, 60_000);

  it('operators and auditors use the CLI on the same stores: projections status and rebuild, audit history and verify', async () => {
    const env = { DATA_DIR: dataDir, EVENTSTORE_URL: esdb.url, MONGO_URL: mongo.url(), DATA_KEY_SECRET };
    const api = await startApi(env);
    try {
      const token = (await cli(['token', '--sub', 'prod-audited'], env)).stdout.trim();
      const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
      const added = await checkedFetch(`${api.url}/v1/me/security-info/phone-methods`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          phoneNumber: '+1 425 555 0199',
          phoneType: 'office',
          deliveryMethod: 'voice',
        }),
      });
      expect(added.status).toBe(201);
      const { position } = (await added.json()) as { position: string };

      const caughtUp = await eventually(
        async () => {
          const status = await cli(['projections', 'status', '--json'], env);
          const [page] = (
            JSON.parse(status.stdout) as { projections: { checkpoint: string; state: string }[] }
          ).projections;
          return BigInt(page.checkpoint) >= BigInt(position) && page;
        },
        { timeoutMs: 10_000, description: `the projection to reach position ${position}` },
      );
      expect(caughtUp.state).toBe('caughtUp');

      const rebuilt = await cli(['projections', 'rebuild', 'securityInfoPage', '--quiet'], env);
      expect({ code: rebuilt.code, stderr: rebuilt.stderr }).toEqual({ code: 0, stderr: '' });
      expect(rebuilt.stdout).toMatch(/generation \d+ is live/);
      // The API follows the swap: the page is served from the new generation in MongoDB.
      const page = await checkedFetch(`${api.url}/v1/me/security-info?minPosition=${position}`, {
        headers: auth,
      });
      expect(await page.json()).toMatchObject({
        methods: [{ phoneType: 'office', status: 'pendingVerification' }],
      });

      const history = await cli(['audit', 'history', '--user', 'prod-audited', '--as', 'auditor-1'], env);
      expect(history.code).toBe(0);
      expect(history.stdout).toContain('PhoneMethodAdded');
      const verified = await cli(['audit', 'verify', '--as', 'auditor-1'], env);
      expect({ code: verified.code, stderr: verified.stderr }).toEqual({ code: 0, stderr: '' });
      expect(verified.stdout).toMatch(/every hash chain holds/);
    } finally {
      expect(await api.stop()).toBe(0);
    }
  });

  it('the CLI too names a store it cannot reach, after a bounded wait', async () => {
    const closed = await MongoWireDouble.start();
    const url = closed.url();
    await closed.close();
    const status = await cli(['projections', 'status'], {
      DATA_DIR: dataDir,
      EVENTSTORE_URL: esdb.url,
      MONGO_URL: url,
      DATA_KEY_SECRET,
      STARTUP_WAIT_MS: '1000',
    });
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/read model store is unreachable after 1000 ms/);
    expect(status.stderr).toContain(`MONGO_URL: ${url}`);
  });

  it('stops start-up after a bounded wait, naming an unreachable MongoDB', async () => {
    const closed = await MongoWireDouble.start();
    const url = closed.url();
    await closed.close();
    const failed = startApi({
      DATA_DIR: dataDir,
      EVENTSTORE_URL: esdb.url,
      MONGO_URL: url.replace('mongodb://', 'mongodb://reader:s3cret@'),
      DATA_KEY_SECRET,
      STARTUP_WAIT_MS: '1000',
    });
    const error = (await failed.then(
      () => new Error('the API started'),
      (e: Error) => e,
    )) as Error;
    expect(error.message).toMatch(/exited with 1/);
    expect(error.message).toMatch(/read model store is unreachable after 1000 ms/);
    expect(error.message).toContain('MONGO_URL: mongodb://reader:***@127.0.0.1');
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toMatch(/^\s+at /m); // a message, not a stack trace
  });

  it('stops start-up after a bounded wait, naming an unreachable EventStoreDB', async () => {
    const gone = await EsdbDouble.start();
    const url = gone.url;
    await gone.close();
    const error = (await startApi({
      DATA_DIR: dataDir,
      EVENTSTORE_URL: url,
      MONGO_URL: mongo.url(),
      DATA_KEY_SECRET,
      STARTUP_WAIT_MS: '1000',
    }).then(
      () => new Error('the API started'),
      (e: Error) => e,
    )) as Error;
    expect(error.message).toMatch(/exited with 1/);
    expect(error.message).toMatch(/event store is unreachable/);
    expect(error.message).toContain(`EVENTSTORE_URL: ${url}`);
  });

  it('the worker too stops after a bounded wait, naming an unreachable EventStoreDB, and stops its Redis', async () => {
    const gone = await EsdbDouble.start();
    const url = gone.url;
    await gone.close();
    const workerDir = mkdtempSync(join(tmpdir(), 'signet-prod-worker-'));
    try {
      const error = (await startWorker({
        DATA_DIR: workerDir,
        EVENTSTORE_URL: url,
        REDIS_URL: '',
        STARTUP_WAIT_MS: '1000',
      }).then(
        () => new Error('the worker started'),
        (e: Error) => e,
      )) as Error;
      expect(error.message).toMatch(/Worker exited with 1 before running/);
      expect(error.message).toMatch(/event store is unreachable/);
      expect(error.message).toContain(`EVENTSTORE_URL: ${url}`);
      // The private redis-server it had started is not left behind.
      expect(await answersPing(join(workerDir, 'redis', 'redis.sock'))).toBe(false);
    } finally {
      rmSync(workerDir, { recursive: true, force: true });
    }
  });
});
