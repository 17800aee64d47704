import { HashChainingEventStore, SqliteEventStore, type EventStore } from '@signet/event-store';
import { PassThrough } from 'node:stream';
import { exportEvents, type ExportRequest } from './export';

describe('exportEvents', () => {
  let store: EventStore;

  beforeEach(async () => {
    store = new HashChainingEventStore(new SqliteEventStore({ filename: ':memory:' }));
    await store.appendToStream(
      'securityInfo-alice',
      [
        {
          id: 'e-1',
          type: 'PhoneMethodAdded',
          data: { phoneNumber: '+14255550100', note: 'a "quoted", comma' },
          metadata: {
            occurredAt: '2026-11-26T10:00:00.000Z',
            actor: { subject: 'alice', roles: ['user', 'admin'] },
            userAgent: '=HYPERLINK("http://evil")',
          },
        },
        {
          // A type this library does not know, naming a phone number in a field of its own.
          id: 'e-2',
          type: 'CodeDeliveryFailed',
          data: { delivery: { to: '+442071838750' } },
          metadata: { occurredAt: '2026-11-26T11:00:00.000Z' },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    await store.appendToStream(
      'auditAccess',
      [{ id: 'a-1', type: 'AuditRecordAccessed', data: {}, metadata: {} }],
      {
        expectedRevision: 'any',
      },
    );
  });

  afterEach(() => store.close());

  async function exported(request: Partial<ExportRequest>): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await exportEvents(store, { format: 'ndjson', phoneNumbers: 'masked', ...request }, out);
    return Buffer.concat(chunks).toString('utf8');
  }

  it('masks every full phone number, in fields it knows and fields it does not', async () => {
    const lines = (await exported({}))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

    expect(lines.map((line) => line.data)).toEqual([
      { phoneNumber: '+1 XXXXXXXX00', note: 'a "quoted", comma' },
      { delivery: { to: '+44 XXXXXXXX50' } },
    ]);
    const revealed = await exported({ phoneNumbers: 'revealed' });
    expect(revealed).toContain('+14255550100');
    expect(revealed).toContain('+442071838750');
  });

  it('writes RFC 4180 CSV that a spreadsheet will not run as a formula', async () => {
    const [header, first] = (await exported({ format: 'csv', userId: 'alice' })).split('\r\n');

    expect(header.split(',')).toContain('actorRoles');
    expect(first).toContain(',alice,user admin,');
    expect(first).toContain(`,"'=HYPERLINK(""http://evil"")",`);
    expect(first).toContain('"{""phoneNumber"":""+1 XXXXXXXX00"",""note"":""a \\""quoted\\"", comma""}"');
  });

  it('keeps to the Security info streams and the time range (from inclusive, to exclusive)', async () => {
    const types = async (request: Partial<ExportRequest>) =>
      (await exported(request))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).type);

    expect(await types({})).toEqual(['PhoneMethodAdded', 'CodeDeliveryFailed']);
    expect(await types({ from: new Date('2026-11-26T11:00:00Z') })).toEqual(['CodeDeliveryFailed']);
    expect(await types({ to: new Date('2026-11-26T11:00:00Z') })).toEqual(['PhoneMethodAdded']);
    expect(await types({ userId: 'bob' })).toEqual([]);
  });
});
