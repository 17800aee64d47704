/**
 * Two API instances behind a load balancer share their idempotency keys through MongoDB: a retry that
 * reaches the other instance gets the first answer replayed and records nothing twice. Both instances run
 * in process on the same EventStoreDB (the gRPC double) and the same MongoDB (the wire-protocol double), with
 * the same secrets, as two replicas of one deployment would.
 */
import { randomBytes } from 'node:crypto';
import { EsdbDouble } from '@signet/event-store/testing';
import { MongoWireDouble } from '@signet/mongo/testing';
import { Person, SignetTestApp } from './support/signet-app';

/** MONGO_URL needs the master key of the data keys kept there: every instance shares it. */
const DATA_KEY_SECRET = randomBytes(32).toString('hex');

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };

describe('Idempotency-Key across two API instances on MongoDB', () => {
  let esdb: EsdbDouble;
  let mongo: MongoWireDouble;
  let instanceA: SignetTestApp;
  let instanceB: SignetTestApp;

  beforeAll(async () => {
    [esdb, mongo] = await Promise.all([EsdbDouble.start(), MongoWireDouble.start()]);
    const shared = {
      EVENTSTORE_URL: esdb.url,
      MONGO_URL: mongo.url(),
      DATA_KEY_SECRET,
      JWT_SECRET: randomBytes(32).toString('hex'),
      CODE_SECRET: randomBytes(32).toString('hex'),
    };
    [instanceA, instanceB] = await Promise.all([SignetTestApp.start(shared), SignetTestApp.start(shared)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([instanceA?.stop(), instanceB?.stop()]);
    await Promise.all([esdb?.close(), mongo?.close()]);
  }, 30_000);

  it('reports the idempotency store as MongoDB on both instances', async () => {
    for (const instance of [instanceA, instanceB]) {
      const ready = await instance.http().get('/health/ready').expect(200);
      expect(ready.body.dependencies.idempotencyStore).toEqual({ status: 'up', kind: 'mongodb' });
    }
  });

  it('replays on instance B the answer instance A gave, and records the phone once', async () => {
    const onA = await Person.signIn(instanceA, 'two-instances-alice');
    const onB = await Person.signIn(instanceB, 'two-instances-alice');

    const first = await onA.addPhone(MOBILE, { 'Idempotency-Key': 'k1' }).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await onB.addPhone(MOBILE, { 'Idempotency-Key': 'k1' });

    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.etag).toBe(first.headers.etag);
    const stream = await instanceB.streamOf(onA.userId);
    expect(stream.filter((event) => event.type === 'PhoneMethodAdded')).toHaveLength(1);
    // The key is kept in MongoDB, where both instances look.
    expect(mongo.documents('signet', 'idempotencyKeys')).toEqual([
      expect.objectContaining({ _id: expect.objectContaining({ key: 'k1' }), response: expect.any(String) }),
    ]);
  });

  it('refuses on instance B the key instance A used for a different request', async () => {
    const onA = await Person.signIn(instanceA, 'two-instances-bob');
    const onB = await Person.signIn(instanceB, 'two-instances-bob');
    await onA.addPhone(MOBILE, { 'Idempotency-Key': 'k1' }).expect(201);

    const misuse = await onB.addPhone(
      { ...MOBILE, phoneNumber: '+1 425 555 0199' },
      { 'Idempotency-Key': 'k1' },
    );

    expect(misuse.status).toBe(422);
    expect(misuse.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(misuse.body).toMatchObject({ status: 422, code: 'idempotency-key-reused' });
    const stream = await instanceA.streamOf(onA.userId);
    expect(stream.filter((event) => event.type === 'PhoneMethodAdded')).toHaveLength(1);
  });
});
