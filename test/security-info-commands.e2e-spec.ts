import { Person, SignetTestApp, wrongCode } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const ALTERNATE = { phoneNumber: '+1 425 555 0111', phoneType: 'alternateMobile', deliveryMethod: 'voice' };
const OFFICE = {
  phoneNumber: '+1 425 555 0199',
  phoneType: 'office',
  deliveryMethod: 'voice',
  extension: '1234',
};

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    status,
    code,
    type: expect.stringContaining(code),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(res.status).toBe(status);
}

describe('Security info commands over HTTP', () => {
  let signet: SignetTestApp;
  let userCount = 0;
  const newPerson = () => Person.signIn(signet, `user-${++userCount}`);

  beforeAll(async () => {
    signet = await SignetTestApp.start();
  });
  afterAll(async () => {
    await signet.stop();
  });

  describe('authentication', () => {
    it('refuses a request without a token with 401 problem+json and a Bearer challenge', async () => {
      const res = await signet.http().post('/v1/me/security-info/phone-methods').send(MOBILE);
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('refuses a token signed with another secret, and an expired token', async () => {
      const { issueToken } = await import('@signet/auth');
      const forged = await issueToken(
        { mode: 'secret', secret: new TextEncoder().encode('x'.repeat(32)) },
        { subject: 'mallory', roles: ['admin'] },
      );
      const expired = await issueToken(signet.config.jwt, {
        subject: 'alice',
        roles: ['user'],
        ttlSeconds: -10,
      });
      for (const token of [forged, expired, 'not-a-jwt']) {
        const res = await signet
          .http()
          .post('/v1/me/security-info/phone-methods')
          .set('Authorization', `Bearer ${token}`)
          .send(MOBILE);
        expectProblem(res, 401, 'unauthorized');
        expect(res.headers['www-authenticate']).toContain('invalid_token');
      }
      expect(await signet.streamOf('mallory')).toHaveLength(0);
    });
  });

  describe('adding a phone (Text me a code)', () => {
    it('records the method pending verification and sends a code, without revealing it', async () => {
      const person = await newPerson();
      const res = await person.addPhone(MOBILE).expect(201);
      expect(res.body).toEqual({
        methodId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'pendingVerification',
        phoneType: 'mobile',
        phoneNumber: '+1 4255550100',
        e164: '+14255550100',
        replacedMethodId: null,
        code: {
          codeId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          channel: 'sms',
          destination: '+1 XXXXXXXX00',
          expiresAt: '2026-11-26T10:10:00.000Z',
        },
        revision: '1',
        position: expect.stringMatching(/^\d+$/),
      });
      expect(res.headers.etag).toBe('"1"');
      const code = signet.codeFor(res.body.code.codeId);
      expect(JSON.stringify(res.body)).not.toContain(code);

      const events = await signet.streamOf(person.userId);
      expect(events.map((e) => e.type)).toEqual(['PhoneMethodAdded', 'CodeSent']);
      expect(events[1].position.toString()).toBe(res.body.position);
      expect(events[0].metadata).toMatchObject({
        eventId: events[0].id,
        occurredAt: '2026-11-26T10:00:00.000Z',
        actor: { subject: person.userId, roles: ['user'] },
        correlationId: expect.any(String),
        causationId: expect.any(String),
        clientAddress: expect.any(String),
        userAgent: null,
        schemaVersion: 2,
      });
    });

    it('normalises a national number given with its country', async () => {
      const person = await newPerson();
      const res = await person
        .addPhone({
          phoneNumber: '(425) 555-0100',
          countryCode: 'US',
          phoneType: 'mobile',
          deliveryMethod: 'sms',
        })
        .expect(201);
      expect(res.body).toMatchObject({ phoneNumber: '+1 4255550100', e164: '+14255550100' });
    });

    it('keeps an office extension', async () => {
      const person = await newPerson();
      const res = await person.addPhone(OFFICE).expect(201);
      expect(res.body).toMatchObject({ phoneNumber: '+1 4255550199x1234', e164: '+14255550199' });
    });

    it('records correlation and client details from the request', async () => {
      const person = await newPerson();
      await person
        .addPhone(MOBILE, { 'X-Correlation-Id': 'corr-42', 'User-Agent': 'SecurityInfoPage/1.0' })
        .expect(201);
      const [added] = await signet.streamOf(person.userId);
      expect(added.metadata).toMatchObject({ correlationId: 'corr-42', userAgent: 'SecurityInfoPage/1.0' });
    });

    it.each([
      [{ ...MOBILE, phoneNumber: '12' }, 'invalid-phone-number', 'phoneNumber'],
      [{ ...MOBILE, phoneNumber: '(425) 555-0100' }, 'invalid-phone-number', 'phoneNumber'],
      [{ ...OFFICE, deliveryMethod: 'sms' }, 'delivery-method-not-allowed', 'deliveryMethod'],
      [{ ...MOBILE, extension: '12' }, 'extension-not-allowed', 'extension'],
      [{ ...MOBILE, phoneType: 'pager' }, 'validation-failed', 'phoneType'],
      [{ ...MOBILE, deliveryMethod: 'carrier-pigeon' }, 'validation-failed', 'deliveryMethod'],
      [{ phoneType: 'mobile', deliveryMethod: 'sms' }, 'validation-failed', 'phoneNumber'],
      [{ ...MOBILE, countryCode: 'USA' }, 'validation-failed', 'countryCode'],
      [{ ...MOBILE, favouriteColour: 'blue' }, 'validation-failed', 'favouriteColour'],
    ])('refuses bad input %j with 400 %s naming %s, recording nothing', async (body, code, field) => {
      const person = await newPerson();
      const res = await person.addPhone(body);
      expectProblem(res, 400, code);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await signet.streamOf(person.userId)).toHaveLength(0);
    });

    it('refuses malformed JSON with a 400 problem', async () => {
      const person = await newPerson();
      const res = await person
        .post('/v1/me/security-info/phone-methods')
        .set('Content-Type', 'application/json')
        .send('{"phoneNumber":');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it("carries no ETag but the revision: none on a refusal before any history, none of Express's making", async () => {
      const person = await newPerson();
      const refused = await person.addPhone({ ...MOBILE, phoneType: 'pager' }).expect(400);
      expect(refused.headers.etag).toBeUndefined();
      const empty = await signet
        .http()
        .get('/v1/me/security-info')
        .set('Authorization', `Bearer ${await signet.token(person.userId)}`)
        .expect(200);
      expect(empty.body.revision).toBeNull();
      expect(empty.headers.etag).toBeUndefined();
    });

    it('refuses a second phone of a type whose phone is verified with 409', async () => {
      const person = await newPerson();
      await person.addVerifiedPhone(MOBILE);
      const res = await person.addPhone({ ...MOBILE, phoneNumber: '+1 425 555 0123' });
      expectProblem(res, 409, 'phone-type-taken');
      expect(await signet.streamOf(person.userId)).toHaveLength(4);
    });
  });

  describe('resending a code', () => {
    it('sends a new code after the cooldown, and refuses inside it with 429 and Retry-After', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      const methodId = added.body.methodId;

      const tooSoon = await person.resend(methodId);
      expectProblem(tooSoon, 429, 'resend-cooldown');
      expect(tooSoon.body.retryAt).toBe('2026-11-26T10:01:00.000Z');
      expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);

      signet.clock.advance(60);
      const resent = await person.resend(methodId).expect(202);
      expect(resent.body).toMatchObject({ methodId, code: { channel: 'sms' }, revision: '2' });
      expect(resent.body.code.codeId).not.toBe(added.body.code.codeId);
      expect(resent.headers.etag).toBe('"2"');
    });

    it('switches to a call when asked', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      signet.clock.advance(60);
      const resent = await person.resend(added.body.methodId, { deliveryMethod: 'voice' }).expect(202);
      expect(resent.body.code.channel).toBe('voice');
    });

    it('refuses a sixth code within the hour with 429 code-limit-reached', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      for (let i = 0; i < 4; i++) {
        signet.clock.advance(61);
        await person.resend(added.body.methodId).expect(202);
      }
      signet.clock.advance(61);
      const res = await person.resend(added.body.methodId);
      expectProblem(res, 429, 'code-limit-reached');
      expect(res.headers['retry-after']).toBeDefined();
      expect(await signet.streamOf(person.userId)).toHaveLength(6);
    });

    it('refuses an unknown method with 404 and a verified one with 409', async () => {
      const person = await newPerson();
      expectProblem(await person.resend('0b7a0e2e-0000-4000-8000-000000000000'), 404, 'method-not-found');
      const methodId = await person.addVerifiedPhone(MOBILE);
      signet.clock.advance(60);
      expectProblem(await person.resend(methodId), 409, 'method-already-verified');
    });
  });

  describe('verifying the phone with its code', () => {
    it('verifies with the right code and makes it the default when there is none', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      const res = await person
        .verify(added.body.methodId, signet.codeFor(added.body.code.codeId))
        .expect(200);
      expect(res.body).toEqual({
        methodId: added.body.methodId,
        status: 'verified',
        phoneNumber: '+1 4255550100',
        numberChanged: false,
        defaultMethod: {
          methodId: added.body.methodId,
          deliveryMethod: 'sms',
          label: 'Phone - text +1 4255550100',
        },
        revision: '3',
        position: expect.any(String),
      });
      const types = (await signet.streamOf(person.userId)).map((e) => e.type);
      expect(types).toEqual(['PhoneMethodAdded', 'CodeSent', 'PhoneVerified', 'DefaultChanged']);
    });

    it('counts down wrong codes, then locks the code until a new one is sent', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      const right = signet.codeFor(added.body.code.codeId);
      for (const left of [4, 3, 2, 1, 0]) {
        const res = await person.verify(added.body.methodId, wrongCode(right));
        expectProblem(res, 400, 'code-incorrect');
        expect(res.body.attemptsRemaining).toBe(left);
      }
      expectProblem(await person.verify(added.body.methodId, right), 409, 'code-locked');

      signet.clock.advance(60);
      const resent = await person.resend(added.body.methodId).expect(202);
      await person.verify(added.body.methodId, signet.codeFor(resent.body.code.codeId)).expect(200);
    });

    it('refuses an expired code with 410', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      signet.clock.advance(600);
      expectProblem(
        await person.verify(added.body.methodId, signet.codeFor(added.body.code.codeId)),
        410,
        'code-expired',
      );
    });

    it('kills the earlier code when a new one is sent', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      signet.clock.advance(60);
      await person.resend(added.body.methodId).expect(202);
      expectProblem(
        await person.verify(added.body.methodId, signet.codeFor(added.body.code.codeId)),
        400,
        'code-incorrect',
      );
    });

    it('refuses an already verified phone with 409, an unknown method with 404, a malformed code with 400', async () => {
      const person = await newPerson();
      const methodId = await person.addVerifiedPhone(MOBILE);
      expectProblem(await person.verify(methodId, '123456'), 409, 'method-already-verified');
      expectProblem(await person.verify('no-such-method', '123456'), 404, 'method-not-found');
      const malformed = await person.verify(methodId, '12ab');
      expectProblem(malformed, 400, 'validation-failed');
      expect(malformed.body.errors[0].field).toBe('code');
    });

    it('never writes a code into an event', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      signet.clock.advance(60);
      const resent = await person.resend(added.body.methodId).expect(202);
      const codes = [added, resent].map((r) => signet.codeFor(r.body.code.codeId));
      await person.verify(added.body.methodId, codes[0]).expect(400);
      await person.verify(added.body.methodId, codes[1]).expect(200);
      const recorded = JSON.stringify(
        (await signet.streamOf(person.userId)).map((e) => ({ data: e.data, metadata: e.metadata })),
      );
      for (const code of codes) expect(recorded).not.toMatch(new RegExp(`(^|[^0-9a-f])${code}([^0-9a-f]|$)`));
    });
  });

  describe('deleting a method', () => {
    it('deletes a pending method and leaves the default alone', async () => {
      const person = await newPerson();
      const mobile = await person.addVerifiedPhone(MOBILE);
      const office = (await person.addPhone(OFFICE).expect(201)).body.methodId;
      const res = await person.deleteMethod(office).expect(200);
      expect(res.body).toMatchObject({
        methodId: office,
        deleted: true,
        defaultMethod: { methodId: mobile },
      });
    });

    it('moves the default to the next verified method in the documented order, then to none', async () => {
      const person = await newPerson();
      const mobile = await person.addVerifiedPhone(MOBILE);
      const office = await person.addVerifiedPhone(OFFICE);
      const alternate = await person.addVerifiedPhone(ALTERNATE);

      const first = await person.deleteMethod(mobile).expect(200);
      expect(first.body.defaultMethod).toEqual({
        methodId: alternate,
        deliveryMethod: 'voice',
        label: 'Alternate phone - call +1 4255550111',
      });
      const second = await person.deleteMethod(alternate).expect(200);
      expect(second.body.defaultMethod).toEqual({
        methodId: office,
        deliveryMethod: 'voice',
        label: 'Office phone - call +1 4255550199x1234',
      });
      const last = await person.deleteMethod(office).expect(200);
      expect(last.body.defaultMethod).toBeNull();

      const changes = (await signet.streamOf(person.userId))
        .filter((e) => e.type === 'DefaultChanged')
        .map((e) => e.data.reason);
      expect(changes).toEqual([
        'firstVerifiedMethod',
        'defaultMethodDeleted',
        'defaultMethodDeleted',
        'defaultMethodDeleted',
      ]);
    });

    it('refuses an unknown or already deleted method with 404', async () => {
      const person = await newPerson();
      const methodId = (await person.addPhone(MOBILE).expect(201)).body.methodId;
      await person.deleteMethod(methodId).expect(200);
      expectProblem(await person.deleteMethod(methodId), 404, 'method-not-found');
    });

    it('lets the same phone type be added again after deletion, once the resend cooldown has passed', async () => {
      const person = await newPerson();
      const methodId = (await person.addPhone(MOBILE).expect(201)).body.methodId;
      await person.deleteMethod(methodId).expect(200);
      // Adding observes the cooldown of the deleted method's code (add-and-delete loops mint no codes).
      expectProblem(await person.addPhone(MOBILE), 429, 'resend-cooldown');
      signet.clock.advance(signet.config.policy.resendCooldownSeconds);
      await person.addPhone(MOBILE).expect(201);
    });
  });

  describe('changing the default sign-in method', () => {
    it('changes to a verified method, and choosing the current default again records nothing', async () => {
      const person = await newPerson();
      const mobile = await person.addVerifiedPhone(MOBILE);
      const office = await person.addVerifiedPhone(OFFICE);

      const res = await person.changeDefault({ methodId: office, deliveryMethod: 'voice' }).expect(200);
      expect(res.body).toMatchObject({
        defaultMethod: {
          methodId: office,
          deliveryMethod: 'voice',
          label: 'Office phone - call +1 4255550199x1234',
        },
        changed: true,
      });
      const again = await person.changeDefault({ methodId: office, deliveryMethod: 'voice' }).expect(200);
      expect(again.body).toMatchObject({
        changed: false,
        revision: res.body.revision,
        position: res.body.position,
      });

      const call = await person.changeDefault({ methodId: mobile, deliveryMethod: 'voice' }).expect(200);
      expect(call.body.defaultMethod.label).toBe('Phone - call +1 4255550100');
    });

    it('refuses a pending method with 409, sms on an office phone with 400, an unknown method with 404', async () => {
      const person = await newPerson();
      await person.addVerifiedPhone(MOBILE);
      const office = await person.addVerifiedPhone(OFFICE);
      const pending = (await person.addPhone(ALTERNATE).expect(201)).body.methodId;
      expectProblem(
        await person.changeDefault({ methodId: pending, deliveryMethod: 'voice' }),
        409,
        'method-not-verified',
      );
      expectProblem(
        await person.changeDefault({ methodId: office, deliveryMethod: 'sms' }),
        400,
        'delivery-method-not-allowed',
      );
      expectProblem(
        await person.changeDefault({ methodId: 'nope', deliveryMethod: 'voice' }),
        404,
        'method-not-found',
      );
      expectProblem(await person.changeDefault({ methodId: office }), 400, 'validation-failed');
    });
  });

  describe('optimistic concurrency', () => {
    it('honours If-Match: a stale revision gets 412 and records nothing, the current one goes through', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      const stale = await person.addPhone(OFFICE, { 'If-Match': '"0"' });
      expectProblem(stale, 412, 'precondition-failed');
      expect(stale.body.currentRevision).toBe('1');
      await person.addPhone(OFFICE, { 'If-Match': added.headers.etag }).expect(201);
      expectProblem(await person.addPhone(ALTERNATE, { 'If-Match': 'yesterday' }), 400, 'invalid-if-match');
    });

    it('loses no update when commands on one user race', async () => {
      const person = await newPerson();
      // A mobile first: an alternate phone needs one (mobile-required), so it cannot race the mobile.
      const mobile = await person.addPhone(MOBILE).expect(201);
      signet.clock.advance(60);
      const results = [
        mobile,
        ...(await Promise.all([
          person.addPhone(ALTERNATE),
          person.addPhone(OFFICE),
          person.resend(mobile.body.methodId),
        ])),
      ];
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 202]);
      const events = await signet.streamOf(person.userId);
      expect(events.filter((e) => e.type === 'PhoneMethodAdded')).toHaveLength(3);
      expect(new Set(results.map((r) => r.body.revision)).size).toBe(4);
    });

    it('keeps one rule under a race: two mobiles added at once, exactly one wins', async () => {
      const person = await newPerson();
      const results = await Promise.all(
        [0, 1, 2, 3].map((i) => person.addPhone({ ...MOBILE, phoneNumber: `+1 425 555 010${i}` })),
      );
      // The others, decided again on the winner's pending mobile, would replace it, but not within the
      // resend cooldown of its code: 429, nothing recorded.
      expect(results.map((r) => r.status).sort()).toEqual([201, 429, 429, 429]);
      expect(results.filter((r) => r.status === 429).map((r) => r.body.code)).toEqual([
        'resend-cooldown',
        'resend-cooldown',
        'resend-cooldown',
      ]);
      expect(await signet.streamOf(person.userId)).toHaveLength(2);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the first answer and records nothing new', async () => {
      const person = await newPerson();
      const first = await person.addPhone(MOBILE, { 'Idempotency-Key': 'add-1' }).expect(201);
      const retry = await person.addPhone(MOBILE, { 'Idempotency-Key': 'add-1' }).expect(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.etag).toBe(first.headers.etag);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await signet.streamOf(person.userId)).toHaveLength(2);
    });

    it('replays a wrong-code answer without counting the attempt twice', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      const wrong = wrongCode(signet.codeFor(added.body.code.codeId));
      const first = await person.verify(added.body.methodId, wrong, { 'Idempotency-Key': 'v-1' });
      const retry = await person.verify(added.body.methodId, wrong, { 'Idempotency-Key': 'v-1' });
      expectProblem(retry, 400, 'code-incorrect');
      expect(retry.body).toEqual(first.body);
      expect(retry.body.attemptsRemaining).toBe(4);
      expect(
        (await signet.streamOf(person.userId)).filter((e) => e.type === 'VerificationFailed'),
      ).toHaveLength(1);
    });

    it('refuses the same key for a different request with 422', async () => {
      const person = await newPerson();
      await person.addPhone(MOBILE, { 'Idempotency-Key': 'k' }).expect(201);
      expectProblem(await person.addPhone(OFFICE, { 'Idempotency-Key': 'k' }), 422, 'idempotency-key-reused');
    });

    it('keeps keys per person', async () => {
      const [a, b] = [await newPerson(), await newPerson()];
      await a.addPhone(MOBILE, { 'Idempotency-Key': 'shared' }).expect(201);
      const res = await b.addPhone(MOBILE, { 'Idempotency-Key': 'shared' }).expect(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    });

    it('does not keep a refusal for bad input or a passing limit: the retry runs afresh', async () => {
      const person = await newPerson();
      await person.addPhone({ ...MOBILE, phoneNumber: '12' }, { 'Idempotency-Key': 'fix-me' }).expect(400);
      const again = await person.addPhone({ ...MOBILE, phoneNumber: '12' }, { 'Idempotency-Key': 'fix-me' });
      expect(again.status).toBe(400);
      expect(again.headers['idempotent-replayed']).toBeUndefined();

      const added = await person.addPhone(MOBILE).expect(201);
      await person.resend(added.body.methodId, {}, { 'Idempotency-Key': 'later' }).expect(429);
      signet.clock.advance(60);
      await person.resend(added.body.methodId, {}, { 'Idempotency-Key': 'later' }).expect(202);
    });

    it('keeps a conflict as the answer to its key', async () => {
      const person = await newPerson();
      await person.addVerifiedPhone(MOBILE);
      const first = await person.addPhone(MOBILE, { 'Idempotency-Key': 'dup' });
      expectProblem(first, 409, 'phone-type-taken');
      const retry = await person.addPhone(MOBILE, { 'Idempotency-Key': 'dup' });
      expectProblem(retry, 409, 'phone-type-taken');
      expect(retry.headers['idempotent-replayed']).toBe('true');
    });
  });

  describe('service endpoints', () => {
    it('serves liveness, readiness and the OpenAPI document without a token', async () => {
      await signet.http().get('/health/live').expect(200, { status: 'ok' });
      const ready = await signet.http().get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({
        status: 'ok',
        dependencies: { eventStore: { status: 'up' }, idempotencyStore: { status: 'up' } },
      });
      const openapi = await signet.http().get('/openapi.json').expect(200);
      expect(Object.keys(openapi.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/me/security-info/phone-methods',
          '/v1/me/security-info/phone-methods/{methodId}/resend',
          '/v1/me/security-info/phone-methods/{methodId}/verify',
          '/v1/me/security-info/methods/{methodId}',
          '/v1/me/security-info/default-method',
        ]),
      );
    });

    it('answers an unknown route with a 404 problem', async () => {
      const res = await signet
        .http()
        .get('/v1/nowhere')
        .set('Authorization', `Bearer ${await signet.token('x')}`);
      expectProblem(res, 404, 'route-not-found');
    });

    it('echoes the correlation id', async () => {
      const res = await signet.http().get('/health/live').set('X-Correlation-Id', 'trace-7');
      expect(res.headers['x-correlation-id']).toBe('trace-7');
    });
  });
});
