import { securityInfoStream } from '@signet/domain';
import { EVERY_METHOD_TYPE } from '@signet/domain/testing';
import { SqliteEventStore } from '@signet/event-store';
import { securityInfoPageProjection } from '@signet/read-model';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@signet/testing';
import { Person, SignetTestApp } from './support/signet-app';
import {
  myPage,
  pageFromScratch,
  pageView,
  projectionStatus,
  readModelStore,
  staff,
  unknownEvent,
  writeHistories,
} from './support/read-side';

/** Another person's page in full, to compare with one folded from scratch (the read is access-logged). */
const REVEALED = 'reveal=phoneNumbers&reason=read-side%20check';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const OFFICE = {
  phoneNumber: '+1 425 555 0199',
  phoneType: 'office',
  deliveryMethod: 'voice',
  extension: '12',
};
const ALTERNATE = { phoneNumber: '+1 425 555 0142', phoneType: 'alternateMobile', deliveryMethod: 'voice' };

describe('the read side over HTTP', () => {
  let signet: SignetTestApp;
  /** The page with read-your-writes on the position a command answered with. */
  const pageAfter = (person: Person, position: string) => myPage(signet, person.userId, position);

  beforeAll(async () => {
    signet = await SignetTestApp.start();
  });

  afterAll(() => signet.stop());

  it('shows a user with no history an empty page, not 404', async () => {
    const nobody = await Person.signIn(signet, 'nobody');
    const res = await myPage(signet, nobody.userId);
    expect(res.body).toEqual({
      userId: 'nobody',
      methods: [],
      defaultMethod: null,
      allowedMethodTypes: EVERY_METHOD_TYPE,
      personalDataErased: null,
      revision: null,
      updatedAt: null,
    });
    expect(res.headers['x-read-model-position']).toMatch(/^\d+$/);
  });

  it('shows what the seed page shows after adding and verifying a phone', async () => {
    const alice = await Person.signIn(signet, 'alice');
    const methodId = await alice.addVerifiedPhone(MOBILE);
    const office = await alice.addPhone(OFFICE).expect(201);
    const res = await pageAfter(alice, office.body.position);
    expect(res.headers['x-read-model-stale']).toBeUndefined();
    expect(res.headers.etag).toBe(`"${office.body.revision}"`);
    expect(res.body).toEqual({
      userId: 'alice',
      methods: [
        {
          methodId,
          type: 'phone',
          phoneType: 'mobile',
          phoneNumber: '+1 4255550100',
          e164: '+14255550100',
          extension: null,
          label: 'Phone',
          deliveryMethods: ['sms', 'voice'],
          status: 'verified',
          state: 'enabled',
          isDefault: true,
          addedAt: '2026-11-26T10:00:00.000Z',
          verifiedAt: '2026-11-26T10:00:00.000Z',
          lapsesAt: null,
          pendingNumber: null,
          lastCode: null,
          lastUsedAt: null,
        },
        {
          methodId: office.body.methodId,
          type: 'phone',
          phoneType: 'office',
          phoneNumber: '+1 4255550199x12',
          e164: '+14255550199',
          extension: '12',
          label: 'Office phone',
          deliveryMethods: ['voice'],
          status: 'pendingVerification',
          state: 'enabled',
          isDefault: false,
          addedAt: '2026-11-26T10:00:00.000Z',
          verifiedAt: null,
          lapsesAt: '2026-11-27T10:00:00.000Z',
          pendingNumber: null,
          lastCode: {
            codeId: office.body.code.codeId,
            channel: 'voice',
            sentAt: '2026-11-26T10:00:00.000Z',
            expiresAt: '2026-11-26T10:10:00.000Z',
            resendAvailableAt: '2026-11-26T10:01:00.000Z',
            delivery: 'queued',
            reason: null,
          },
          lastUsedAt: null,
        },
      ],
      defaultMethod: { methodId, deliveryMethod: 'sms', label: 'Phone - text +1 4255550100' },
      allowedMethodTypes: EVERY_METHOD_TYPE,
      personalDataErased: null,
      revision: office.body.revision,
      updatedAt: '2026-11-26T10:00:00.000Z',
    });
  });

  it('read-your-writes: a command followed at once by the query with its position sees its own write', async () => {
    const bob = await Person.signIn(signet, 'bob');
    const mobile = await bob.addVerifiedPhone(MOBILE);
    for (let round = 0; round < 5; round++) {
      signet.clock.advance(3601); // past the hourly code limits
      const steps = [
        () => bob.addPhone(OFFICE).expect(201),
        () => bob.addPhone(ALTERNATE).expect(201),
        () =>
          bob.changeDefault({ methodId: mobile, deliveryMethod: round % 2 ? 'sms' : 'voice' }).expect(200),
      ];
      for (const step of steps) {
        const written = await step();
        const res = await pageAfter(bob, written.body.position);
        expect(res.headers['x-read-model-stale']).toBeUndefined();
        expect(res.body.revision).toBe(written.body.revision);
        expect(BigInt(res.headers['x-read-model-position'])).toBeGreaterThanOrEqual(
          BigInt(written.body.position),
        );
      }
      const page = (await myPage(signet, 'bob')).body;
      for (const method of page.methods.filter((m: { phoneType: string }) => m.phoneType !== 'mobile')) {
        const deleted = await bob.deleteMethod(method.methodId).expect(200);
        const after = await pageAfter(bob, deleted.body.position);
        expect(after.body.methods.map((m: { methodId: string }) => m.methodId)).not.toContain(
          method.methodId,
        );
      }
    }
  });

  it('does not wait for positions of streams the page does not read', async () => {
    const carol = await Person.signIn(signet, 'carol');
    await carol.addPhone(MOBILE).expect(201);
    const other = await signet.eventStore.appendToStream('elsewhere-1', [unknownEvent()], {
      expectedRevision: 'any',
    });
    const res = await pageAfter(carol, other.position.toString());
    expect(res.headers['x-read-model-stale']).toBeUndefined();
    expect(res.body.methods).toHaveLength(1);
  });

  it('refuses a malformed minPosition', async () => {
    const carol = await Person.signIn(signet, 'carol');
    const res = await myPage(signet, carol.userId, 'soon', 400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'invalid-min-position', errors: [{ field: 'minPosition' }] });
  });

  it("serves anyone's page to admins, auditors and the help desk only", async () => {
    const dave = await Person.signIn(signet, 'dave');
    const added = await dave.addPhone(MOBILE).expect(201);
    for (const role of ['admin', 'auditor', 'authenticationAdministrator'] as const) {
      const res = await (
        await staff(signet, [role])
      )
        .get(`/v1/users/dave/security-info?minPosition=${added.body.position}`)
        .expect(200);
      expect(res.body).toMatchObject({ userId: 'dave', methods: [{ phoneType: 'mobile' }], revision: '1' });
    }
    for (const role of ['user', 'operator'] as const) {
      const res = await (await staff(signet, [role])).get('/v1/users/dave/security-info').expect(403);
      expect(res.body.code).toBe('forbidden');
    }
    await (await staff(signet, ['admin'])).get('/v1/users/nobody-at-all/security-info').expect(200, {
      userId: 'nobody-at-all',
      methods: [],
      defaultMethod: null,
      allowedMethodTypes: EVERY_METHOD_TYPE,
      personalDataErased: null,
      revision: null,
      updatedAt: null,
    });
  });

  it('shows operators each projection with its checkpoint, head, lag and state', async () => {
    const erin = await Person.signIn(signet, 'erin');
    const added = await erin.addPhone(MOBILE).expect(201);
    await pageAfter(erin, added.body.position);
    await eventually(async () => (await projectionStatus(signet)).state === 'caughtUp');
    const status = await projectionStatus(signet);
    expect(status).toMatchObject({
      name: 'securityInfoPage',
      version: securityInfoPageProjection.version,
      liveVersion: securityInfoPageProjection.version,
      state: 'caughtUp',
      lagEvents: 0,
      lagSeconds: 0,
      fault: null,
    });
    expect(BigInt(status.checkpoint)).toBeGreaterThanOrEqual(BigInt(added.body.position));
    expect(BigInt(status.headPosition)).toBeGreaterThanOrEqual(BigInt(status.checkpoint));
    await (await staff(signet, ['admin'])).get('/v1/admin/projections').expect(403);
    await (await staff(signet, ['operator'])).post('/v1/admin/projections/nope/rebuild').expect(404);
  });

  it('refuses a second rebuild while one is running', async () => {
    const shadow = await readModelStore(signet).beginShadow('securityInfoPage', 1, { busyAfterMs: 60_000 });
    try {
      const res = await (
        await staff(signet, ['operator'])
      ).post('/v1/admin/projections/securityInfoPage/rebuild');
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        code: 'rebuild-in-progress',
        progressUrl: `/v1/admin/projections/securityInfoPage/rebuilds/${shadow.generation}`,
      });
    } finally {
      await readModelStore(signet).endShadow('securityInfoPage', shadow.generation, 'abandoned', null);
    }
  });
});

