import { eventually } from '@signet/testing';
import { Person, SignetTestApp } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };

/**
 * `GET /v1/users/{userId}/security-info` (admins, auditors, the help desk) masks numbers unless revealed with
 * a reason, and every read of another person's page is in the access log; one's own page shows them in full.
 */
describe("reading another person's page over HTTP", () => {
  let signet: SignetTestApp;
  let person: Person;
  let auditor: string;
  const userId = 'masked-person';

  const pageAs = (token: string, query = '') =>
    signet.http().get(`/v1/users/${userId}/security-info${query}`).set('Authorization', `Bearer ${token}`);

  async function accessLog(): Promise<Array<Record<string, unknown>>> {
    const res = await signet
      .http()
      .get(`/v1/audit/access-log?userId=${userId}&limit=1000`)
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    return res.body.items;
  }

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    auditor = await signet.token('auditor-1', ['auditor']);
    person = await Person.signIn(signet, userId);
    const methodId = await person.addVerifiedPhone(MOBILE);
    // Once the read model has it, the person's own read shows the phone in full (and is never logged).
    await eventually(async () => {
      const mine = (await person.get('/v1/me/security-info').expect(200)).body;
      expect(mine.methods).toEqual([
        expect.objectContaining({ methodId, phoneNumber: '+1 4255550100', e164: '+14255550100' }),
      ]);
    });
  });
  afterAll(async () => {
    await signet.stop();
  });

  it("masks an admin's read of another person's page, and records it in the access log", async () => {
    const admin = await signet.token('admin-1', ['admin']);
    const res = await pageAs(admin).expect(200);
    expect(res.body.methods).toEqual([
      expect.objectContaining({ phoneNumber: '+1 XXXXXXXX00', e164: '+1 XXXXXXXX00' }),
    ]);
    expect(res.body.defaultMethod.label).toBe('Phone - text +1 XXXXXXXX00');
    expect(JSON.stringify(res.body)).not.toContain('4255550100');

    expect(await accessLog()).toContainEqual(
      expect.objectContaining({
        accessor: { subject: 'admin-1', roles: ['admin'], via: 'api' },
        action: 'securityInfoPage',
        userId,
        phoneNumbers: 'masked',
        reason: null,
      }),
    );
  });

  it('reveals the numbers to a reader who gives a reason, and logs the reason', async () => {
    const helpDesk = await signet.token('helpdesk-1', ['authenticationAdministrator']);
    const res = await pageAs(helpDesk, '?reveal=phoneNumbers&reason=Ticket%204711').expect(200);
    expect(res.body.methods[0]).toMatchObject({ phoneNumber: '+1 4255550100', e164: '+14255550100' });
    expect(await accessLog()).toContainEqual(
      expect.objectContaining({
        accessor: { subject: 'helpdesk-1', roles: ['authenticationAdministrator'], via: 'api' },
        action: 'securityInfoPage',
        phoneNumbers: 'revealed',
        reason: 'Ticket 4711',
        query: { reveal: 'phoneNumbers' },
      }),
    );
  });

  it('refuses to reveal without a reason: 400 invalid-query-parameter, nothing logged', async () => {
    const pageReads = async () => (await accessLog()).filter((a) => a.action === 'securityInfoPage');
    const before = await pageReads();
    const res = await pageAs(auditor, '?reveal=phoneNumbers').expect(400);
    expect(res.body.code).toBe('invalid-query-parameter');
    expect(await pageReads()).toEqual(before);
  });

  it('never logs nor masks the page of the person themselves, whatever their role', async () => {
    const selfAdmin = await signet.token(userId, ['user', 'admin']);
    const before = (await accessLog()).filter((a) => a.action === 'securityInfoPage').length;
    const res = await pageAs(selfAdmin).expect(200);
    expect(res.body.methods[0]).toMatchObject({ e164: '+14255550100' });
    const after = (await accessLog()).filter((a) => a.action === 'securityInfoPage').length;
    expect(after).toBe(before);
  });

  it('refuses a person reading someone else through this route: 403', async () => {
    const other = await signet.token('someone-else');
    await pageAs(other).expect(403);
  });
});
