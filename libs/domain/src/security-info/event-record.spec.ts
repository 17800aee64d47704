import { securityInfoRecord } from './event-record';
import { SECURITY_INFO_SCHEMA_VERSION } from './events';

describe('securityInfoRecord', () => {
  it('writes the event with the metadata auditors read: id, when, who, why, from where, schema', () => {
    const record = securityInfoRecord(
      { type: 'MethodDeleted', data: { methodId: 'm1', reason: 'user' } } as never,
      'e1',
      new Date('2026-11-26T10:00:00Z'),
      {
        actor: { subject: 'alice', roles: ['user'] },
        commandType: 'DeleteMethod',
        correlationId: 'c1',
        causationId: 'r1',
        clientAddress: '203.0.113.7',
        userAgent: 'Mozilla/5.0',
      },
    );
    expect(record).toEqual({
      id: 'e1',
      type: 'MethodDeleted',
      data: { methodId: 'm1', reason: 'user' },
      metadata: {
        eventId: 'e1',
        occurredAt: '2026-11-26T10:00:00.000Z',
        actor: { subject: 'alice', roles: ['user'] },
        commandType: 'DeleteMethod',
        correlationId: 'c1',
        causationId: 'r1',
        clientAddress: '203.0.113.7',
        userAgent: 'Mozilla/5.0',
        schemaVersion: SECURITY_INFO_SCHEMA_VERSION,
      },
    });
  });
});
