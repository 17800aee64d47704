import type { RecordedEvent } from '@signet/event-store';
import { DispatchRuntime, readOutbox, signHttpPayload, type MessageSender } from '@signet/messaging';
import { eventually } from '@signet/testing';
import { myPage, staff } from './support/read-side';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp, wrongCode } from './support/signet-app';

/**
 * The rules as the seed (Microsoft's Security info page) and Graph's phoneAuthenticationMethod have them,
 * over HTTP: phone types, SMS-capable numbers, numbers never called, pending methods that are replaced and
 * lapse, changing a number, and what became of each code, on the page.
 */

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const ALTERNATE = { phoneNumber: '+1 425 555 0111', phoneType: 'alternateMobile', deliveryMethod: 'voice' };
const UK_LANDLINE = '+44 20 7946 0018';
const PHONE_METHODS = '/v1/me/security-info/phone-methods';

function expectProblem(res: { status: number; body: Record<string, unknown> }, status: number, code: string) {
  expect(res.body).toMatchObject({ status, code, type: `urn:signet:problem:${code}` });
  expect(res.status).toBe(status);
}

/** PATCH and DELETE of a number change, as the person's front end sends them. */
async function numberChanges(signet: SignetTestApp, person: Person) {
  const token = await signet.token(person.userId);
  return {
    change: (methodId: string, body: object, headers: Record<string, string> = {}) =>
      signet
        .http()
        .patch(`${PHONE_METHODS}/${methodId}`)
        .set({ Authorization: `Bearer ${token}`, ...headers })
        .send(body),
    cancel: (methodId: string) =>
      signet
        .http()
        .delete(`${PHONE_METHODS}/${methodId}/pending-change`)
        .set({ Authorization: `Bearer ${token}` }),
  };
}

