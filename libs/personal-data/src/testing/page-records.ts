import { securityInfoRecord, type SecurityInfoEvent } from '@signet/domain';
import { randomUUID } from 'node:crypto';

/** The moment the rebuild specs' events happened. */
export const AT = '2026-11-30T10:00:00.000Z';

/** A Security info event of `userId`'s, recorded with the metadata the command side writes (sealed fields included). */
export function record(userId: string, event: SecurityInfoEvent) {
  return securityInfoRecord(event, randomUUID(), AT, {
    actor: { subject: userId, roles: ['user'] },
    commandType: 'AddPhoneMethod',
    correlationId: null,
    causationId: null,
    clientAddress: '203.0.113.7',
    userAgent: 'Firefox',
  });
}

export function added(methodId: string, phoneNumber: string): SecurityInfoEvent {
  return {
    type: 'PhoneMethodAdded',
    data: { methodId, phoneType: 'mobile', phoneNumber, extension: null, deliveryMethod: 'sms', addedAt: AT },
  };
}
