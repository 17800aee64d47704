import { Person, SignetTestApp } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const OFFICE = { phoneNumber: '+1 425 555 0199', phoneType: 'office', deliveryMethod: 'voice' };
const CHALLENGE =
  'Bearer error="insufficient_user_authentication", ' +
  'error_description="A more recent or stronger sign-in is required to change security info", max_age=600';

const TWENTY_MINUTES_AGO = () => Math.floor(Date.now() / 1000) - 20 * 60;

/**
 * Step-up (RFC 9470): once an account has a verified method, a change needs a recent sign-in (`auth_time`
 * within MAX_AUTH_AGE_SECONDS; with STEP_UP_ACR, a strong one too); the first method needs only a token.
 */
describe('step-up over HTTP', () => {
  let signet: SignetTestApp;
  let count = 0;

  /** The same person twice: once signed in 20 minutes ago, once just now. */
  async function personWithTwoSignIns(): Promise<{ stale: Person; fresh: Person; userId: string }> {
    const userId = `step-up-${++count}`;
    const stale = new Person(
      signet,
      userId,
      await signet.token(userId, ['user'], { authTime: TWENTY_MINUTES_AGO() }),
    );
    return { stale, fresh: await Person.signIn(signet, userId), userId };
  }

  beforeAll(async () => {
    signet = await SignetTestApp.start();
  });
  afterAll(async () => {
    await signet.stop();
  });

  it('lets a stale sign-in add and prove the first method (201, then 200): a person bootstraps', async () => {
    const { stale } = await personWithTwoSignIns();
    const added = await stale.addPhone(MOBILE).expect(201);
    await stale.verify(added.body.methodId, signet.codeFor(added.body.code.codeId)).expect(200);
  });

  it('refuses a stale sign-in with 401, the RFC 9470 challenge and step-up-required once a method is verified; nothing is recorded', async () => {
    const { stale, fresh, userId } = await personWithTwoSignIns();
    const mobileId = await fresh.addVerifiedPhone(MOBILE);
    const before = await signet.streamOf(userId);

    const refusals = [
      await stale.deleteMethod(mobileId),
      await stale.addPhone(OFFICE),
      await stale.changeDefault({ methodId: mobileId, deliveryMethod: 'voice' }),
      await stale.post(`/v1/me/security-info/phone-methods/${mobileId}/resend`),
    ];
    for (const res of refusals) {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
      expect(res.body).toMatchObject({ status: 401, code: 'step-up-required' });
    }
    expect(await signet.streamOf(userId)).toEqual(before);

    // Reading the page never needs step-up.
    await stale.get('/v1/me/security-info').expect(200);
  });

  it('lets a fresh sign-in make the same changes, and records how the actor signed in', async () => {
    const { fresh, userId } = await personWithTwoSignIns();
    const mobileId = await fresh.addVerifiedPhone(MOBILE);
    const office = await fresh.addPhone(OFFICE).expect(201);
    await fresh.verify(office.body.methodId, signet.codeFor(office.body.code.codeId)).expect(200);
    await fresh.changeDefault({ methodId: office.body.methodId, deliveryMethod: 'voice' }).expect(200);
    await fresh.deleteMethod(mobileId).expect(200);

    const stream = await signet.streamOf(userId);
    const now = Math.floor(Date.now() / 1000);
    for (const event of stream) {
      expect(event.metadata.authentication).toEqual({
        auth_time: expect.any(Number),
        acr: null,
        amr: [],
      });
      const { auth_time } = event.metadata.authentication as { auth_time: number };
      expect(now - auth_time).toBeLessThan(120);
    }
  });

  it('answers a retry with a fresh token afresh under the same Idempotency-Key (a step-up is not the final answer)', async () => {
    const { stale, fresh } = await personWithTwoSignIns();
    await fresh.addVerifiedPhone(MOBILE);
    const key = { 'Idempotency-Key': `step-up-${count}` };
    await stale.addPhone(OFFICE, key).expect(401);
    const retried = await fresh.addPhone(OFFICE, key).expect(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  describe('with STEP_UP_ACR', () => {
    let strict: SignetTestApp;
    beforeAll(async () => {
      strict = await SignetTestApp.start({ STEP_UP_ACR: 'urn:signet:mfa,phr' });
    });
    afterAll(async () => {
      await strict.stop();
    });

    it('asks for one of its acr values (acr_values in the challenge); a listed acr or a second-factor amr passes', async () => {
      const userId = 'acr-person';
      const password = new Person(strict, userId, await strict.token(userId, ['user'], { amr: ['pwd'] }));
      const mobileId = await password.addVerifiedPhone(MOBILE);

      const refused = await password
        .changeDefault({ methodId: mobileId, deliveryMethod: 'voice' })
        .expect(401);
      expect(refused.headers['www-authenticate']).toBe(`${CHALLENGE}, acr_values="urn:signet:mfa phr"`);
      expect(refused.body.code).toBe('step-up-required');

      const strongAcr = new Person(strict, userId, await strict.token(userId, ['user'], { acr: 'phr' }));
      await strongAcr.changeDefault({ methodId: mobileId, deliveryMethod: 'voice' }).expect(200);
      const otp = new Person(strict, userId, await strict.token(userId, ['user'], { amr: ['pwd', 'otp'] }));
      await otp.changeDefault({ methodId: mobileId, deliveryMethod: 'sms' }).expect(200);
    });
  });
});