describe('Security info rules over HTTP', () => {
  let signet: SignetTestApp;
  let people = 0;
  const newPerson = () => Person.signIn(signet, `rules-user-${++people}`);
  const page = async (person: Person, position?: string) =>
    (await myPage(signet, person.userId, position)).body;

  beforeAll(async () => {
    // A short pending-method TTL: one hour, reached by moving the test clock.
    signet = await SignetTestApp.start({ PENDING_METHOD_TTL_HOURS: '1' });
  });
  afterAll(() => signet.stop());

  describe('a mobile first', () => {
    it('refuses an alternate phone before a mobile with 409 mobile-required, recording nothing', async () => {
      const person = await newPerson();
      expectProblem(await person.addPhone(ALTERNATE), 409, 'mobile-required');
      expect(await signet.streamOf(person.userId)).toHaveLength(0);
      await person.addPhone(MOBILE).expect(201);
      // The refused command stays refused: it is not decided again now that a mobile is there.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await signet.streamOf(person.userId)).toHaveLength(2);
      await person.addPhone(ALTERNATE).expect(201);
    });

    it('lets the mobile be deleted while the alternate phone remains; the page shows it as it is', async () => {
      const person = await newPerson();
      const mobile = await person.addVerifiedPhone(MOBILE);
      const alternate = await person.addVerifiedPhone(ALTERNATE);
      const deleted = await person.deleteMethod(mobile).expect(200);
      const after = await page(person, deleted.body.position);
      expect(after.methods).toEqual([
        expect.objectContaining({ methodId: alternate, phoneType: 'alternateMobile', status: 'verified' }),
      ]);
      expect(after.defaultMethod).toMatchObject({ label: 'Alternate phone - call +1 4255550111' });
    });
  });

  describe('numbers', () => {
    it('refuses "Text me a code" to a UK landline with 400, and takes "Call me"', async () => {
      const person = await newPerson();
      const sms = await person.addPhone({ ...MOBILE, phoneNumber: UK_LANDLINE });
      expectProblem(sms, 400, 'number-cannot-receive-sms');
      expect(sms.body.errors).toEqual([expect.objectContaining({ field: 'deliveryMethod' })]);
      const voice = await person.addPhone({ ...MOBILE, phoneNumber: UK_LANDLINE, deliveryMethod: 'voice' });
      expect(voice.status).toBe(201);
      expect(voice.body).toMatchObject({ phoneNumber: '+44 2079460018', e164: '+442079460018' });
      expect((await page(person, voice.body.position)).methods[0].deliveryMethods).toEqual(['voice']);
      signet.clock.advance(60);
      expectProblem(
        await person.resend(voice.body.methodId, { deliveryMethod: 'sms' }),
        400,
        'number-cannot-receive-sms',
      );
    });

    it.each(['+44 909 879 0000', '+1 900 200 1234', '+979 1 2345 6789'])(
      'refuses the premium-rate number %s with 400 number-not-allowed, by text and by call; nothing is sent',
      async (phoneNumber) => {
        const person = await newPerson();
        expectProblem(await person.addPhone({ ...MOBILE, phoneNumber }), 400, 'number-not-allowed');
        expectProblem(
          await person.addPhone({ ...MOBILE, phoneNumber, deliveryMethod: 'voice' }),
          400,
          'number-not-allowed',
        );
        expect(await signet.streamOf(person.userId)).toHaveLength(0);
      },
    );

    it('labels the default as the seed does: "Phone - text +1 4255550100"', async () => {
      const person = await newPerson();
      const methodId = await person.addVerifiedPhone(MOBILE);
      const after = await page(person, String((await signet.allEvents()).at(-1)!.position));
      expect(after.defaultMethod).toEqual({
        methodId,
        deliveryMethod: 'sms',
        label: 'Phone - text +1 4255550100',
      });
      expect(after.methods[0]).toMatchObject({ phoneNumber: '+1 4255550100', e164: '+14255550100' });
    });
  });

  describe('pending methods never trap a person', () => {
    it('replaces a pending mobile re-added: the old one is removed (replaced), its code dies, the new one gets a code', async () => {
      const person = await newPerson();
      const first = await person.addPhone(MOBILE).expect(201);
      const tooSoon = await person.addPhone({ ...MOBILE, phoneNumber: '+1 425 555 0102' });
      expectProblem(tooSoon, 429, 'resend-cooldown');
      signet.clock.advance(60);
      const second = await person.addPhone({ ...MOBILE, phoneNumber: '+1 425 555 0102' }).expect(201);
      expect(second.body.replacedMethodId).toBe(first.body.methodId);

      const types = (await signet.streamOf(person.userId)).map((e) => [
        e.type,
        (e.data as { reason?: string }).reason,
      ]);
      expect(types).toEqual([
        ['PhoneMethodAdded', undefined],
        ['CodeSent', undefined],
        ['MethodDeleted', 'replaced'],
        ['PhoneMethodAdded', undefined],
        ['CodeSent', undefined],
      ]);
      expectProblem(
        await person.verify(first.body.methodId, signet.codeFor(first.body.code.codeId)),
        404,
        'method-not-found',
      );
      const after = await page(person, second.body.position);
      expect(after.methods).toEqual([
        expect.objectContaining({ methodId: second.body.methodId, phoneNumber: '+1 4255550102' }),
      ]);
      await person.verify(second.body.methodId, signet.codeFor(second.body.code.codeId)).expect(200);
    });

    it('drops a pending method after PENDING_METHOD_TTL_HOURS; page and audit as-of agree; the next command records the lapse', async () => {
      const person = await newPerson();
      const added = await person.addPhone(MOBILE).expect(201);
      const addedAt = signet.clock.now();
      const before = await page(person, added.body.position);
      expect(before.methods[0]).toMatchObject({
        status: 'pendingVerification',
        lapsesAt: new Date(addedAt.getTime() + 3_600_000).toISOString(),
      });

      signet.clock.advance(3600);
      const lapsedPage = await page(person);
      expect(lapsedPage.methods).toEqual([]);
      expect(lapsedPage.revision).toBe(before.revision); // nothing recorded yet: the lapse is a rule of time

      const auditor = await staff(signet, ['auditor']);
      const asOf = (instant: Date) =>
        auditor
          .get(`/v1/audit/users/${person.userId}/security-info?asOf=${instant.toISOString()}`)
          .expect(200);
      expect((await asOf(new Date(addedAt.getTime() + 3_600_000 - 1))).body.page.methods).toHaveLength(1);
      expect((await asOf(new Date(addedAt.getTime() + 3_600_000))).body.page.methods).toEqual([]);

      // The slot is free; the command records the lapse first, at the moment it lapsed.
      const again = await person.addPhone(MOBILE).expect(201);
      expect(again.body.replacedMethodId).toBeNull();
      const events = await signet.streamOf(person.userId);
      expect(events.slice(2).map((e) => e.type)).toEqual(['MethodDeleted', 'PhoneMethodAdded', 'CodeSent']);
      expect(events[2].data).toEqual({
        methodId: added.body.methodId,
        phoneType: 'mobile',
        reason: 'lapsed',
        lapsedAt: new Date(addedAt.getTime() + 3_600_000).toISOString(),
      });
      expect((await asOf(signet.clock.now())).body.page.methods).toEqual([
        expect.objectContaining({ methodId: again.body.methodId }),
      ]);
    });
  });

  it('describes the new routes and page fields in the OpenAPI document', async () => {
    const { body } = await signet.http().get('/openapi.json').expect(200);
    expect(Object.keys(body.paths['/v1/me/security-info/phone-methods/{methodId}'])).toContain('patch');
    expect(Object.keys(body.paths['/v1/me/security-info/phone-methods/{methodId}/pending-change'])).toContain(
      'delete',
    );
    const method = body.components.schemas.SecurityInfoPageMethodView.properties;
    expect(Object.keys(method)).toEqual(
      expect.arrayContaining(['e164', 'extension', 'lapsesAt', 'pendingNumber', 'lastCode']),
    );
    expect(body.components.schemas.LastCodeView.properties.delivery.enum).toEqual([
      'queued',
      'sent',
      'delivered',
      'undeliverable',
      'blocked',
      'failed',
      'skipped',
    ]);
  });

  describe("changing a number (Graph's update)", () => {
    it('keeps the old number, and the default, until the new one is proven; then swaps it in one event', async () => {
      const person = await newPerson();
      const methodId = await person.addVerifiedPhone(MOBILE);
      const { change } = await numberChanges(signet, person);
      signet.clock.advance(60);

      const started = await change(methodId, { phoneNumber: '+1 425 555 0102' });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({
        methodId,
        status: 'verified',
        phoneNumber: '+1 4255550100',
        pendingNumber: '+1 XXXXXXXX02',
        code: { channel: 'sms', destination: '+1 XXXXXXXX02' },
      });
      const during = await page(person, started.body.position);
      expect(during.methods[0]).toMatchObject({
        phoneNumber: '+1 4255550100',
        isDefault: true,
        pendingNumber: '+1 XXXXXXXX02',
        lastCode: { codeId: started.body.code.codeId, delivery: 'queued' },
      });
      expect(during.defaultMethod.label).toBe('Phone - text +1 4255550100');
      expect(JSON.stringify(during)).not.toContain('4255550102');

      const wrong = await person.verify(methodId, wrongCode(signet.codeFor(started.body.code.codeId)));
      expectProblem(wrong, 400, 'code-incorrect');
      const proven = await person.verify(methodId, signet.codeFor(started.body.code.codeId)).expect(200);
      expect(proven.body).toMatchObject({ phoneNumber: '+1 4255550102', numberChanged: true });
      const types = (await signet.streamOf(person.userId)).slice(4).map((e) => e.type);
      expect(types).toEqual([
        'PhoneNumberChangeStarted',
        'CodeSent',
        'VerificationFailed',
        'PhoneNumberChanged',
      ]);
      const after = await page(person, proven.body.position);
      expect(after.methods[0]).toMatchObject({
        phoneNumber: '+1 4255550102',
        pendingNumber: null,
        lastCode: null,
      });
      expect(after.defaultMethod.label).toBe('Phone - text +1 4255550102');
    });

    it('replaces a pending change with a second PATCH, cancels one with DELETE …/pending-change', async () => {
      const person = await newPerson();
      const methodId = await person.addVerifiedPhone(MOBILE);
      const { change, cancel } = await numberChanges(signet, person);
      signet.clock.advance(60);
      const first = await change(methodId, { phoneNumber: '+1 425 555 0102' }).expect(202);
      expectProblem(await change(methodId, { phoneNumber: '+1 425 555 0103' }), 429, 'resend-cooldown');
      signet.clock.advance(60);
      const second = await change(methodId, { phoneNumber: '+1 425 555 0103' }).expect(202);
      expect(second.body.pendingNumber).toBe('+1 XXXXXXXX03');
      // The first change's code died with it.
      expectProblem(
        await person.verify(methodId, signet.codeFor(first.body.code.codeId)),
        400,
        'code-incorrect',
      );

      const cancelled = await cancel(methodId).expect(200);
      expect(cancelled.body).toMatchObject({ methodId, cancelled: true, phoneNumber: '+1 4255550100' });
      expect((await page(person, cancelled.body.position)).methods[0].pendingNumber).toBeNull();
      expectProblem(await cancel(methodId), 404, 'no-pending-change');
      expectProblem(await person.resend(methodId), 409, 'method-already-verified');
    });

    it('applies the number rules to the new number', async () => {
      const person = await newPerson();
      const methodId = await person.addVerifiedPhone(MOBILE);
      const { change } = await numberChanges(signet, person);
      signet.clock.advance(60);
      expectProblem(await change(methodId, { phoneNumber: '+1 900 200 1234' }), 400, 'number-not-allowed');
      expectProblem(await change(methodId, { phoneNumber: UK_LANDLINE }), 400, 'number-cannot-receive-sms');
      expectProblem(await change(methodId, { phoneNumber: '+1 425 555 0100' }), 400, 'number-unchanged');
      expectProblem(await change(methodId, { phoneNumber: '12' }), 400, 'invalid-phone-number');
      expectProblem(
        await change(methodId, { phoneNumber: '+1 425 555 0102', deliveryMethod: 'fax' }),
        400,
        'validation-failed',
      );
      expectProblem(
        await change('0b7a0e2e-0000-4000-8000-000000000000', { phoneNumber: '+1 425 555 0102' }),
        404,
        'method-not-found',
      );
      await change(methodId, { phoneNumber: UK_LANDLINE, deliveryMethod: 'voice' }).expect(202);
    });
  });
});

