import type { SecurityInfoPage } from '@signet/domain';
import type { Response } from 'supertest';
import { Person, SignetTestApp, wrongCode } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const OFFICE = { phoneNumber: '+1 425 555 0199', phoneType: 'office', deliveryMethod: 'voice' };

/** The page the person sees right now (the read side, caught up with their last event): the snapshot. */
async function pageNow(signet: SignetTestApp, person: Person): Promise<SecurityInfoPage> {
  const stream = await signet.streamOf(person.userId);
  const position = stream[stream.length - 1].position;
  const res = await signet
    .http()
    .get(`/v1/me/security-info?minPosition=${position}`)
    .set('Authorization', `Bearer ${await signet.token(person.userId)}`)
    .expect(200);
  expect(res.headers['x-read-model-stale']).toBeUndefined();
  return res.body as SecurityInfoPage;
}

interface Moment {
  step: string;
  at: string;
  page: SecurityInfoPage;
}

describe('Audit over HTTP: history, as of, access log', () => {
  let signet: SignetTestApp;
  let alice: Person;
  let auditor: string;
  /** Every code alice received or typed: none may ever appear in an audit answer. */
  const codes: string[] = [];
  const moments: Moment[] = [];
  let mobileId: string;
  let officeId: string;
  let beforeAnything: string;

  const audit = (path: string, token = auditor) =>
    signet
      .http()
      .get(path)
      .set({ Authorization: `Bearer ${token}`, 'User-Agent': 'audit-e2e' });
  const snapshot = async (step: string) => {
    moments.push({ step, at: signet.clock.now().toISOString(), page: await pageNow(signet, alice) });
    // Steps a minute apart, so that every moment names one state.
    signet.clock.advance(61);
  };
  const expectNoCode = (body: unknown) => {
    const text = JSON.stringify(body);
    for (const code of codes) expect(text).not.toMatch(new RegExp(`(^|[^0-9a-f])${code}([^0-9a-f]|$)`));
  };

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    alice = await Person.signIn(signet, 'alice');
    auditor = await signet.token('audrey', ['auditor']);
    beforeAnything = signet.clock.now().toISOString();
    signet.clock.advance(1);

    // The seed's flow: add a phone, get another code, mistype it, prove it, then a second phone...
    const added = await alice
      .addPhone(MOBILE, {
        'X-Correlation-Id': 'corr-add',
        'X-Request-Id': 'req-add',
        'User-Agent': 'browser/1',
      })
      .expect(201);
    mobileId = added.body.methodId;
    codes.push(signet.codeFor(added.body.code.codeId));
    await snapshot('added');
    const resent = await alice.resend(mobileId).expect(202);
    const code = signet.codeFor(resent.body.code.codeId);
    codes.push(code, wrongCode(code));
    await snapshot('resent');
    await alice.verify(mobileId, wrongCode(code)).expect(400);
    await snapshot('failed');
    await alice.verify(mobileId, code).expect(200);
    await snapshot('verified');
    const office = await alice.addPhone(OFFICE).expect(201);
    officeId = office.body.methodId;
    const officeCode = signet.codeFor(office.body.code.codeId);
    codes.push(officeCode);
    await alice.verify(officeId, officeCode).expect(200);
    await snapshot('office verified');
    await alice.changeDefault({ methodId: officeId, deliveryMethod: 'voice' }).expect(200);
    await snapshot('default changed');
    await alice.deleteMethod(officeId).expect(200);
    await snapshot('office deleted');
  });

  afterAll(async () => {
    await signet.stop();
  });

  describe('GET /v1/audit/users/{userId}/events', () => {
    it('gives the complete history in order, with who, from where, when and why', async () => {
      const res = await audit('/v1/audit/users/alice/events').expect(200);

      const stream = await signet.streamOf('alice');
      expect(res.body.items.map((item: { type: string }) => item.type)).toEqual([
        'PhoneMethodAdded',
        'CodeSent',
        'CodeSent',
        'VerificationFailed',
        'PhoneVerified',
        'DefaultChanged',
        'PhoneMethodAdded',
        'CodeSent',
        'PhoneVerified',
        'DefaultChanged',
        'MethodDeleted',
        'DefaultChanged',
      ]);
      expect(res.body.items).toHaveLength(stream.length);
      expect(res.body.next).toBeNull();
      expect(res.headers['cache-control']).toBe('no-store');
      res.body.items.forEach((item: Record<string, unknown>, index: number) => {
        expect(item).toMatchObject({
          eventId: stream[index].id,
          revision: String(index),
          position: stream[index].position.toString(),
          data: expect.any(Object),
          occurredAt: stream[index].metadata.occurredAt,
          actor: { subject: 'alice', roles: ['user'] },
          commandType: expect.any(String),
          correlationId: expect.any(String),
          causationId: expect.any(String),
          clientAddress: expect.any(String),
          chain: { previousHash: expect.any(String), hash: expect.any(String) },
        });
      });
      const positions = res.body.items.map((item: { position: string }) => BigInt(item.position));
      positions.slice(1).forEach((p: bigint, i: number) => expect(p).toBeGreaterThan(positions[i]));
      expect(res.body.items[0]).toMatchObject({
        correlationId: 'corr-add',
        causationId: 'req-add',
        userAgent: 'browser/1',
        commandType: 'AddPhoneMethod',
      });
      expect(res.body.items[5].data).toMatchObject({ reason: 'firstVerifiedMethod' });
      expect(res.body.items[11].data).toMatchObject({ reason: 'defaultMethodDeleted' });
      expectNoCode(res.body);
    });

    it('masks phone numbers unless an auditor reveals them with a reason', async () => {
      const masked = await audit('/v1/audit/users/alice/events?types=PhoneMethodAdded').expect(200);
      expect(masked.body.phoneNumbers).toBe('masked');
      expect(masked.body.items.map((i: { data: { phoneNumber: string } }) => i.data.phoneNumber)).toEqual([
        '+1 XXXXXXXX00',
        '+1 XXXXXXXX99',
      ]);
      expect(JSON.stringify(masked.body)).not.toContain('4255550100');

      const noReason = await audit('/v1/audit/users/alice/events?reveal=phoneNumbers').expect(400);
      expect(noReason.body).toMatchObject({ code: 'invalid-query-parameter', errors: [{ field: 'reason' }] });

      const revealed = await audit(
        '/v1/audit/users/alice/events?types=PhoneMethodAdded&reveal=phoneNumbers&reason=Case%2042',
      ).expect(200);
      expect(revealed.body.phoneNumbers).toBe('revealed');
      expect(revealed.body.items[0].data.phoneNumber).toBe('+14255550100');
    });

    it('filters by event types and by a time range (from inclusive, to exclusive)', async () => {
      const defaults = await audit('/v1/audit/users/alice/events?types=DefaultChanged,MethodDeleted').expect(
        200,
      );
      expect(defaults.body.items.map((i: { revision: string }) => i.revision)).toEqual([
        '5',
        '9',
        '10',
        '11',
      ]);

      const verified = moments.find((m) => m.step === 'verified')!;
      const officeVerified = moments.find((m) => m.step === 'office verified')!;
      const range = await audit(
        `/v1/audit/users/alice/events?from=${verified.at}&to=${officeVerified.at}`,
      ).expect(200);
      expect(range.body.items.map((i: { type: string }) => i.type)).toEqual([
        'PhoneVerified',
        'DefaultChanged',
      ]);
    });

    it('pages with an opaque cursor and a next link until the end', async () => {
      const seen: string[] = [];
      let next: string | null = '/v1/audit/users/alice/events?limit=5';
      let pages = 0;
      while (next) {
        const res: Response = await audit(next).expect(200);
        seen.push(...res.body.items.map((i: { revision: string }) => i.revision));
        if (res.body.next) expect(res.headers.link).toBe(`<${res.body.next}>; rel="next"`);
        next = res.body.next;
        pages += 1;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 12 }, (_, n) => String(n)));
    });

    it('refuses bad filter values with a 400 problem naming the parameter, and unknown users with 404', async () => {
      const cases: [string, string][] = [
        ['from=yesterday', 'from'],
        ['to=2026-11-26T10:00:00', 'to'],
        ['types=Phone%20Added', 'types'],
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['cursor=bm9wZQ', 'cursor'],
        ['type=CodeSent', 'type'],
        ['reveal=everything&reason=x', 'reveal'],
      ];
      for (const [query, field] of cases) {
        const res = await audit(`/v1/audit/users/alice/events?${query}`);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect({ query, status: res.status, body: res.body }).toMatchObject({
          status: 400,
          body: { code: 'invalid-query-parameter', errors: [{ field }] },
        });
      }
      const unknown = await audit('/v1/audit/users/nobody/events').expect(404);
      expect(unknown.body.code).toBe('no-history');
    });
  });

  describe('GET /v1/audit/users/{userId}/security-info', () => {
    it('rebuilds the page exactly as it stood at each moment, with the event that last changed it', async () => {
      const stream = await signet.streamOf('alice');
      for (const moment of moments) {
        const res = await audit(
          `/v1/audit/users/alice/security-info?asOf=${moment.at}&reveal=phoneNumbers&reason=case-42`,
        ).expect(200);

        expect({ step: moment.step, page: res.body.page }).toEqual({ step: moment.step, page: moment.page });
        const last = stream[Number(moment.page.revision)];
        expect(res.body.lastChange).toMatchObject({ eventId: last.id, type: last.type });
        expectNoCode(res.body);

        // Half a minute later nothing had changed yet; the same moment by revision is the same page.
        const later = new Date(Date.parse(moment.at) + 30_000).toISOString();
        const between = await audit(
          `/v1/audit/users/alice/security-info?asOf=${later}&reveal=phoneNumbers&reason=case-42`,
        ).expect(200);
        expect(between.body.page).toEqual(moment.page);
        const byRevision = await audit(
          `/v1/audit/users/alice/security-info?revision=${moment.page.revision}&reveal=phoneNumbers&reason=case-42`,
        ).expect(200);
        expect(byRevision.body.page).toEqual(moment.page);
      }
    });

    it('shows what the page said at key moments: pending, then default, then the fallback', async () => {
      const at = (step: string) =>
        audit(`/v1/audit/users/alice/security-info?asOf=${moments.find((m) => m.step === step)!.at}`);

      const failed = (await at('failed').expect(200)).body;
      expect(failed.page.methods).toEqual([
        expect.objectContaining({
          methodId: mobileId,
          status: 'pendingVerification',
          phoneNumber: '+1 XXXXXXXX00',
        }),
      ]);
      expect(failed.page.defaultMethod).toBeNull();
      expect(failed.lastChange).toMatchObject({ type: 'VerificationFailed', data: { attemptsRemaining: 4 } });

      const changed = (await at('default changed').expect(200)).body;
      expect(changed.page.defaultMethod).toMatchObject({ methodId: officeId, deliveryMethod: 'voice' });
      expect(changed.page.defaultMethod.label).toContain('XXXXXXXX99');
      expect(changed.lastChange).toMatchObject({ type: 'DefaultChanged', data: { reason: 'user' } });

      const deleted = (await at('office deleted').expect(200)).body;
      expect(deleted.page.methods.map((m: { methodId: string }) => m.methodId)).toEqual([mobileId]);
      expect(deleted.page.defaultMethod).toMatchObject({ methodId: mobileId, deliveryMethod: 'sms' });
    });

    it('before the first event, shows an empty page; refuses bad or impossible moments', async () => {
      const empty = await audit(`/v1/audit/users/alice/security-info?asOf=${beforeAnything}`).expect(200);
      expect(empty.body).toMatchObject({
        page: { userId: 'alice', methods: [], defaultMethod: null, revision: null },
        lastChange: null,
      });

      for (const [query, field] of [
        ['', 'asOf'],
        [`asOf=${beforeAnything}&revision=1`, 'asOf'],
        ['asOf=last%20week', 'asOf'],
        ['revision=-1', 'revision'],
      ]) {
        const res = await audit(`/v1/audit/users/alice/security-info?${query}`).expect(400);
        expect(res.body).toMatchObject({ code: 'invalid-query-parameter', errors: [{ field }] });
      }
      const ahead = await audit('/v1/audit/users/alice/security-info?revision=12').expect(404);
      expect(ahead.body).toMatchObject({ code: 'revision-not-found', currentRevision: '11' });
      await audit('/v1/audit/users/nobody/security-info?revision=0').expect(404);
    });
  });

  describe('who may look, and the record of who looked', () => {
    it('refuses everyone but auditors: 403 for users and admins, 401 without a token', async () => {
      const user = await signet.token('alice', ['user']);
      const admin = await signet.token('root', ['admin', 'operator']);
      const before = (await audit('/v1/audit/access-log?limit=1000').expect(200)).body.items.length;
      for (const path of [
        '/v1/audit/users/alice/events',
        '/v1/audit/users/alice/security-info?revision=0',
        '/v1/audit/access-log',
      ]) {
        for (const token of [user, admin]) {
          const res = await audit(path, token).expect(403);
          expect(res.body).toMatchObject({ code: 'forbidden' });
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
        await signet.http().get(path).expect(401);
      }
      // A refused request read nothing, so it adds nothing to the log (beyond our own two looks).
      const after = (await audit('/v1/audit/access-log?limit=1000').expect(200)).body.items.length;
      expect(after).toBe(before + 1);
    });

    it('records every audit read: who, whose, what, how phone numbers were shown, when, from where', async () => {
      signet.clock.advance(5);
      const when = signet.clock.now().toISOString();
      await audit('/v1/audit/users/alice/events?types=CodeSent&reveal=phoneNumbers&reason=Ticket%207').expect(
        200,
      );
      await audit('/v1/audit/users/alice/security-info?revision=3').expect(200);

      const log: Record<string, unknown>[] = [];
      let next: string | null = '/v1/audit/access-log?limit=10';
      while (next) {
        const res: Response = await audit(next).expect(200);
        log.push(...res.body.items);
        next = res.body.next;
      }
      const [history, asOf] = log.filter((entry) => entry.accessedAt === when);
      expect(history).toMatchObject({
        accessor: { subject: 'audrey', roles: ['auditor'], via: 'api' },
        action: 'history',
        userId: 'alice',
        query: { types: 'CodeSent', reveal: 'phoneNumbers' },
        phoneNumbers: 'revealed',
        reason: 'Ticket 7',
        clientAddress: expect.any(String),
        userAgent: 'audit-e2e',
      });
      expect(asOf).toMatchObject({
        action: 'asOf',
        userId: 'alice',
        query: { revision: '3' },
        phoneNumbers: 'masked',
      });
      expect(log.map((entry) => entry.revision)).toEqual(log.map((_, n) => String(n)));
      const aboutAlice = await audit('/v1/audit/access-log?userId=alice&accessor=audrey&limit=1000').expect(
        200,
      );
      expect(aboutAlice.body.items.length).toBeGreaterThan(2);
      for (const entry of aboutAlice.body.items) {
        expect(entry).toMatchObject({ accessor: { subject: 'audrey' } });
        expect(entry.userId).toBe('alice');
      }
      expect(aboutAlice.body.items.length).toBeLessThan(log.length);
      expect(log.filter((entry) => entry.action === 'accessLog').length).toBeGreaterThan(0);
      expectNoCode(log);

      // The log is its own stream, outside the Security info category the projections read.
      const accesses = (await signet.allEvents()).filter((event) => event.type === 'AuditRecordAccessed');
      expect(new Set(accesses.map((event) => event.streamId))).toEqual(new Set(['auditAccess']));
      expect(accesses.length).toBeGreaterThanOrEqual(log.length);
    });
  });
});
