import { AS_OF_SNAPSHOTS_PROJECTION, securityInfoAsOf, type AsOfSnapshotsBody } from '@signet/audit';
import { EVENT_STORE, openEventStore, type EventStore } from '@signet/event-store';
import { ERASED, PersonalData } from '@signet/personal-data';
import { EsdbDouble } from '@signet/event-store/testing';
import { DispatchRuntime, readOutbox } from '@signet/messaging';
import { MongoWireDouble } from '@signet/mongo/testing';
import { eventually } from '@signet/testing';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { build, cli } from './support/processes';
import { myPage, PAGE, readModelStore, staff } from './support/read-side';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const OFFICE = {
  phoneNumber: '+1 425 555 0199',
  phoneType: 'office',
  deliveryMethod: 'voice',
  extension: '123',
};
const BOBS = { phoneNumber: '+1 425 555 0177', phoneType: 'mobile', deliveryMethod: 'sms' };
/** The digits of alice's numbers as a reader would search the files for them. */
const ALICE_DIGITS = ['4255550100', '4255550199'];
const CLIENT = { 'User-Agent': 'AliceBrowser/1.0 (unique-agent-marker)', 'X-Forwarded-For': '198.51.100.23' };

/**
 * The files under a directory whose bytes hold `text`, searched as a reader with the files would. In another
 * process: a file this process opens and closes would drop SQLite's POSIX locks on it (the API runs here).
 */
function filesHolding(dir: string, text: string): string[] {
  const found = spawnSync('grep', ['-r', '-l', '-a', '-F', text, dir], { encoding: 'utf8' });
  if (found.status === 2) throw new Error(found.stderr);
  return found.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  await build();
}, 120_000);

