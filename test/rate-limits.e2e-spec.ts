import { eventually } from '@signet/testing';
import { RateLimits } from '../apps/api/src/throttle/rate-limits';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';

/**
 * Per-person and per-address limits, answered with 429, Retry-After and the IETF RateLimit-Policy/RateLimit
 * fields (draft-ietf-httpapi-ratelimit-headers-07); shared by every instance through Redis when REDIS_URL is set.
 */
const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const ALTERNATE = { phoneNumber: '+1 425 555 0111', phoneType: 'alternateMobile', deliveryMethod: 'voice' };
const NONE = { RATE_LIMIT_COMMANDS_PER_ADDRESS: '0', RATE_LIMIT_REQUESTS_PER_ADDRESS: '0' };

function expectRateLimited(res: {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}) {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('rate-limited');
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.headers['ratelimit']).toMatch(/^limit=\d+, remaining=0, reset=\d+$/);
  expect(res.headers['ratelimit-policy']).toMatch(/^\d+;w=60(, \d+;w=60)*$/);
}

describe('Rate limits', () => {
  describe('per person', () => {
    let signet: SignetTestApp;
    beforeAll(async () => {
      signet = await SignetTestApp.start({ ...NONE, RATE_LIMIT_COMMANDS_PER_USER: '10' });
    });
    afterAll(() => signet.stop());

    it('toggling the default between text and call cannot grow the stream without end', async () => {
      const person = await Person.signIn(signet, 'toggler');
      const methodId = await person.addVerifiedPhone(MOBILE); // 2 commands
      const answers: number[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await person.changeDefault({ methodId, deliveryMethod: i % 2 ? 'sms' : 'voice' });
        answers.push(res.status);
        if (res.status === 200) {
          expect(res.headers['ratelimit-policy']).toBe('10;w=60');
          expect(res.headers['ratelimit']).toMatch(/^limit=10, remaining=\d+, reset=\d+$/);
        } else expectRateLimited(res);
      }
      expect(answers.filter((s) => s === 200)).toHaveLength(8);
      expect(answers.slice(8).every((s) => s === 429)).toBe(true);
      const defaults = (await signet.streamOf('toggler')).filter((e) => e.type === 'DefaultChanged');
      expect(defaults.length).toBeLessThanOrEqual(9); // the first verified method's, then 8 toggles

      // Another person is not held up; nor are this person's reads.
      const other = await Person.signIn(signet, 'bystander');
      await other.addPhone(MOBILE).expect(201);
      const token = await signet.token('toggler');
      await signet.http().get('/v1/me/security-info').set('Authorization', `Bearer ${token}`).expect(200);
    });

    it("counts a sign-in service's commands against the person challenged, not against the service", async () => {
      const service = await signet.token('idp-throttled', ['signInService']);
      const challenge = (userId: string) =>
        signet
          .http()
          .post(`/v1/users/${userId}/challenges`)
          .set('Authorization', `Bearer ${service}`)
          .send({ purpose: 'signIn' });
      // Twelve people with nothing to challenge: twelve refusals (409), none of them throttled.
      for (let i = 0; i < 12; i++) expect((await challenge(`nobody-${i}`)).status).toBe(409);
      // One person challenged again and again is throttled like a person.
      const answers: number[] = [];
      for (let i = 0; i < 12; i++) answers.push((await challenge('hammered')).status);
      expect(answers.slice(0, 10).every((s) => s === 409)).toBe(true);
      expectRateLimited(await challenge('hammered'));
    });

    it('adding a phone observes the resend cooldown of a deleted method’s code: add-and-delete mints no codes', async () => {
      const person = await Person.signIn(signet, 'looper');
      const first = await person.addPhone(MOBILE).expect(201);
      await person.deleteMethod(first.body.methodId as string).expect(200);
      const again = await person.addPhone(MOBILE);
      expect(again.status).toBe(429);
      expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(again.body).toMatchObject({ code: 'resend-cooldown', retryAt: expect.any(String) });
      expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await signet.streamOf('looper')).filter((e) => e.type === 'CodeSent')).toHaveLength(1);
      signet.clock.advance(signet.config.policy.resendCooldownSeconds);
      await person.addPhone(MOBILE).expect(201);
    });

    it('a default change that changes nothing records nothing', async () => {
      const person = await Person.signIn(signet, 'steady');
      const methodId = await person.addVerifiedPhone(MOBILE);
      const before = (await signet.streamOf('steady')).length;
      for (let i = 0; i < 3; i++) {
        const res = await person.changeDefault({ methodId, deliveryMethod: 'sms' }).expect(200);
        expect(res.body.changed).toBe(false);
      }
      expect(await signet.streamOf('steady')).toHaveLength(before);
    });
  });

  describe('per client address', () => {
    let signet: SignetTestApp;
    beforeAll(async () => {
      signet = await SignetTestApp.start({
        RATE_LIMIT_COMMANDS_PER_USER: '0',
        RATE_LIMIT_COMMANDS_PER_ADDRESS: '4',
        RATE_LIMIT_REQUESTS_PER_ADDRESS: '8',
      });
    });
    afterAll(() => signet.stop());

    it('limits commands from one address whoever sends them, and every request more loosely', async () => {
      for (let i = 0; i < 4; i++) {
        const res = await (await Person.signIn(signet, `neighbour-${i}`)).addPhone(MOBILE);
        expect(res.status).toBe(201);
      }
      expectRateLimited(await (await Person.signIn(signet, 'neighbour-5')).addPhone(ALTERNATE));
      // Reads and unauthenticated requests have their own, looser limit: 5 requests counted so far of 8.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await signet.http().get('/v1/me/security-info')).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Probes are never throttled.
      await signet.http().get('/health/live').expect(200);
    });
  });

  describe('shared through Redis (REDIS_URL)', () => {
    let redis: RedisServer;
    let a: SignetTestApp;
    let b: SignetTestApp;
    beforeAll(async () => {
      redis = await RedisServer.start();
      const env = { ...NONE, RATE_LIMIT_COMMANDS_PER_USER: '4', REDIS_URL: redis.url };
      [a, b] = await Promise.all([SignetTestApp.start(env), SignetTestApp.start(env)]);
      for (const app of [a, b])
        await eventually(() => app.app.get(RateLimits).shared, { description: 'the limiter on Redis' });
    });
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.destroy();
    });

    it('counts one person’s commands on every instance together', async () => {
      const [onA, onB] = [await Person.signIn(a, 'roamer'), await Person.signIn(b, 'roamer')];
      const statuses = [];
      for (const person of [onA, onB, onA, onB, onA, onB])
        statuses.push((await person.deleteMethod('no-such-method')).status);
      expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
    });
  });
});
