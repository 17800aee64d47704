import { eventually } from '@signet/testing';
import { Person, SignetTestApp } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const OFFICE = { phoneNumber: '+1 425 555 0199', phoneType: 'office', deliveryMethod: 'voice' };
const ALTERNATE = { phoneNumber: '+1 425 555 0111', phoneType: 'alternateMobile', deliveryMethod: 'voice' };
const POLICY_PATH = '/v1/admin/authentication-methods-policy';

const policyWith = (voice: 'enabled' | 'disabled') => ({
  methods: { sms: { state: 'enabled' }, voice: { state: voice }, officePhone: { state: 'enabled' } },
  allowedCallingCodes: [],
  deniedCallingCodes: [],
});

/**
 * The authentication methods policy (Entra's): a change never deletes a method; disallowed ones show as
 * notAllowedByPolicy, a disallowed default moves as on delete, new registrations it forbids get 403, and
 * re-allowing restores them. Its changes are events on its own stream.
 */
describe('the authentication methods policy over HTTP', () => {
  let signet: SignetTestApp;
  let policyAdmin: string;
  const asPolicyAdmin = () => ({ Authorization: `Bearer ${policyAdmin}` });

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    policyAdmin = await signet.token('policy-admin', ['authenticationPolicyAdministrator']);
  });
  afterAll(async () => {
    await signet.stop();
  });

  it('answers the policy in force (everything allowed until set) to its administrators only', async () => {
    const res = await signet.http().get(POLICY_PATH).set(asPolicyAdmin()).expect(200);
    expect(res.body).toEqual(policyWith('enabled'));
    expect(res.headers.etag).toBeUndefined();
    for (const roles of [['admin'], ['authenticationAdministrator'], ['user']] as const) {
      const token = await signet.token('not-policy-admin', [...roles]);
      await signet.http().get(POLICY_PATH).set('Authorization', `Bearer ${token}`).expect(403);
      await signet
        .http()
        .put(POLICY_PATH)
        .set('Authorization', `Bearer ${token}`)
        .send(policyWith('disabled'))
        .expect(403);
    }
    const bad = await signet
      .http()
      .put(POLICY_PATH)
      .set(asPolicyAdmin())
      .send({ ...policyWith('disabled'), allowedCallingCodes: ['+1'] })
      .expect(400);
    expect(bad.body.code).toBe('validation-failed');
  });

  it('turning voice off makes an office phone notAllowedByPolicy, moves a voice default, refuses new voice registrations with 403; re-allowing restores it', async () => {
    const person = await Person.signIn(signet, 'policy-person');
    const mobileId = await person.addVerifiedPhone(MOBILE);
    const officeId = await person.addVerifiedPhone(OFFICE);
    await person.changeDefault({ methodId: officeId, deliveryMethod: 'voice' }).expect(200);
    const page = async () => (await person.get('/v1/me/security-info').expect(200)).body;
    await eventually(async () => expect((await page()).defaultMethod).toMatchObject({ methodId: officeId }));

    const off = await signet
      .http()
      .put(POLICY_PATH)
      .set(asPolicyAdmin())
      .send(policyWith('disabled'))
      .expect(200);
    expect(off.body).toEqual(policyWith('disabled'));
    expect(off.headers.etag).toBe('"0"');

    const underPolicy = await page();
    expect(
      underPolicy.methods.map((m: { methodId: string; state: string }) => [m.methodId, m.state]),
    ).toEqual([
      [mobileId, 'enabled'],
      [officeId, 'notAllowedByPolicy'],
    ]);
    expect(underPolicy.defaultMethod).toMatchObject({ methodId: mobileId, deliveryMethod: 'sms' });

    const refused = await person.addPhone(ALTERNATE).expect(403);
    expect(refused.body.code).toBe('method-not-allowed-by-policy');
    const noCall = await person.changeDefault({ methodId: officeId, deliveryMethod: 'voice' }).expect(403);
    expect(noCall.body.code).toBe('method-not-allowed-by-policy');

    // Sign-in challenges use only what the policy allows: the mobile by text, never the office phone.
    const idp = { Authorization: `Bearer ${await signet.token('idp', ['signInService'])}` };
    const challenge = await signet
      .http()
      .post('/v1/users/policy-person/challenges')
      .set(idp)
      .send({ purpose: 'signIn' })
      .expect(201);
    expect(challenge.body).toMatchObject({ methodId: mobileId, channel: 'sms' });
    const officeChallenge = await signet
      .http()
      .post('/v1/users/policy-person/challenges')
      .set(idp)
      .send({ purpose: 'signIn', methodId: officeId })
      .expect(400);
    expect(officeChallenge.body.code).toBe('delivery-method-not-allowed');

    // If-Match: a stale revision is refused, the current one accepted.
    const stale = await signet
      .http()
      .put(POLICY_PATH)
      .set({ ...asPolicyAdmin(), 'If-Match': '"7"' })
      .send(policyWith('enabled'))
      .expect(412);
    expect(stale.body.code).toBe('precondition-failed');
    await signet
      .http()
      .put(POLICY_PATH)
      .set({ ...asPolicyAdmin(), 'If-Match': off.headers.etag })
      .send(policyWith('enabled'))
      .expect(200);

    const restored = await page();
    expect(restored.methods.map((m: { state: string }) => m.state)).toEqual(['enabled', 'enabled']);
    expect(restored.defaultMethod).toMatchObject({ methodId: officeId, deliveryMethod: 'voice' });
    await person.addPhone(ALTERNATE).expect(201);

    // Both changes are on the policy's own stream, each naming who made it.
    const changes = [];
    for await (const event of signet.eventStore.readStream('authenticationMethodsPolicy'))
      changes.push(event);
    expect(changes.map((e) => [e.type, e.metadata.actor])).toEqual([
      [
        'AuthenticationMethodsPolicyChanged',
        { subject: 'policy-admin', roles: ['authenticationPolicyAdministrator'] },
      ],
      [
        'AuthenticationMethodsPolicyChanged',
        { subject: 'policy-admin', roles: ['authenticationPolicyAdministrator'] },
      ],
    ]);
  });
});