describe('personal data: sealed at rest, erased by crypto-shredding, the person’s own copy', () => {
  let signet: SignetTestApp;
  let env: NodeJS.ProcessEnv;
  let alice: Person;
  let bob: Person;
  let lastPosition: string;

  beforeAll(async () => {
    // A snapshot of the as-of fold every 2 events (kept by the worker's projections, run here): alice's are
    // written (sealed) before she is erased.
    signet = await SignetTestApp.start(
      { TRUSTED_PROXIES: '127.0.0.1/8, ::1/128', AS_OF_SNAPSHOT_EVERY: '2' },
      { workerProjections: true },
    );
    env = { DATA_DIR: signet.config.dataDir, LOG_LEVEL: 'error' };
    alice = await Person.signIn(signet, 'alice');
    bob = await Person.signIn(signet, 'bob');
    await alice.addVerifiedPhone(MOBILE);
    signet.clock.advance(120);
    const office = await alice.addPhone(OFFICE, { ...CLIENT, 'Idempotency-Key': 'office-1' }).expect(201);
    lastPosition = office.body.position;
    await bob.addPhone(BOBS).expect(201);
    await myPage(signet, 'alice', lastPosition);
  });

  afterAll(() => signet.stop());

  it('before erasure: no store file under DATA_DIR holds a number, client address or user agent in plain text', async () => {
    const page = await myPage(signet, 'alice', lastPosition);
    expect(JSON.stringify(page.body)).toContain('4255550100');
    const dir = signet.config.dataDir;
    for (const text of [...ALICE_DIGITS, '4255550177', 'unique-agent-marker', '198.51.100.23']) {
      expect(filesHolding(dir, text)).toEqual([]);
    }
    // The masked form stays in the clear, for the audit trail and the limits.
    expect(filesHolding(dir, '+1 XXXXXXXX00')).not.toEqual([]);
  });

  it('as-of starts from the sealed snapshots and answers as a replay from the start does', async () => {
    const snapshots = await eventually(
      async () => {
        const { document } = await readModelStore(signet).readLive<AsOfSnapshotsBody>(
          AS_OF_SNAPSHOTS_PROJECTION,
          'alice',
        );
        return document && document.position >= BigInt(lastPosition) ? document.body.snapshots : false;
      },
      { timeoutMs: 10_000 },
    );
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    const auditor = await staff(signet, ['auditor'], 'audrey');
    for (const revision of [1n, 4n, 5n]) {
      const answered = await auditor
        .get(`/v1/audit/users/alice/security-info?revision=${revision}&reveal=phoneNumbers&reason=r`)
        .expect(200);
      const replayed = await securityInfoAsOf(
        signet.app.get<EventStore>(EVENT_STORE),
        'alice',
        { revision },
        'revealed',
        undefined,
        signet.config.policy,
      );
      expect(answered.body).toEqual(
        JSON.parse(JSON.stringify({ userId: 'alice', phoneNumbers: 'revealed', ...replayed })),
      );
    }
  });

  it('the person’s own copy holds their numbers in full, their history and who looked; no one else’s', async () => {
    const auditor = await staff(signet, ['auditor'], 'audrey');
    await auditor.get('/v1/audit/users/alice/events').expect(200);
    const copy = await alice.get('/v1/me/personal-data').expect(200);
    const text = JSON.stringify(copy.body);
    expect(
      copy.body.page.methods.map((m: { e164: string; extension: string }) => [m.e164, m.extension]),
    ).toEqual([
      ['+14255550100', null],
      ['+14255550199', '123'],
    ]);
    expect(
      copy.body.history.find((i: { type: string }) => i.type === 'PhoneMethodAdded').data.phoneNumber,
    ).toBe('+14255550100');
    expect(copy.body.history.some((i: { userAgent: string }) => i.userAgent === CLIENT['User-Agent'])).toBe(
      true,
    );
    expect(copy.body.history.map((i: { type: string }) => i.type)).toEqual(
      expect.arrayContaining(['PhoneMethodAdded', 'CodeSent', 'PhoneVerified']),
    );
    expect(copy.body.accesses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'history',
          userId: 'alice',
          accessor: expect.objectContaining({ subject: 'audrey' }),
        }),
        expect.objectContaining({ action: 'personalDataExport', userId: 'alice' }),
      ]),
    );
    expect(text).not.toContain('4255550177');

    const bobsCopy = await bob.get('/v1/me/personal-data').expect(200);
    for (const digits of ALICE_DIGITS) expect(JSON.stringify(bobsCopy.body)).not.toContain(digits);
    // Auditors see them masked, as before.
    const history = await auditor.get('/v1/audit/users/alice/events').expect(200);
    for (const digits of ALICE_DIGITS) expect(JSON.stringify(history.body)).not.toContain(digits);
  });

  it('refuses an erasure without a reason (400 reason-required) or by anyone but a privacy officer (403)', async () => {
    const officer = await signet.token('dpo', ['privacyOfficer']);
    const erase = (token: string, body: object) =>
      signet
        .http()
        .delete('/v1/users/alice/personal-data')
        .set('Authorization', `Bearer ${token}`)
        .send(body);
    expect((await erase(officer, {}).expect(400)).body.code).toBe('reason-required');
    expect((await erase(officer, { reason: '  ' }).expect(400)).body.code).toBe('reason-required');
    await erase(await signet.token('audrey', ['auditor', 'admin']), { reason: 'x' }).expect(403);
    await erase(await signet.token('alice'), { reason: 'x' }).expect(403);
  });

  it('erases: 202 with what was done; the page says so and when; history, as-of and exports show [erased]; audit verify exits 0', async () => {
    const officer = await signet.token('dpo', ['privacyOfficer']);
    const erased = await signet
      .http()
      .delete('/v1/users/alice/personal-data')
      .set('Authorization', `Bearer ${officer}`)
      .send({ reason: 'GDPR Art. 17 request #42' })
      .expect(202);
    expect(erased.body).toMatchObject({ userId: 'alice', keysDestroyed: 1 });
    // The office phone's code was never sent (no worker here): cancelled.
    expect(erased.body.codesCancelled).toHaveLength(2);

    const page = await myPage(signet, 'alice', erased.body.position);
    expect(page.body.methods).toEqual([]);
    expect(page.body.defaultMethod).toBeNull();
    // The page says the data was erased, and when (the erasure's own time): nothing else, no digits.
    expect(page.body.personalDataErased).toEqual({ erasedAt: page.body.updatedAt });
    expect(page.body.revision).toBe(erased.body.revision);
    const erasedPage = page.body;

    const auditor = await staff(signet, ['auditor'], 'audrey');
    // The same page for the help desk and the auditors (another person's page), and as of the erasure.
    const helpDesk = await staff(signet, ['authenticationAdministrator'], 'helen');
    const theirs = await helpDesk
      .get('/v1/users/alice/security-info?reveal=phoneNumbers&reason=ticket%2042')
      .expect(200);
    expect(theirs.body).toEqual(erasedPage);
    const asOfErasure = await auditor
      .get(`/v1/audit/users/alice/security-info?revision=${erased.body.revision}`)
      .expect(200);
    expect(asOfErasure.body.page).toMatchObject({
      methods: [],
      personalDataErased: erasedPage.personalDataErased,
    });
    for (const body of [erasedPage, theirs.body, asOfErasure.body.page]) {
      const text = JSON.stringify(body);
      for (const absent of [...ALICE_DIGITS, 'GDPR', 'dpo']) expect(text).not.toContain(absent);
    }
    const history = await auditor
      .get('/v1/audit/users/alice/events?reveal=phoneNumbers&reason=check%20erasure')
      .expect(200);
    const added = history.body.items.filter((i: { type: string }) => i.type === 'PhoneMethodAdded');
    expect(added.map((i: { data: { phoneNumber: string } }) => i.data.phoneNumber)).toEqual([ERASED, ERASED]);
    expect(added[1].data.extension).toBe(ERASED);
    expect(added[1].userAgent).toBe(ERASED);
    expect(history.body.items.at(-1)).toMatchObject({
      type: 'PersonalDataErased',
      data: { reason: 'GDPR Art. 17 request #42', by: 'dpo' },
    });
    const asOf = await auditor
      .get('/v1/audit/users/alice/security-info?revision=4&reveal=phoneNumbers&reason=r')
      .expect(200);
    expect(asOf.body.page.methods.map((m: { phoneNumber: string }) => m.phoneNumber)).toEqual([
      ERASED,
      ERASED,
    ]);

    const exported = await cli(
      ['audit', 'export', '--user', 'alice', '--reveal-phone-numbers', '--reason', 'r'],
      env,
    );
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(ERASED);
    for (const digits of ALICE_DIGITS) expect(exported.stdout).not.toContain(digits);

    const verified = await cli(['audit', 'verify', '--as', 'auditor-1'], env);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);

    const log = await auditor.get('/v1/audit/access-log?userId=alice').expect(200);
    expect(log.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'personalDataErasure',
          reason: 'GDPR Art. 17 request #42',
          accessor: expect.objectContaining({ subject: 'dpo', roles: ['privacyOfficer'] }),
        }),
      ]),
    );
  });

  it('after erasure: the digits are unrecoverable from every file under DATA_DIR, bob’s data still readable', async () => {
    for (const digits of ALICE_DIGITS) expect(filesHolding(signet.config.dataDir, digits)).toEqual([]);
    // A fresh process with the master key reads alice's old events as erased, bob's in full.
    const config = signet.config;
    const personalData = PersonalData.open(config);
    const store = personalData.sealing(openEventStore(config), { closesKeys: true });
    try {
      const numbers: string[] = [];
      for await (const event of store.readAll({ filter: { eventTypes: ['PhoneMethodAdded'] } })) {
        numbers.push(`${event.streamId}:${String(event.data.phoneNumber)}`);
      }
      expect(numbers).toEqual([
        `securityInfo-alice:${ERASED}`,
        `securityInfo-alice:${ERASED}`,
        'securityInfo-bob:+14255550177',
      ]);
    } finally {
      await store.close();
    }
    // The stored answer to alice's Idempotency-Key is blank now: a retry is refused, never run again.
    const retry = await alice.addPhone(OFFICE, { ...CLIENT, 'Idempotency-Key': 'office-1' }).expect(422);
    expect(retry.body.code).toBe('idempotency-key-reused');
  });

  it('a person re-registers after erasure: a fresh key, and everything works', async () => {
    signet.clock.advance(3600);
    const erasure = (await alice.get(PAGE).expect(200)).body.personalDataErased;
    const methodId = await alice.addVerifiedPhone(MOBILE);
    const page = await alice.get(PAGE).expect(200);
    expect(page.body.methods).toEqual([expect.objectContaining({ methodId, e164: '+14255550100' })]);
    // The erasure stays said beside the new method: why the earlier ones are gone.
    expect(page.body.personalDataErased).toEqual(erasure);
    expect(erasure).toEqual({ erasedAt: expect.any(String) });
    const copy = await alice.get('/v1/me/personal-data').expect(200);
    const numbers = copy.body.history
      .filter((i: { type: string }) => i.type === 'PhoneMethodAdded')
      .map((i: { data: { phoneNumber: string } }) => i.data.phoneNumber);
    expect(numbers).toEqual([ERASED, ERASED, '+14255550100']);
    expect(filesHolding(signet.config.dataDir, '4255550100')).toEqual([]);
    expect((await cli(['audit', 'verify', '--as', 'auditor-1'], env)).code).toBe(0);
  });

  it('npm run cli -- privacy erase: the same erasure from the command line', async () => {
    const missing = await cli(['privacy', 'erase', '--user', 'bob'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--reason');
    const erased = await cli(
      ['privacy', 'erase', '--user', 'bob', '--reason', 'ticket 7', '--as', 'dpo-2'],
      env,
    );
    expect(erased.code).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({ userId: 'bob', keysDestroyed: 1 });
    const page = await myPage(signet, 'bob', JSON.parse(erased.stdout).position);
    expect(page.body.methods).toEqual([]);
    expect(page.body.personalDataErased).toEqual({ erasedAt: page.body.updatedAt });
    const auditor = await staff(signet, ['auditor'], 'audrey');
    const log = await auditor.get('/v1/audit/access-log?userId=bob').expect(200);
    expect(log.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'personalDataErasure',
          reason: 'ticket 7',
          accessor: { subject: 'dpo-2', roles: [], via: 'cli' },
        }),
      ]),
    );
  });

  it('npm run cli -- keys rotate-master: re-wraps every key, events untouched, everything still readable', async () => {
    const rotated = await cli(['keys', 'rotate-master'], env);
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toMatch(/re-wrapped/);
    const again = await cli(['keys', 'rotate-master'], env);
    expect(again.code).toBe(0);
    const copy = await cli(
      ['audit', 'history', '--user', 'alice', '--reveal-phone-numbers', '--reason', 'r'],
      env,
    );
    expect(copy.code).toBe(0);
    expect(copy.stdout).toContain('+14255550100');
    expect((await cli(['audit', 'verify'], env)).code).toBe(0);
  });
});

