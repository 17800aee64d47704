import type { SignetConfig } from '@signet/config';
import { DispatchRuntime } from '@signet/messaging';
import { eventually } from '@signet/testing';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';
import { HttpProviderDouble, TwilioDouble } from './support/sms-provider-doubles';

const HTTP_SECRET = 'http-provider-secret-0123456789abcdef';
const TWILIO_SID = 'AC00000000000000000000000000000002';
const TWILIO_TOKEN = 'twilio-auth-token-for-tests';
const OFFICE = {
  phoneNumber: '+1 425 555 0199',
  phoneType: 'office',
  deliveryMethod: 'voice',
  extension: '4321',
};

/** An office number's extension is dialled: a code is never read to whoever answers the main line. */
describe('Calls to an office extension', () => {
  let redis: RedisServer;
  let signet: SignetTestApp;
  let httpProvider: HttpProviderDouble;
  let twilio: TwilioDouble;
  let runtime: DispatchRuntime | null = null;
  let people = 0;

  const startDispatch = async (provider: SignetConfig['dispatch']['provider']) => {
    const config = structuredClone(signet.config);
    config.dispatch.provider = provider;
    runtime = await DispatchRuntime.start({
      config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
  };
  const addOffice = async () => {
    const person = await Person.signIn(signet, `office-${++people}`);
    const added = await person.addPhone(OFFICE).expect(201);
    const codeId = added.body.code.codeId as string;
    await eventually(
      async () => (await signet.historyOf(person.userId)).some((e) => e.type === 'CodeDeliveryAccepted'),
      { timeoutMs: 10_000, description: 'the call placed' },
    );
    return codeId;
  };

  beforeAll(async () => {
    [redis, httpProvider, twilio] = await Promise.all([
      RedisServer.start(),
      new HttpProviderDouble(HTTP_SECRET).listen(),
      new TwilioDouble(TWILIO_SID, TWILIO_TOKEN).listen(),
    ]);
    signet = await SignetTestApp.start({ REDIS_URL: redis.url });
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = null;
  });
  afterAll(async () => {
    await signet?.stop();
    await Promise.all([redis?.destroy(), httpProvider?.close(), twilio?.close()]);
  });

  it('twilio dials the extension once the call connects (SendDigits)', async () => {
    await startDispatch({
      name: 'twilio',
      accountSid: TWILIO_SID,
      authToken: TWILIO_TOKEN,
      from: '+14255550000',
      baseUrl: twilio.url,
      timeoutMs: 5000,
    });
    const codeId = await addOffice();
    const index = twilio.requests.findIndex((r) => r.path.endsWith('/Calls.json'));
    const form = twilio.form(index);
    expect(form.To).toBe('+14255550199');
    expect(form.SendDigits).toBe('wwww4321');
    expect(form.Twiml).toContain(signet.codeFor(codeId).split('').join(', '));
  });

  it('the http provider passes the extension on', async () => {
    await startDispatch({
      name: 'http',
      url: `${httpProvider.url}/messages`,
      secret: HTTP_SECRET,
      timeoutMs: 5000,
    });
    const codeId = await addOffice();
    const request = httpProvider.requests.find((r) => r.body.includes(codeId))!;
    expect(JSON.parse(request.body)).toMatchObject({
      to: '+14255550199',
      channel: 'voice',
      extension: '4321',
    });
  });
});
