import { eventually } from '@signet/testing';
import { spawnSync } from 'node:child_process';
import { Person, SignetTestApp } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const OFFICE = { phoneNumber: '+1 425 555 0199', phoneType: 'office', deliveryMethod: 'voice' };
const REASON = 'Ticket 4711: lost phone, identity checked by video call';

/**
 * The help desk (Graph's admin API): an authentication administrator registers a phone verified without a
 * code, deletes a method, or changes the default for a person, always with a reason, on a fresh sign-in.
 */
describe('help desk over HTTP', () => {
  let signet: SignetTestApp;
  let helpDesk: string;
  let count = 0;
  const base = (userId: string) => `/v1/users/${userId}/security-info`;
  const asHelpDesk = (token = helpDesk) => ({ Authorization: `Bearer ${token}` });

  async function personWithMobile(): Promise<{ person: Person; userId: string; mobileId: string }> {
    const userId = `helped-${++count}`;
    const person = await Person.signIn(signet, userId);
    return { person, userId, mobileId: await person.addVerifiedPhone(MOBILE) };
  }

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    helpDesk = await signet.token('helpdesk-1', ['authenticationAdministrator']);
  });
  afterAll(async () => {
    await signet.stop();
  });

  it('registers a phone verified without a code; the page shows it; the history names the administrator and the reason', async () => {
    const { person, userId } = await personWithMobile();
    const res = await signet
      .http()
      .post(`${base(userId)}/phone-methods`)
      .set(asHelpDesk())
      .send({ ...OFFICE, reason: REASON })
      .expect(201);
    expect(res.body).toMatchObject({
      status: 'verified',
      phoneType: 'office',
      e164: '+14255550199',
      defaultMethod: { deliveryMethod: 'sms' },
    });

    const page = await eventually(async () => {
      const read = await person.get(`/v1/me/security-info?minPosition=${res.body.position}`).expect(200);
      expect(read.headers['x-read-model-stale']).toBeUndefined();
      return read.body;
    });
    expect(page.methods).toContainEqual(
      expect.objectContaining({ methodId: res.body.methodId, status: 'verified', phoneType: 'office' }),
    );

    const stream = await signet.streamOf(userId);
    const registered = stream.filter((e) => e.metadata.commandType === 'RegisterPhoneMethod');
    expect(registered.map((e) => e.type)).toEqual(['PhoneMethodAdded', 'PhoneVerifiedByAdministrator']);
    expect(registered[1].data).toMatchObject({ administrator: 'helpdesk-1' });
    for (const event of registered) {
      expect(event.metadata).toMatchObject({
        actor: { subject: 'helpdesk-1', roles: ['authenticationAdministrator'] },
        reason: REASON,
      });
    }
    expect(
      stream.some((e) => e.type === 'CodeSent' && e.metadata.commandType === 'RegisterPhoneMethod'),
    ).toBe(false);

    const auditor = await signet.token('auditor-1', ['auditor']);
    const history = await signet
      .http()
      .get(`/v1/audit/users/${userId}/events`)
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(history.body.items).toContainEqual(
      expect.objectContaining({
        type: 'PhoneVerifiedByAdministrator',
        actor: { subject: 'helpdesk-1', roles: ['authenticationAdministrator'] },
        reason: REASON,
        authentication: expect.objectContaining({ auth_time: expect.any(Number) }),
      }),
    );
  });

  it('deletes the default (reason in X-Reason): the default moves as for the person', async () => {
    const { person, userId, mobileId } = await personWithMobile();
    const office = await person.addPhone(OFFICE).expect(201);
    await person.verify(office.body.methodId, signet.codeFor(office.body.code.codeId)).expect(200);

    const res = await signet
      .http()
      .delete(`${base(userId)}/methods/${mobileId}`)
      .set({ ...asHelpDesk(), 'X-Reason': REASON })
      .expect(200);
    expect(res.body).toMatchObject({
      deleted: true,
      defaultMethod: { methodId: office.body.methodId, deliveryMethod: 'voice' },
    });
    const stream = await signet.streamOf(userId);
    expect(stream.slice(-2).map((e) => [e.type, e.data.reason, e.metadata.reason])).toEqual([
      ['MethodDeleted', 'administrator', REASON],
      ['DefaultChanged', 'defaultMethodDeleted', REASON],
    ]);
    // Free text about the person: stored sealed under their key like their numbers, so erasure takes it too.
    // Searched as a reader of the files would, from another process (SQLite's locks belong to this one).
    const found = spawnSync('grep', ['-r', '-l', '-a', '-F', 'lost phone', signet.config.dataDir]);
    expect(found.status).toBe(1);
  });

  it('changes the default with a reason', async () => {
    const { userId, mobileId } = await personWithMobile();
    const res = await signet
      .http()
      .put(`${base(userId)}/default-method`)
      .set(asHelpDesk())
      .send({ methodId: mobileId, deliveryMethod: 'voice', reason: REASON })
      .expect(200);
    expect(res.body).toMatchObject({ changed: true, defaultMethod: { deliveryMethod: 'voice' } });
    expect((await signet.streamOf(userId)).at(-1)?.data).toMatchObject({ reason: 'administrator' });
  });

  it('refuses a change without a reason: 400 reason-required, nothing recorded', async () => {
    const { userId, mobileId } = await personWithMobile();
    const before = await signet.streamOf(userId);
    const answers = [
      await signet
        .http()
        .post(`${base(userId)}/phone-methods`)
        .set(asHelpDesk())
        .send(OFFICE),
      await signet
        .http()
        .delete(`${base(userId)}/methods/${mobileId}`)
        .set(asHelpDesk()),
      await signet
        .http()
        .put(`${base(userId)}/default-method`)
        .set({ ...asHelpDesk(), 'X-Reason': '   ' })
        .send({ methodId: mobileId, deliveryMethod: 'voice' }),
      // One line only: a newline would forge lines in logs and exports.
      await signet
        .http()
        .post(`${base(userId)}/phone-methods`)
        .set(asHelpDesk())
        .send({ ...OFFICE, reason: 'ok\nforged line' }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('reason-required');
    }
    expect(await signet.streamOf(userId)).toEqual(before);
  });

  it("holds the administrator's own token to step-up, even on an account with no verified method", async () => {
    const stale = await signet.token('helpdesk-2', ['authenticationAdministrator'], {
      authTime: Math.floor(Date.now() / 1000) - 20 * 60,
    });
    const res = await signet
      .http()
      .post(`${base(`helped-new-${count}`)}/phone-methods`)
      .set({ ...asHelpDesk(stale), 'X-Reason': REASON })
      .send(MOBILE)
      .expect(401);
    expect(res.body.code).toBe('step-up-required');
    expect(res.headers['www-authenticate']).toContain('insufficient_user_authentication');
  });

  it('gives a plain admin 403 on these routes, and an authentication administrator 403 on audit routes', async () => {
    const { userId, mobileId } = await personWithMobile();
    const admin = await signet.token('admin-1', ['admin']);
    const asAdmin = { Authorization: `Bearer ${admin}`, 'X-Reason': REASON };
    for (const res of [
      await signet
        .http()
        .post(`${base(userId)}/phone-methods`)
        .set(asAdmin)
        .send(OFFICE),
      await signet
        .http()
        .delete(`${base(userId)}/methods/${mobileId}`)
        .set(asAdmin),
      await signet
        .http()
        .put(`${base(userId)}/default-method`)
        .set(asAdmin)
        .send({ methodId: mobileId, deliveryMethod: 'voice' }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    await signet.http().get(`/v1/audit/users/${userId}/events`).set(asHelpDesk()).expect(403);
    await signet.http().get('/v1/audit/access-log').set(asHelpDesk()).expect(403);
    // A person's own token is no help desk either.
    const self = await signet.token(userId);
    await signet
      .http()
      .delete(`${base(userId)}/methods/${mobileId}`)
      .set({ Authorization: `Bearer ${self}`, 'X-Reason': REASON })
      .expect(403);
  });
});