describe('a rebuild while commands keep arriving', () => {
  let signet: SignetTestApp;

  const pageAfter = (person: Person, position: string) => myPage(signet, person.userId, position);

  beforeAll(async () => {
    // A small batch makes the rebuild take many commits, so commands interleave with it.
    signet = await SignetTestApp.start({ PROJECTION_BATCH_SIZE: '20' });
  });

  afterAll(() => signet.stop());

  it('never lets a page go missing or backwards, and the rebuilt model equals one built from scratch', async () => {
    const seeded = Array.from({ length: 300 }, (_, i) => `seeded${i}`);
    await writeHistories(signet.eventStore, seeded);
    const people = await Promise.all(['p0', 'p1', 'p2', 'p3'].map((id) => Person.signIn(signet, id)));
    for (const person of people) await person.addVerifiedPhone(MOBILE);
    await eventually(async () => (await projectionStatus(signet)).state === 'caughtUp');
    const before = await projectionStatus(signet);

    const operator = await staff(signet, ['operator']);
    const headAtStart = await signet.eventStore.headPosition();
    const started = await operator.post('/v1/admin/projections/securityInfoPage/rebuild').expect(202);
    expect(started.body).toMatchObject({ projection: 'securityInfoPage', state: 'building' });
    expect(started.headers.location).toBe(started.body.progressUrl);

    let finished = false;
    const seen = new Map<string, bigint>();
    const watch = async () => {
      // Every page that existed keeps existing, at the same or a later revision.
      while (!finished) {
        for (const userId of ['p0', 'p1', 'seeded7', 'seeded149']) {
          const page = (
            await (await staff(signet, ['auditor'])).get(`/v1/users/${userId}/security-info`).expect(200)
          ).body;
          expect(page.methods.length).toBeGreaterThan(0);
          const revision = BigInt(page.revision);
          expect(revision).toBeGreaterThanOrEqual(seen.get(userId) ?? 0n);
          seen.set(userId, revision);
        }
      }
    };
    const write = async () => {
      let last = '0';
      for (let i = 0; !finished || i < 4; i++) {
        const person = people[i % people.length];
        if (i % people.length === 0) signet.clock.advance(3601); // past the hourly code limits
        const added = await person.addPhone(OFFICE).expect(201);
        const deleted = await person.deleteMethod(added.body.methodId).expect(200);
        last = deleted.body.position;
        const page = await pageAfter(person, last);
        expect(page.body.revision).toBe(deleted.body.revision);
      }
      return last;
    };
    const poll = () =>
      eventually(
        async () => {
          const progress = (await operator.get(started.body.progressUrl).expect(200)).body;
          return progress.state !== 'building' && progress;
        },
        { timeoutMs: 20_000, description: 'the rebuild to leave the building state' },
      );
    const watching = watch();
    const writing = write();
    const progress = await poll().finally(() => (finished = true));
    const [, lastPosition] = await Promise.all([watching, writing]);

    expect(progress).toMatchObject({
      state: 'swapped',
      error: null,
      drift: { documents: 0, sampleKeys: [] },
    });
    expect(progress.processedEvents).toBeGreaterThanOrEqual(seeded.length * 4);
    // The shadow caught up with commands written while it was being built.
    expect(BigInt(progress.checkpoint)).toBeGreaterThan(headAtStart);
    const after = await projectionStatus(signet);
    expect(after.generation).toBe(progress.generation);
    expect(after.generation).not.toBe(before.generation);

    // The live model carries on after the swap, and equals the log folded from scratch.
    for (const person of people) {
      const page = await pageAfter(person, lastPosition);
      expect(page.body).toEqual(await pageFromScratch(signet.eventStore, person.userId, pageView(signet)));
    }
    for (const userId of seeded) {
      const page = await (
        await staff(signet, ['admin'])
      )
        .get(`/v1/users/${userId}/security-info?${REVEALED}`)
        .expect(200);
      expect(page.body).toEqual(await pageFromScratch(signet.eventStore, userId, pageView(signet)));
    }
  });
});