/** The production face: EventStoreDB and MongoDB (their protocol doubles) hold only ciphertext, and erasure works there too. */
describe('personal data on EventStoreDB and MongoDB (the doubles)', () => {
  let esdb: EsdbDouble;
  let mongo: MongoWireDouble;
  let signet: SignetTestApp;
  let env: NodeJS.ProcessEnv;
  const DATA_KEY_SECRET = randomBytes(32).toString('hex');

  /** Everything the two servers hold, as text: every event's data and metadata, every document of every collection. */
  const serverContents = () =>
    [
      ...esdb
        .events()
        .map(
          (e) => Buffer.from(e.data).toString('latin1') + Buffer.from(e.customMetadata).toString('latin1'),
        ),
      ...mongo
        .collectionNames('signet')
        .map((name) =>
          JSON.stringify(mongo.documents('signet', name), (_k, v: unknown) =>
            typeof v === 'bigint' ? String(v) : v,
          ),
        ),
    ].join('\n');

  beforeAll(async () => {
    [esdb, mongo] = await Promise.all([EsdbDouble.start(), MongoWireDouble.start()]);
    const stores = { EVENTSTORE_URL: esdb.url, MONGO_URL: mongo.url(), DATA_KEY_SECRET };
    signet = await SignetTestApp.start(stores, { workerProjections: true });
    env = { DATA_DIR: signet.config.dataDir, LOG_LEVEL: 'error', ...stores };
  }, 60_000);

  afterAll(async () => {
    await signet.stop();
    await Promise.all([esdb.close(), mongo.close()]);
  });

  it('holds no number in the clear, erases to [erased], verifies, and takes the person back', async () => {
    const carol = await Person.signIn(signet, 'carol');
    await carol.addVerifiedPhone(MOBILE);
    const office = await carol.addPhone(OFFICE, { 'Idempotency-Key': 'k1' }).expect(201);
    await myPage(signet, 'carol', office.body.position);
    expect(mongo.collectionNames('signet')).toEqual(expect.arrayContaining(['dataKeys', 'idempotencyKeys']));
    for (const digits of ALICE_DIGITS) expect(serverContents()).not.toContain(digits);

    const keysOf = () => mongo.documents('signet', 'dataKeys').filter((key) => key.personId === 'carol');
    const [before] = keysOf();
    const officer = await signet.token('dpo', ['privacyOfficer']);
    const erased = await signet
      .http()
      .delete('/v1/users/carol/personal-data')
      .set('Authorization', `Bearer ${officer}`)
      .send({ reason: 'request 9' })
      .expect(202);
    // Her key is gone; what is written for her from now on (the erasure's own metadata) has a fresh one.
    expect(keysOf().map((key) => key._id)).not.toContain(before._id);
    const page = (await myPage(signet, 'carol', erased.body.position)).body;
    expect(page).toMatchObject({ methods: [], personalDataErased: { erasedAt: page.updatedAt } });
    const history = await cli(
      ['audit', 'history', '--user', 'carol', '--reveal-phone-numbers', '--reason', 'r'],
      env,
    );
    expect(history.code).toBe(0);
    expect(history.stdout).toContain(`"phoneNumber":"${ERASED}"`);
    expect((await cli(['audit', 'verify', '--user', 'carol'], env)).code).toBe(0);

    signet.clock.advance(3600);
    await carol.addVerifiedPhone(MOBILE);
    const copy = await carol.get('/v1/me/personal-data').expect(200);
    expect(copy.body.page.methods.map((m: { e164: string }) => m.e164)).toEqual(['+14255550100']);
    expect(copy.body.page.personalDataErased).toEqual(page.personalDataErased);
    expect(serverContents()).not.toContain('4255550100');
  }, 60_000);
});

