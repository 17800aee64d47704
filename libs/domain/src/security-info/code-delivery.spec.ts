import { decide, DEFAULT_POLICY } from './decide';
import { SECURITY_INFO_EVENT_TYPES, type CodeDeliveryEvent, type SecurityInfoEvent } from './events';
import { fold } from './security-info';
import { codeFor, iso, T0 } from './testing/given-when-then';

/** What became of a code (recorded by the dispatcher and from delivery reports) is history, not state. */
describe('code delivery outcomes', () => {
  const history: SecurityInfoEvent[] = [
    {
      type: 'PhoneMethodAdded',
      data: {
        methodId: 'm',
        phoneType: 'mobile',
        phoneNumber: '+14255550100',
        extension: null,
        deliveryMethod: 'sms',
        addedAt: iso(0),
      },
    },
    {
      type: 'CodeSent',
      data: {
        methodId: 'm',
        codeId: 'c',
        channel: 'sms',
        destination: '+1 XXXXXXXX00',
        sentAt: iso(0),
        expiresAt: iso(600_000),
      },
    },
  ];
  const base = { methodId: 'm', codeId: 'c' };
  const outcomes: CodeDeliveryEvent[] = [
    {
      type: 'CodeDeliveryAccepted',
      data: { ...base, provider: 'twilio', providerMessageId: 'SM1', attempts: 2 },
    },
    {
      type: 'CodeDeliveryFailed',
      data: {
        ...base,
        provider: 'http',
        reason: 'http provider answered 500',
        attempts: 5,
        permanent: false,
      },
    },
    { type: 'CodeDeliveryBlocked', data: { ...base, reason: 'destinationHourlyLimit' } },
    { type: 'CodeDeliverySkipped', data: { ...base, reason: 'superseded' } },
    { type: 'CodeDelivered', data: { ...base, provider: 'twilio', providerMessageId: 'SM1' } },
    {
      type: 'CodeUndeliverable',
      data: { ...base, provider: 'twilio', providerMessageId: 'SM1', reason: 'undelivered (error 30003)' },
    },
  ];

  it.each(outcomes.map((e) => [e.type, e] as const))('%s is a known event type', (type) => {
    expect(SECURITY_INFO_EVENT_TYPES).toContain(type);
  });

  it.each(outcomes.map((e) => [e.type, e] as const))(
    '%s leaves the Security info as it was',
    (_, outcome) => {
      const before = fold(history);
      expect(fold([outcome], before)).toEqual(before);
    },
  );

  it('does not change what the code proves: the code still verifies the phone after any outcome', () => {
    const state = fold([...history, ...outcomes]);
    const events = decide({ type: 'VerifyPhone', methodId: 'm', code: codeFor('c') }, state, {
      now: T0,
      newId: () => 'id-1',
      codeMatches: (codeId, code) => code === codeFor(codeId),
      policy: DEFAULT_POLICY,
    });
    expect(events.map((e) => e.type)).toContain('PhoneVerified');
  });
});