describe('restarts, duplicates and faults', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'signet-read-side-'));
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const users = Array.from({ length: 200 }, (_, i) => `u${i}`);
  const writeDirectly = async (userIds: string[]) => {
    const store = new SqliteEventStore({ filename: join(dataDir, 'events.sqlite') });
    await writeHistories(store, userIds);
    await store.close();
  };
  const expectAllFromScratch = async (signet: SignetTestApp, userIds: string[]) => {
    const admin = await staff(signet, ['admin']);
    for (const userId of userIds) {
      const page = await admin.get(`/v1/users/${userId}/security-info?${REVEALED}`).expect(200);
      expect(page.body).toEqual(await pageFromScratch(signet.eventStore, userId, pageView(signet)));
    }
  };

  it('resumes after a restart mid-stream, with nothing lost and nothing applied twice', async () => {
    await writeDirectly(users);
    let signet = await SignetTestApp.start({ DATA_DIR: dataDir, PROJECTION_BATCH_SIZE: '10' });
    await eventually(async () => BigInt((await projectionStatus(signet)).checkpoint) > 0n);
    await signet.stop();
    // More history arrives while the API is down.
    await writeDirectly(['late1', 'late2']);

    signet = await SignetTestApp.start({ DATA_DIR: dataDir });
    try {
      await eventually(async () => (await projectionStatus(signet)).state === 'caughtUp');
      await expectAllFromScratch(signet, [...users, 'late1', 'late2']);
    } finally {
      await signet.stop();
    }
  });

  it('applies events delivered a second time only once', async () => {
    await writeDirectly(users.slice(0, 20));
    let signet = await SignetTestApp.start({ DATA_DIR: dataDir });
    await eventually(async () => (await projectionStatus(signet)).state === 'caughtUp');
    await signet.stop();
    // As if the checkpoint had not been saved (a crash between documents and checkpoint, on a store
    // without transactions): every event is delivered again.
    const db = new Database(join(dataDir, 'read-model.sqlite'));
    db.prepare('UPDATE generations SET checkpoint = 0').run();
    db.close();

    signet = await SignetTestApp.start({ DATA_DIR: dataDir });
    try {
      await eventually(async () => (await projectionStatus(signet)).state === 'caughtUp');
      await expectAllFromScratch(signet, users.slice(0, 20));
      const page = await (await staff(signet, ['admin'])).get('/v1/users/u3/security-info').expect(200);
      expect(page.body.methods).toHaveLength(1);
    } finally {
      await signet.stop();
    }
  });

  it('stops a faulted projection visibly at the event it cannot handle, and serves the last good page', async () => {
    const signet = await SignetTestApp.start({ DATA_DIR: dataDir, READ_MODEL_MAX_WAIT_MS: '200' });
    try {
      const pageAfter = (person: Person, position: string) => myPage(signet, person.userId, position);
      const frank = await Person.signIn(signet, 'frank');
      const added = await frank.addPhone(MOBILE).expect(201);
      await pageAfter(frank, added.body.position);
      const bad = await signet.eventStore.appendToStream(securityInfoStream('mallory'), [unknownEvent()], {
        expectedRevision: 'no_stream',
      });
      await eventually(async () => (await projectionStatus(signet)).state === 'faulted');
      const status = await projectionStatus(signet);
      expect(status).toMatchObject({
        checkpoint: String(bad.position - 1n),
        fault: {
          position: bad.position.toString(),
          streamId: 'securityInfo-mallory',
          eventType: 'PhoneMethodRenamed',
          error: expect.stringContaining('UnknownEventError'),
        },
      });

      // Nothing after the faulted event is applied (never skipped): the page says it is stale.
      const office = await frank.addPhone(OFFICE).expect(201);
      const res = await pageAfter(frank, office.body.position);
      expect(res.headers['x-read-model-stale']).toBe('true');
      expect(res.headers['x-read-model-position']).toBe(String(bad.position - 1n));
      expect(res.body.revision).toBe(added.body.revision);
      // The faulted event and the two that followed it.
      expect((await projectionStatus(signet)).lagEvents).toBe(3);
    } finally {
      await signet.stop();
    }
  });
});
