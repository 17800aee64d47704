import type { OutboxLine } from '@signet/messaging';
import { DispatchRuntime, readOutbox, signHttpPayload, type MessageSender } from '@signet/messaging';
import type { RecordedEvent } from '@signet/event-store';
import { eventually } from '@signet/testing';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp, wrongCode } from './support/signet-app';

const HTTP_SECRET = 'http-provider-secret-0123456789abcdef';

/**
 * Sign-in challenges over HTTP (issue 15): a trusted service (role `signInService`) challenges a registered
 * person with their phone; the code goes through the same dispatcher, queue, worker and provider as
 * registration codes (a real private Redis, the outbox provider), with its own message text.
 */
describe('Sign-in challenges (POST /v1/users/{userId}/challenges, /v1/challenges/{challengeId}/…)', () => {
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime | null = null;
  let service: string;
  let people = 0;
  let numbers = 0;

  const number = () => `+1 425 555 ${String(300 + ++numbers).padStart(4, '0')}`;
  const asService = (token = service) => ({
    start: (userId: string, body: object) =>
      signet.http().post(`/v1/users/${userId}/challenges`).set('Authorization', `Bearer ${token}`).send(body),
    resend: (challengeId: string, body: object = {}) =>
      signet
        .http()
        .post(`/v1/challenges/${challengeId}/resend`)
        .set('Authorization', `Bearer ${token}`)
        .send(body),
    verify: (challengeId: string, code: string) =>
      signet
        .http()
        .post(`/v1/challenges/${challengeId}/verify`)
        .set('Authorization', `Bearer ${token}`)
        .send({ code }),
  });
  const idp = () => asService();

  /** A person with a verified mobile (texts, the default) and a verified alternate phone (calls). */
  const registeredPerson = async () => {
    const person = await Person.signIn(signet, `challenged-${++people}`);
    const mobile = number();
    const alternate = number();
    const mobileId = await person.addVerifiedPhone({
      phoneNumber: mobile,
      phoneType: 'mobile',
      deliveryMethod: 'sms',
    });
    signet.clock.advance(61); // the add-phone cooldown of the account's last code
    const alternateId = await person.addVerifiedPhone({
      phoneNumber: alternate,
      phoneType: 'alternateMobile',
      deliveryMethod: 'voice',
    });
    const e164 = (n: string) => n.replace(/\s/g, '');
    return { person, mobileId, alternateId, mobile: e164(mobile), alternate: e164(alternate) };
  };

  const outbox = (): OutboxLine[] =>
    readOutbox((signet.config.dispatch.provider as { filename: string }).filename);
  const messageTo = (to: string, body: RegExp) =>
    eventually(() => outbox().find((line) => line.to === to && body.test(line.body)) ?? false, {
      timeoutMs: 10_000,
      description: `a message to ${to} matching ${body}`,
    });
  const history = async (userId: string) => {
    const auditor = await signet.token('auditor-1', ['auditor']);
    const res = await signet
      .http()
      .get(`/v1/audit/users/${userId}/events?limit=500`)
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    return res.body.items as Array<{
      type: string;
      data: Record<string, unknown>;
      actor: { subject: string };
    }>;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    signet = await SignetTestApp.start({
      REDIS_URL: redis.url,
      OTP_DOMAIN: 'signet.test',
      SMS_HTTP_SECRET: HTTP_SECRET,
      MAX_FAILED_CHALLENGES_PER_HOUR: '3',
    });
    service = await signet.token('idp', ['signInService']);
    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await signet?.stop();
    await redis?.destroy();
  });

  it("challenges the default method, verifies once, counts a wrong code down, and leaves the page's revision alone", async () => {
    const { person, mobileId, alternateId, mobile } = await registeredPerson();
    const readPage = () => person.get('/v1/me/security-info');
    const before = await readPage().expect(200);
    const etag = before.headers.etag as string;

    const started = await idp().start(person.userId, { purpose: 'signIn' }).expect(201);
    expect(started.body).toEqual({
      challengeId: expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/),
      purpose: 'signIn',
      methodId: mobileId,
      channel: 'sms',
      destination: `+1 XXXXXXXX${mobile.slice(-2)}`,
      expiresAt: new Date(signet.clock.now().getTime() + 600_000).toISOString(),
      resendAvailableAt: new Date(signet.clock.now().getTime() + 60_000).toISOString(),
    });
    const { challengeId } = started.body as { challengeId: string };

    const line = await messageTo(mobile, /^Your Signet sign-in code is \d{6}\./);
    expect(line.channel).toBe('sms');
    const code = /#(\d{6})$/.exec(line.body)![1];

    const wrong = await idp().verify(challengeId, wrongCode(code)).expect(400);
    expect(wrong.body).toMatchObject({ code: 'code-incorrect', attemptsRemaining: 4 });
    const right = await idp().verify(challengeId, code).expect(200);
    expect(right.body).toEqual({
      result: 'succeeded',
      challengeId,
      purpose: 'signIn',
      methodId: mobileId,
      channel: 'sms',
      verifiedAt: signet.clock.now().toISOString(),
    });
    const replayed = await idp().verify(challengeId, code).expect(409);
    expect(replayed.body).toMatchObject({ code: 'challenge-completed' });

    // The page shows when the method was last used; its revision and ETag have not moved.
    const after = await eventually(
      async () => {
        const res = await readPage().expect(200);
        return res.body.methods.some((m: { lastUsedAt: string | null }) => m.lastUsedAt) && res;
      },
      { timeoutMs: 10_000, description: 'lastUsedAt on the page' },
    );
    expect(after.body.revision).toBe(before.body.revision);
    expect(after.headers.etag).toBe(etag);
    const methods = after.body.methods as Array<{ methodId: string; lastUsedAt: string | null }>;
    expect(methods.find((m) => m.methodId === mobileId)?.lastUsedAt).toBe(right.body.verifiedAt);
    expect(methods.find((m) => m.methodId === alternateId)?.lastUsedAt).toBeNull();
    // A command with the ETag read before the challenge still passes its If-Match.
    await person
      .changeDefault({ methodId: alternateId, deliveryMethod: 'voice' }, { 'If-Match': etag })
      .expect(200);
    // Nothing of the challenge is on the Security info stream.
    expect((await signet.streamOf(person.userId)).some((e) => e.type.startsWith('SignInChallenge'))).toBe(
      false,
    );

    // The auditor's history shows the challenge, with the requesting service, and its code's delivery.
    const items = await eventually(
      async () => {
        const found = await history(person.userId);
        return found.some((e) => e.type === 'CodeDeliveryAccepted' && e.data.codeId === line.codeId) && found;
      },
      { timeoutMs: 10_000, description: "the challenge code's delivery in the history" },
    );
    const challengeEvents = items.filter((e) => e.type.startsWith('SignInChallenge'));
    expect(challengeEvents.map((e) => e.type)).toEqual([
      'SignInChallengeStarted',
      'SignInChallengeCodeSent',
      'SignInChallengeFailed',
      'SignInChallengeSucceeded',
    ]);
    expect(challengeEvents[0].data).toMatchObject({ challengeId, purpose: 'signIn', requestedBy: 'idp' });
    for (const event of challengeEvents) expect(event.actor.subject).toBe('idp');
    expect(challengeEvents[1].data).toMatchObject({ codeId: line.codeId, channel: 'sms' });
    // The code itself is nowhere in the events.
    expect(JSON.stringify((await signet.allEvents()).map((e) => e.data))).not.toContain(code);
  });

  it('switches to the alternate phone by voice, with the password reset wording', async () => {
    const { person, alternateId, alternate } = await registeredPerson();
    const started = await idp().start(person.userId, { purpose: 'passwordReset' }).expect(201);
    const { challengeId } = started.body as { challengeId: string };
    const switched = await idp()
      .resend(challengeId, { methodId: alternateId, deliveryMethod: 'voice' })
      .expect(202);
    expect(switched.body).toMatchObject({
      challengeId,
      purpose: 'passwordReset',
      methodId: alternateId,
      channel: 'voice',
      destination: `+1 XXXXXXXX${alternate.slice(-2)}`,
    });
    const call = await messageTo(alternate, /^Your Signet password reset code is \d, \d, \d, \d, \d, \d\./);
    expect(call.channel).toBe('voice');
    const verified = await idp().verify(challengeId, signet.codeFor(call.codeId)).expect(200);
    expect(verified.body).toMatchObject({
      methodId: alternateId,
      channel: 'voice',
      purpose: 'passwordReset',
    });
  });

  it('refuses every challenge with 429 and Retry-After once the person has too many wrong codes', async () => {
    const { person } = await registeredPerson();
    const { challengeId } = (await idp().start(person.userId, { purpose: 'signIn' }).expect(201)).body;
    const codeSent = (await signet.historyOf(person.userId)).find(
      (e) => e.type === 'SignInChallengeCodeSent',
    )!;
    const code = signet.codeFor((codeSent.data as { codeId: string }).codeId);
    for (const attemptsRemaining of [4, 3, 2]) {
      const wrong = await idp().verify(challengeId, wrongCode(code)).expect(400);
      expect(wrong.body).toMatchObject({ code: 'code-incorrect', attemptsRemaining });
    }
    // Even the right code: the person's challenges are locked for the hour.
    const limited = await idp().verify(challengeId, code).expect(429);
    expect(limited.body).toMatchObject({ code: 'too-many-failed-challenges' });
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(Date.parse(limited.body.retryAt) - signet.clock.now().getTime()).toBeGreaterThan(3500_000);
    signet.clock.advance(61);
    await idp().start(person.userId, { purpose: 'signIn' }).expect(429);
    signet.clock.advance(3600);
    await idp().start(person.userId, { purpose: 'signIn' }).expect(201);
  });

  it('is for signInService tokens only; refuses a person with no verified method and an unknown challenge', async () => {
    const { person } = await registeredPerson();
    const user = asService(await signet.token(person.userId));
    expect((await user.start(person.userId, { purpose: 'signIn' })).body).toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    expect((await user.verify('YWxpY2U.AAAAAAAAAAAAAAAAAAAAAA', '123456')).status).toBe(403);
    expect((await user.resend('YWxpY2U.AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(403);

    const newcomer = await Person.signIn(signet, `challenged-${++people}`);
    await newcomer
      .addPhone({ phoneNumber: number(), phoneType: 'mobile', deliveryMethod: 'sms' })
      .expect(201);
    const none = await idp().start(newcomer.userId, { purpose: 'signIn' }).expect(409);
    expect(none.body).toMatchObject({ code: 'no-sign-in-method' });

    const unknown = await idp().verify(
      `${Buffer.from(person.userId).toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`,
      '123456',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'challenge-not-found' });
    expect((await idp().verify('not-a-challenge', '123456')).body).toMatchObject({
      code: 'challenge-not-found',
    });
  });

  it('are in the OpenAPI document', async () => {
    const { body } = await signet.http().get('/openapi.json').expect(200);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/users/{userId}/challenges',
        '/v1/challenges/{challengeId}/resend',
        '/v1/challenges/{challengeId}/verify',
      ]),
    );
    expect(body.paths['/v1/users/{userId}/challenges'].post.responses['201']).toBeDefined();
    expect(body.components.schemas.ChallengeCodeSentResponse.required).toEqual(
      expect.arrayContaining([
        'challengeId',
        'methodId',
        'channel',
        'destination',
        'expiresAt',
        'resendAvailableAt',
      ]),
    );
    expect(body.components.schemas.SecurityInfoPageMethodView.properties.lastUsedAt).toBeDefined();
  });

  it("records a provider's delivery report for a challenge code", async () => {
    await runtime?.close();
    // By code: the person's registration code may be sent after the challenge's (the jobs run concurrently).
    const references = new Map<string, string>();
    const quiet: MessageSender = {
      provider: 'http',
      send: async (message) => {
        references.set(message.codeId, message.reference);
        return { providerMessageId: 'msg-challenge' };
      },
    };
    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      sender: quiet,
      now: () => signet.clock.now(),
    });
    const { person } = await registeredPerson();
    await idp().start(person.userId, { purpose: 'signIn' }).expect(201);
    const codeSent = await eventually(
      async () =>
        (await signet.historyOf(person.userId)).find((e) => e.type === 'SignInChallengeCodeSent') ?? false,
      { timeoutMs: 10_000, description: 'the challenge code' },
    );
    const codeId = (codeSent.data as { codeId: string }).codeId;
    const accepted = (e: RecordedEvent) =>
      e.type === 'CodeDeliveryAccepted' && (e.data as { codeId: string }).codeId === codeId;
    await eventually(async () => (await signet.historyOf(person.userId)).some(accepted), {
      timeoutMs: 10_000,
      description: 'the challenge code accepted by the provider',
    });
    const report = { reference: references.get(codeId), messageId: 'msg-challenge', status: 'delivered' };
    await signet
      .http()
      .post('/v1/webhooks/sms/http')
      .set('X-Signet-Signature', signHttpPayload(HTTP_SECRET, JSON.stringify(report), signet.clock.now()))
      .send(report)
      .expect(204);
    const delivered = (await signet.historyOf(person.userId)).filter((e) => e.type === 'CodeDelivered');
    expect(delivered).toEqual([
      expect.objectContaining({
        streamId: `codeDelivery-${person.userId}`,
        data: expect.objectContaining({ codeId, provider: 'http', providerMessageId: 'msg-challenge' }),
      }),
    ]);
  });
});
