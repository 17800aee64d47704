import type { SignetConfig } from '@signet/config';
import { DispatchRuntime, readOutbox, verifyHttpSignature, type OutboxLine } from '@signet/messaging';
import { eventually } from '@signet/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openApiContract } from './support/openapi-contract';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';

const REASON = 'Ticket 4711: new office phone';
const WEBHOOK_SECRET = 'notice-webhook-secret-32-characters!';

/**
 * Security notices through the public interfaces with a real (private) Redis: a change to someone's methods
 * is told to them on a phone the change did not just create (same queue, providers, limits and retries as
 * codes), and to the signed `security-info.changed` webhook; each outcome is an event the auditor sees.
 */
describe('security notices (outbox provider, real Redis)', () => {
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime | null = null;
  let people = 0;
  const hooks: Array<{ body: string; signature: string | undefined }> = [];
  let hookServer: Server;
  let hookUrl: string;

  const mobile = () => ({
    phoneNumber: `+1 425 555 ${String(300 + ++people).padStart(4, '0')}`,
    phoneType: 'mobile',
    deliveryMethod: 'sms',
  });
  const OFFICE = { phoneNumber: '+1 425 555 0199', phoneType: 'office', deliveryMethod: 'voice' };
  const startDispatch = async (change: (c: SignetConfig['dispatch']) => void = () => undefined) => {
    const config = structuredClone(signet.config);
    change(config.dispatch);
    runtime = await DispatchRuntime.start({
      config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
  };
  const outbox = (): OutboxLine[] =>
    readOutbox((signet.config.dispatch.provider as { filename: string }).filename);
  const noticeEvents = async (userId: string) =>
    (await signet.historyOf(userId)).filter((e) => e.type.startsWith('SecurityNotice'));

  beforeAll(async () => {
    redis = await RedisServer.start();
    signet = await SignetTestApp.start({ REDIS_URL: redis.url, OTP_DOMAIN: 'signet.test' });
    hookServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        hooks.push({ body, signature: request.headers['x-signet-signature'] as string | undefined });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/notices`;
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = null;
  });
  afterAll(async () => {
    await new Promise((resolve) => hookServer.close(resolve));
    await signet?.stop();
    await redis?.destroy();
  });

  it('tells the person on their default phone when the help desk adds a phone: no code, a masked number, an event', async () => {
    await startDispatch();
    const userId = `noticed-${people}`;
    const person = await Person.signIn(signet, userId);
    const phone = mobile();
    const added = await person.addPhone(phone).expect(201);
    await person.verify(added.body.methodId, signet.codeFor(added.body.code.codeId)).expect(200);

    const helpDesk = await signet.token('helpdesk-1', ['authenticationAdministrator']);
    const registered = await signet
      .http()
      .post(`/v1/users/${userId}/security-info/phone-methods`)
      .set({ Authorization: `Bearer ${helpDesk}`, 'X-Reason': REASON })
      .send(OFFICE)
      .expect(201);

    const sent = await eventually(
      async () => {
        const found = (await noticeEvents(userId)).filter((e) => e.type === 'SecurityNoticeSent');
        return found.length > 0 && found;
      },
      { timeoutMs: 10_000, description: 'the notice outcome' },
    );
    expect(sent[0].data).toMatchObject({
      changes: ['methodVerified'],
      by: 'helpDesk',
      methodId: added.body.methodId,
      channel: 'sms',
      destination: maskedOf(added.body.e164),
      provider: 'outbox',
      webhook: false,
    });
    const line = outbox().find((l) => l.codeId === sent[0].data.noticeId)!;
    expect(line.to).toBe(added.body.e164);
    expect(line.body).toContain('security notice');
    expect(line.body).toContain('+1 XXXXXXXX99');
    expect(line.body).toContain('help desk');
    expect(line.body).not.toContain(registered.body.e164.slice(1));
    expect(line.body).not.toMatch(/\d{6}/);

    // The person's own first verification had no other phone to tell, and no webhook: skipped, recorded.
    expect(await noticeEvents(userId)).toContainEqual(
      expect.objectContaining({
        type: 'SecurityNoticeSkipped',
        data: expect.objectContaining({ reason: 'noRecipient' }),
      }),
    );
  });

  it('posts the signed security-info.changed webhook with masked numbers', async () => {
    await startDispatch((dispatch) => {
      dispatch.notices.webhook = { url: hookUrl, secret: WEBHOOK_SECRET, timeoutMs: 2000 };
      dispatch.notices.linkUrl = 'https://portal.example/security-info';
    });
    const userId = `noticed-hook-${people}`;
    const person = await Person.signIn(signet, userId);
    const first = await person.addVerifiedPhone(mobile());
    const office = await person.addVerifiedPhone(OFFICE);
    await person.deleteMethod(office).expect(200);

    const hook = await eventually(
      () => {
        const found = hooks.find(
          (h) => JSON.parse(h.body).userId === userId && h.body.includes('methodDeleted'),
        );
        return found ?? false;
      },
      { timeoutMs: 10_000, description: 'the webhook' },
    );
    expect(verifyHttpSignature(WEBHOOK_SECRET, hook.signature, hook.body)).toBe(true);
    // As the OpenAPI document describes what Signet sends.
    expect(
      openApiContract().errorsAt('#/components/schemas/SecurityInfoChanged', JSON.parse(hook.body)),
    ).toEqual([]);
    expect(JSON.parse(hook.body)).toMatchObject({
      type: 'security-info.changed',
      userId,
      changes: ['methodDeleted'],
      by: 'self',
      maskedNumbers: ['+1 XXXXXXXX99'],
      link: 'https://portal.example/security-info',
    });
    expect(hook.body).not.toContain('4255550199');
    expect(first).toBeDefined();
  });

  it('sends none with NOTICES=off', async () => {
    await startDispatch((dispatch) => {
      dispatch.notices.enabled = false;
    });
    const userId = `not-noticed-${people}`;
    const person = await Person.signIn(signet, userId);
    await person.addVerifiedPhone(mobile());
    const office = await person.addPhone(OFFICE).expect(201);
    // The office phone's code reaching the outbox shows the dispatcher has passed the verification before it.
    await eventually(() => outbox().some((l) => l.codeId === office.body.code.codeId), {
      timeoutMs: 10_000,
      description: 'the later code',
    });
    expect(await noticeEvents(userId)).toEqual([]);
  });
});

describe('the worker under the authentication methods policy (real Redis)', () => {
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime | null = null;

  beforeAll(async () => {
    redis = await RedisServer.start();
    signet = await SignetTestApp.start({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await runtime?.close();
    await signet?.stop();
    await redis?.destroy();
  });

  it('sends no code the policy stopped allowing after it was recorded: skipped, notAllowedByPolicy', async () => {
    const person = await Person.signIn(signet, 'policy-worker-person');
    const added = await person
      .addPhone({ phoneNumber: '+1 425 555 0400', phoneType: 'mobile', deliveryMethod: 'sms' })
      .expect(201);
    const admin = await signet.token('policy-admin', ['authenticationPolicyAdministrator']);
    await signet
      .http()
      .put('/v1/admin/authentication-methods-policy')
      .set('Authorization', `Bearer ${admin}`)
      .send({
        methods: {
          sms: { state: 'disabled' },
          voice: { state: 'enabled' },
          officePhone: { state: 'enabled' },
        },
        allowedCallingCodes: [],
        deniedCallingCodes: [],
      })
      .expect(200);

    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    const skipped = await eventually(
      async () =>
        (await signet.historyOf(person.userId)).find((e) => e.type === 'CodeDeliverySkipped') ?? false,
      { timeoutMs: 10_000, description: 'the skipped code' },
    );
    expect(skipped.data).toEqual({
      methodId: added.body.methodId,
      codeId: added.body.code.codeId,
      reason: 'notAllowedByPolicy',
    });
    const outbox = readOutbox((signet.config.dispatch.provider as { filename: string }).filename);
    expect(outbox.filter((l) => l.codeId === added.body.code.codeId)).toEqual([]);
  });
});

function maskedOf(e164: string): string {
  return `+1 XXXXXXXX${e164.slice(-2)}`;
}