/** The worker opens the number when it sends, and sends nothing to an erased person. */
describe('personal data and the worker (real Redis)', () => {
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime | undefined;
  const outbox = () => readOutbox((signet.config.dispatch.provider as { filename: string }).filename);
  const outcomeOf = (userId: string, codeId: string) =>
    eventually(
      async () =>
        (await signet.historyOf(userId)).find(
          (e) => e.type.startsWith('CodeDelivery') && e.data.codeId === codeId,
        ) ?? false,
      { timeoutMs: 10_000, description: `the outcome of ${codeId}` },
    );

  beforeAll(async () => {
    redis = await RedisServer.start();
    signet = await SignetTestApp.start({ REDIS_URL: redis.url });
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await signet.stop();
    await redis.stop(false);
  });

  it('sends to the opened number; a code still queued at the erasure is cancelled, never sent', async () => {
    const dave = await Person.signIn(signet, 'dave');
    const erin = await Person.signIn(signet, 'erin');
    const daves = await dave.addPhone(MOBILE).expect(201);
    const erins = await erin.addPhone(BOBS).expect(201);
    const officer = await signet.token('dpo', ['privacyOfficer']);
    const erased = await signet
      .http()
      .delete('/v1/users/dave/personal-data')
      .set('Authorization', `Bearer ${officer}`)
      .send({ reason: 'before the worker ran' })
      .expect(202);
    expect(erased.body.codesCancelled).toEqual([daves.body.code.codeId]);

    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    expect(await outcomeOf('erin', erins.body.code.codeId)).toMatchObject({ type: 'CodeDeliveryAccepted' });
    expect(outbox().find((line) => line.codeId === erins.body.code.codeId)?.to).toBe('+14255550177');
    expect(await outcomeOf('dave', daves.body.code.codeId)).toMatchObject({
      type: 'CodeDeliverySkipped',
      data: { reason: 'methodGone' },
    });
    expect(outbox().filter((line) => line.codeId === daves.body.code.codeId)).toEqual([]);

    // Redis holds the jobs (ids only) and the per-destination counters (keyed fingerprints): no number.
    const client = redis.client();
    try {
      const contents: string[] = [];
      for (const key of await client.keys('*')) {
        const type = await client.type(key);
        const value =
          type === 'string'
            ? await client.get(key)
            : type === 'hash'
              ? await client.hgetall(key)
              : type === 'zset'
                ? await client.zrange(key, '0', '-1')
                : type === 'list'
                  ? await client.lrange(key, '0', '-1')
                  : type === 'set'
                    ? await client.smembers(key)
                    : type === 'stream'
                      ? await client.xrange(key, '-', '+')
                      : type;
        contents.push(key, JSON.stringify(value));
      }
      expect(contents.join('\n')).toContain(erins.body.code.codeId);
      for (const digits of ['4255550100', '4255550177']) expect(contents.join('\n')).not.toContain(digits);
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
