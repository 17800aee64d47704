import type { SignetConfig } from '@signet/config';
import type { RecordedEvent } from '@signet/event-store';
import {
  DispatchRuntime,
  encodeDeliveryReference,
  signHttpPayload,
  twilioSignature,
  type MessageSender,
} from '@signet/messaging';
import { eventually } from '@signet/testing';
import { build, cli } from './support/processes';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';
import { HttpProviderDouble, TwilioDouble } from './support/sms-provider-doubles';

const HTTP_SECRET = 'http-provider-secret-0123456789abcdef';
const TWILIO_SID = 'AC00000000000000000000000000000001';
const TWILIO_TOKEN = 'twilio-auth-token-for-tests';
const PUBLIC_URL = 'https://signet.example.com';

/** The http and twilio providers against local stand-ins, retries and dead letters, delivery reports. */
describe('Code dispatch providers', () => {
  let redis: RedisServer;
  let signet: SignetTestApp;
  let httpProvider: HttpProviderDouble;
  let twilio: TwilioDouble;
  let runtime: DispatchRuntime | null = null;
  let people = 0;
  const newPerson = () => Person.signIn(signet, `provider-user-${++people}`);
  const mobile = (deliveryMethod = 'sms') => ({
    phoneNumber: `+1 425 555 ${String(200 + people).padStart(4, '0')}`,
    phoneType: 'mobile',
    deliveryMethod,
  });

  const startDispatch = async (
    provider: 'http' | 'twilio',
    change?: (d: SignetConfig['dispatch']) => void,
  ) => {
    const config = structuredClone(signet.config);
    config.dispatch.provider =
      provider === 'http'
        ? { name: 'http', url: `${httpProvider.url}/messages`, secret: HTTP_SECRET, timeoutMs: 5000 }
        : {
            name: 'twilio',
            accountSid: TWILIO_SID,
            authToken: TWILIO_TOKEN,
            from: '+14255550000',
            baseUrl: twilio.url,
            timeoutMs: 5000,
          };
    config.dispatch.backoffMs = 5; // retries come quickly in tests; the exponent and jitter still apply
    change?.(config.dispatch);
    runtime = await DispatchRuntime.start({
      config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    return runtime;
  };
  const outcomesOf = async (userId: string, codeId: string, count = 1): Promise<RecordedEvent[]> =>
    eventually(
      async () => {
        const found = (await signet.historyOf(userId)).filter(
          (e) => e.type !== 'CodeSent' && (e.data as { codeId?: string }).codeId === codeId,
        );
        return found.length >= count && found;
      },
      { timeoutMs: 10_000, description: `${count} outcome(s) of ${codeId}` },
    );
  const addPhone = async (deliveryMethod = 'sms') => {
    const person = await newPerson();
    const added = await person.addPhone(mobile(deliveryMethod)).expect(201);
    return { person, methodId: added.body.methodId as string, codeId: added.body.code.codeId as string };
  };
  const cliEnv = () => ({ DATA_DIR: signet.config.dataDir, REDIS_URL: redis.url, LOG_LEVEL: 'error' });

  beforeAll(async () => {
    [redis, httpProvider, twilio] = await Promise.all([
      RedisServer.start(),
      new HttpProviderDouble(HTTP_SECRET).listen(),
      new TwilioDouble(TWILIO_SID, TWILIO_TOKEN).listen(),
      build(),
    ]);
    signet = await SignetTestApp.start({
      REDIS_URL: redis.url,
      OTP_DOMAIN: 'signet.example.com',
      SMS_HTTP_SECRET: HTTP_SECRET,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      WEBHOOK_BASE_URL: PUBLIC_URL,
    });
  }, 60_000); // the build, when it is not already up to date
  afterEach(async () => {
    await runtime?.close();
    runtime = null;
    httpProvider.answer({ status: 200 });
    twilio.answer({ status: 200 });
  });
  afterAll(async () => {
    await signet?.stop();
    await Promise.all([redis?.destroy(), httpProvider?.close(), twilio?.close()]);
  });

  describe('http provider', () => {
    it('posts a signed JSON message with the code id as idempotency key, and records the message id', async () => {
      await startDispatch('http');
      const { person, methodId, codeId } = await addPhone();
      const [accepted] = await outcomesOf(person.userId, codeId);
      expect(accepted).toMatchObject({
        type: 'CodeDeliveryAccepted',
        data: {
          methodId,
          codeId,
          provider: 'http',
          attempts: 1,
          providerMessageId: expect.stringMatching(/^msg-/),
        },
      });
      const request = httpProvider.requests.find((r) => r.body.includes(codeId))!;
      expect(request.headers['idempotency-key']).toBe(codeId);
      const code = signet.codeFor(codeId);
      expect(JSON.parse(request.body)).toEqual({
        to: '+1425555' + mobile().phoneNumber.slice(-4),
        channel: 'sms',
        body: `Your Signet verification code is ${code}. It expires in 10 minutes.\n\n@signet.example.com #${code}`,
        codeId,
        reference: expect.any(String),
      });
    });

    it('does not retry a message the provider refuses (400), and records the permanent failure', async () => {
      await startDispatch('http');
      httpProvider.answer({ status: 400, echo: true }); // an error that quotes the message back
      const before = httpProvider.requests.length;
      const { person, codeId } = await addPhone();
      const [failed] = await outcomesOf(person.userId, codeId);
      expect(failed).toMatchObject({
        type: 'CodeDeliveryFailed',
        data: {
          codeId,
          provider: 'http',
          attempts: 1,
          permanent: true,
          reason: expect.stringContaining('400'),
        },
      });
      const reason = (failed.data as { reason: string }).reason;
      expect(reason).toContain('######');
      expect(reason).not.toContain(signet.codeFor(codeId));
      // The outcome is recorded inside the job; BullMQ marks the job failed just after it.
      await eventually(async () => (await runtime!.queue.queue.getJobState(codeId)) === 'failed', {
        timeoutMs: 10_000,
        description: 'the job to be failed',
      });
      expect(httpProvider.requests.length - before).toBe(1);
    });

    it('retries a provider answering 500 with backoff, dead-letters it, and the CLI lists and re-queues it', async () => {
      await startDispatch('http', (d) => (d.maxAttempts = 3));
      httpProvider.answer({ status: 500 });
      const before = httpProvider.requests.length;
      const { person, codeId } = await addPhone();
      const [failed] = await outcomesOf(person.userId, codeId);
      expect(failed).toMatchObject({
        type: 'CodeDeliveryFailed',
        data: { codeId, attempts: 3, permanent: false, reason: expect.stringContaining('500') },
      });
      expect(httpProvider.requests.length - before).toBe(3);
      const job = await runtime!.queue.queue.getJob(codeId);
      expect(job?.opts.backoff).toEqual({ type: 'exponential', delay: 5, jitter: 0.5 });
      // Each attempt was logged as a failure and only the last recorded: one event, not three.
      expect(
        (await signet.historyOf(person.userId)).filter((e) => e.type === 'CodeDeliveryFailed'),
      ).toHaveLength(1);

      const listed = await cli(['dispatch', 'failed'], cliEnv());
      expect(listed).toMatchObject({ code: 0 });
      expect(listed.stdout).toContain(codeId);
      expect(listed.stdout).toContain('attempts=3');

      httpProvider.answer({ status: 200 });
      expect(await cli(['dispatch', 'retry', codeId], cliEnv())).toMatchObject({ code: 0 });
      const outcomes = await outcomesOf(person.userId, codeId, 2);
      expect(outcomes[1]).toMatchObject({ type: 'CodeDeliveryAccepted', data: { attempts: 1 } });
      expect((await cli(['dispatch', 'failed'], cliEnv())).stdout).not.toContain(codeId);

      const unknown = await cli(['dispatch', 'retry', 'no-such-job'], cliEnv());
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('No failed dispatch job no-such-job');
    });

    it('finishes the job in flight on shutdown instead of dropping it', async () => {
      const running = await startDispatch('http');
      httpProvider.answer({ status: 200, hold: true });
      const before = httpProvider.requests.length;
      const { person, codeId } = await addPhone();
      await eventually(() => httpProvider.requests.length > before, {
        timeoutMs: 10_000,
        description: 'the provider to receive the message',
      });

      let closed = false;
      const closing = running.close().then(() => (closed = true));
      runtime = null;
      await eventually(() => Boolean(running.worker.worker.closing), {
        timeoutMs: 10_000,
        description: 'the worker to start closing',
      });
      expect(closed).toBe(false); // still waiting for the provider's answer
      httpProvider.release();
      await closing;
      // Done and recorded by the time close() resolves: not left for another worker, not dropped.
      const stream = await signet.historyOf(person.userId);
      expect(stream.filter((e) => e.type === 'CodeDeliveryAccepted')).toHaveLength(1);
      expect(httpProvider.messages().filter((m) => m.codeId === codeId)).toHaveLength(1);
    });
  });

  describe('twilio provider', () => {
    it('sends an SMS through the Messages API with Basic auth and a signed status callback URL', async () => {
      await startDispatch('twilio');
      const { person, codeId } = await addPhone();
      const [accepted] = await outcomesOf(person.userId, codeId);
      expect(accepted).toMatchObject({
        type: 'CodeDeliveryAccepted',
        data: { provider: 'twilio', providerMessageId: expect.stringMatching(/^SM/) },
      });
      const index = twilio.requests.findIndex((r) => r.body.includes(encodeURIComponent('+1425555')));
      expect(twilio.requests[index].path).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
      const form = twilio.form(twilio.requests.length - 1);
      expect(form).toMatchObject({
        From: '+14255550000',
        Body: expect.stringContaining(signet.codeFor(codeId)),
      });
      expect(form.StatusCallback).toMatch(new RegExp(`^${PUBLIC_URL}/v1/webhooks/sms/twilio\\?ref=`));
    });

    it('places a call through the Calls API that says the digits', async () => {
      await startDispatch('twilio');
      const { person, codeId } = await addPhone('voice');
      await outcomesOf(person.userId, codeId);
      const last = twilio.requests.length - 1;
      expect(twilio.requests[last].path).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Calls.json`);
      expect(twilio.form(last).Twiml).toContain(signet.codeFor(codeId).split('').join(', '));
    });

    it('treats a refused number (400) as permanent and wrong credentials (401) as permanent', async () => {
      await startDispatch('twilio');
      twilio.answer({
        status: 400,
        body: { code: 21211, message: "The 'To' number is not valid.", status: 400 },
      });
      const refused = await addPhone();
      const [failed] = await outcomesOf(refused.person.userId, refused.codeId);
      expect(failed.data).toMatchObject({ permanent: true, reason: expect.stringContaining('21211') });
      await runtime!.close();

      twilio.answer({ status: 200 });
      runtime = await startDispatch('twilio', (d) => {
        if (d.provider.name === 'twilio') d.provider.authToken = 'wrong-token';
      });
      const unauthorised = await addPhone();
      const [denied] = await outcomesOf(unauthorised.person.userId, unauthorised.codeId);
      expect(denied.data).toMatchObject({ permanent: true, reason: expect.stringContaining('401') });
    });
  });

  describe('delivery reports (POST /v1/webhooks/sms/{provider})', () => {
    /** A code sent through a provider that does nothing, so the test holds its reference. */
    const sendQuietly = async () => {
      let reference = '';
      const quiet: MessageSender = {
        provider: 'twilio',
        send: async (message) => {
          reference = message.reference;
          return { providerMessageId: 'SM-quiet' };
        },
      };
      const config = structuredClone(signet.config);
      runtime = await DispatchRuntime.start({
        config,
        store: signet.eventStore,
        sender: quiet,
        now: () => signet.clock.now(),
      });
      const sent = await addPhone();
      await outcomesOf(sent.person.userId, sent.codeId);
      return { ...sent, reference };
    };
    const reportTypes = async (userId: string) =>
      (await signet.historyOf(userId)).filter((e) => /^Code(Delivered|Undeliverable)$/.test(e.type));

    it('records a signed Twilio report once, and refuses a bad signature with 401 problem+json', async () => {
      const { person, codeId, reference } = await sendQuietly();
      const path = `/v1/webhooks/sms/twilio?ref=${reference}`;
      const params = { MessageSid: 'SM-quiet', MessageStatus: 'delivered', AccountSid: TWILIO_SID };
      const post = (signature: string) =>
        signet.http().post(path).type('form').set('X-Twilio-Signature', signature).send(params);

      const forged = await post(twilioSignature('not-the-token', PUBLIC_URL + path, params));
      expect(forged.status).toBe(401);
      expect(forged.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(forged.body).toMatchObject({ status: 401, code: 'invalid-signature' });
      expect(await reportTypes(person.userId)).toHaveLength(0);

      const signature = twilioSignature(TWILIO_TOKEN, PUBLIC_URL + path, params);
      await post(signature).expect(204);
      await post(signature).expect(204); // Twilio repeats a report it is unsure of
      const recorded = await reportTypes(person.userId);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({
        type: 'CodeDelivered',
        data: { codeId, provider: 'twilio', providerMessageId: 'SM-quiet' },
        metadata: { actor: { subject: 'provider:twilio' } },
      });
    });

    it('records an undeliverable report from the http provider, checked with its signature', async () => {
      const { person, codeId, reference } = await sendQuietly();
      const report = {
        reference,
        messageId: 'msg-9',
        status: 'undeliverable',
        reason: 'handset unreachable',
      };
      const post = (signature: string) =>
        signet.http().post('/v1/webhooks/sms/http').set('X-Signet-Signature', signature).send(report);

      // supertest sends JSON.stringify(report): the exact bytes the signature covers.
      const tampered = signHttpPayload(HTTP_SECRET, JSON.stringify({ ...report, status: 'delivered' }));
      expect((await post(tampered)).body).toMatchObject({ status: 401, code: 'invalid-signature' });
      expect((await signet.http().post('/v1/webhooks/sms/http').send(report)).status).toBe(401);

      await post(signHttpPayload(HTTP_SECRET, JSON.stringify(report), signet.clock.now())).expect(204);
      expect(await reportTypes(person.userId)).toEqual([
        expect.objectContaining({
          type: 'CodeUndeliverable',
          data: expect.objectContaining({
            codeId,
            providerMessageId: 'msg-9',
            reason: 'handset unreachable',
          }),
        }),
      ]);
    });

    it("takes a report on a security notice's message without recording it (its outcome is recorded already)", async () => {
      const { person } = await sendQuietly();
      const report = {
        reference: encodeDeliveryReference({ userId: person.userId, methodId: 'm', codeId: 'notice-1' }),
        messageId: 'msg-notice',
        status: 'delivered',
      };
      await signet
        .http()
        .post('/v1/webhooks/sms/http')
        .set('X-Signet-Signature', signHttpPayload(HTTP_SECRET, JSON.stringify(report), signet.clock.now()))
        .send(report)
        .expect(204);
      expect(await reportTypes(person.userId)).toEqual([]);
    });

    it('refuses reports from a provider it does not know (404) and malformed ones (400)', async () => {
      const unknown = await signet.http().post('/v1/webhooks/sms/carrier-pigeon').send({});
      expect(unknown.body).toMatchObject({ status: 404, code: 'provider-not-found' });
      // The signature is checked first: an unsigned sender learns nothing about what a report should hold.
      const body = { status: 'delivered' };
      const unsigned = await signet.http().post('/v1/webhooks/sms/http').send(body);
      expect(unsigned.body).toMatchObject({ status: 401, code: 'invalid-signature' });
      const malformed = await signet
        .http()
        .post('/v1/webhooks/sms/http')
        .set('X-Signet-Signature', signHttpPayload(HTTP_SECRET, JSON.stringify(body), signet.clock.now()))
        .send(body);
      expect(malformed.body).toMatchObject({ status: 400, code: 'invalid-delivery-report' });
      // A body that is not JSON at all is refused by the body parser, before any signature is looked at.
      const notJson = await signet
        .http()
        .post('/v1/webhooks/sms/http')
        .set('Content-Type', 'application/json')
        .send('{"status":');
      expect(notJson.body).toMatchObject({ status: 400, code: 'malformed-body' });
    });
  });
});