describe('Delivery status on the page (real Redis, the worker)', () => {
  const HTTP_SECRET = 'http-provider-secret-0123456789abcdef';
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime | null = null;
  let people = 0;
  let numbers = 0;
  const newPerson = () => Person.signIn(signet, `delivery-user-${++people}`);
  const mobile = () => ({
    phoneNumber: `+1 425 555 ${String(500 + ++numbers).padStart(4, '0')}`,
    phoneType: 'mobile',
    deliveryMethod: 'sms',
  });
  const outcomeOf = (userId: string, codeId: string, type: RegExp = /^CodeDeliver|^CodeUndeliverable$/) =>
    eventually(
      async () =>
        (await signet.historyOf(userId)).find(
          (e: RecordedEvent) => type.test(e.type) && (e.data as { codeId?: string }).codeId === codeId,
        ) ?? false,
      { timeoutMs: 10_000, description: `an outcome of ${codeId}` },
    );
  const lastCodeAfter = async (person: Person, position: bigint) => {
    const res = await myPage(signet, person.userId, position.toString());
    return res.body.methods[0].lastCode;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    signet = await SignetTestApp.start({ REDIS_URL: redis.url, SMS_HTTP_SECRET: HTTP_SECRET });
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = null;
  });
  afterAll(async () => {
    await signet?.stop();
    await redis?.destroy();
  });

  it('goes queued → sent with the outbox provider, without moving the page revision', async () => {
    const person = await newPerson();
    const added = await person.addPhone(mobile()).expect(201);
    const queued = await myPage(signet, person.userId, added.body.position);
    expect(queued.body.methods[0].lastCode).toEqual({
      codeId: added.body.code.codeId,
      channel: 'sms',
      sentAt: signet.clock.now().toISOString(),
      expiresAt: added.body.code.expiresAt,
      resendAvailableAt: new Date(signet.clock.now().getTime() + 60_000).toISOString(),
      delivery: 'queued',
      reason: null,
    });

    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    const accepted = await outcomeOf(person.userId, added.body.code.codeId);
    expect(accepted.type).toBe('CodeDeliveryAccepted');
    const sent = await myPage(signet, person.userId, accepted.position.toString());
    expect(sent.body.methods[0].lastCode).toMatchObject({ delivery: 'sent', reason: null });
    expect(sent.body.revision).toBe(queued.body.revision);
    expect(sent.headers.etag).toBe(queued.headers.etag);
    expect(
      readOutbox((signet.config.dispatch.provider as { filename: string }).filename).length,
    ).toBeGreaterThan(0);
    // Codes and full numbers are never on the page.
    const code = signet.codeFor(added.body.code.codeId);
    expect(JSON.stringify(sent.body.methods[0].lastCode)).not.toMatch(new RegExp(`${code}|4255550`));
  });

  it('sends a number change’s code to the new number, and shows its delivery on the page', async () => {
    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    const person = await newPerson();
    const number = mobile();
    const added = await person.addPhone(number).expect(201);
    await outcomeOf(person.userId, added.body.code.codeId);
    await person.verify(added.body.methodId, signet.codeFor(added.body.code.codeId)).expect(200);
    const token = await signet.token(person.userId);
    const newNumber = mobile();
    const started = await signet
      .http()
      .patch(`${PHONE_METHODS}/${added.body.methodId}`)
      .set('Authorization', `Bearer ${token}`)
      .send({ phoneNumber: newNumber.phoneNumber })
      .expect(202);
    const accepted = await outcomeOf(person.userId, started.body.code.codeId);
    const outbox = readOutbox((signet.config.dispatch.provider as { filename: string }).filename);
    expect(outbox.find((line) => line.codeId === started.body.code.codeId)).toMatchObject({
      to: newNumber.phoneNumber.replace(/ /g, ''),
      channel: 'sms',
    });
    expect(await lastCodeAfter(person, accepted.position)).toMatchObject({
      codeId: started.body.code.codeId,
      delivery: 'sent',
    });
  });

  it('goes to blocked, with the limit as its reason, when a destination limit stops the message', async () => {
    const config = structuredClone(signet.config);
    config.dispatch.limits.perDestinationPerHour = 1;
    runtime = await DispatchRuntime.start({
      config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    const number = mobile();
    const first = await newPerson();
    const firstCode = (await first.addPhone(number).expect(201)).body.code.codeId;
    await outcomeOf(first.userId, firstCode);
    const second = await newPerson();
    const secondCode = (await second.addPhone(number).expect(201)).body.code.codeId;
    const blocked = await outcomeOf(second.userId, secondCode);
    expect(blocked.type).toBe('CodeDeliveryBlocked');
    expect(await lastCodeAfter(second, blocked.position)).toMatchObject({
      codeId: secondCode,
      delivery: 'blocked',
      reason: 'destinationHourlyLimit',
    });
  });

  it('goes to undeliverable on a signed delivery report, with the carrier’s reason', async () => {
    let reference = '';
    const quiet: MessageSender = {
      provider: 'http',
      send: async (message) => {
        reference = message.reference;
        return { providerMessageId: 'msg-quiet' };
      },
    };
    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      sender: quiet,
      now: () => signet.clock.now(),
    });
    const person = await newPerson();
    const codeId = (await person.addPhone(mobile()).expect(201)).body.code.codeId;
    await outcomeOf(person.userId, codeId);
    const report = {
      reference,
      messageId: 'msg-quiet',
      status: 'undeliverable',
      reason: 'handset unreachable',
    };
    await signet
      .http()
      .post('/v1/webhooks/sms/http')
      .set('X-Signet-Signature', signHttpPayload(HTTP_SECRET, JSON.stringify(report), signet.clock.now()))
      .send(report)
      .expect(204);
    const undeliverable = await outcomeOf(person.userId, codeId, /^CodeUndeliverable$/);
    expect(await lastCodeAfter(person, undeliverable.position)).toMatchObject({
      codeId,
      delivery: 'undeliverable',
      reason: 'handset unreachable',
    });
  });
});
