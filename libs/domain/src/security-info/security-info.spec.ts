import {
  added,
  addPhone,
  at,
  codeFor,
  def,
  defaultChanged,
  deleted,
  failed,
  given,
  HOUR,
  iso,
  MINUTE,
  NUMBERS,
  pending,
  replaced,
  SECOND,
  sent,
  T0,
  TEST_POLICY,
  verified,
  verifiedEvent,
  wrongCodeFor,
} from '../testing';
import type { SecurityInfoEvent } from './events';
import type { DeliveryMethod, PhoneType } from './phone-method';
import { evolve, fold, initialState, UnknownEventError, type SecurityInfo } from './security-info';

// ---- AddPhoneMethod -------------------------------------------------------------------------------------

describe('AddPhoneMethod', () => {
  it('records exactly PhoneMethodAdded and CodeSent, with the number in E.164 and a masked destination', () => {
    const history = given([])
      .when(addPhone('+1 425 555 0100'))
      .then([
        added('id-1', 'mobile'),
        {
          type: 'CodeSent',
          data: {
            methodId: 'id-1',
            codeId: 'id-2',
            channel: 'sms',
            destination: '+1 XXXXXXXX00',
            sentAt: T0.toISOString(),
            expiresAt: iso(600 * SECOND),
          },
        },
      ]);

    const code = codeFor('id-2');
    expect(code).toMatch(/^\d{6}$/);
    expect(JSON.stringify(history)).not.toContain(code);
    const codeSentEvent = JSON.stringify(history.filter((e) => e.type === 'CodeSent'));
    expect(codeSentEvent).not.toContain('4255550100');
  });

  it('sets the expiry to now + codeTtlSeconds', () => {
    given([])
      .when(addPhone('+1 425 555 0100'), { now: at(HOUR), policy: { ...TEST_POLICY, codeTtlSeconds: 90 } })
      .then([added('id-1', 'mobile', { at: HOUR }), sent('id-1', 'id-2', { at: HOUR, ttlSeconds: 90 })]);
  });

  it.each([
    ['+1 425 555 0100', undefined],
    ['+14255550100', undefined],
    ['(425) 555-0100', 'US'],
    ['(425) 555-0100', 'us'],
    ['425.555.0100', 'US'],
  ])('normalises %p (country %p) to E.164', (phoneNumber, countryCode) => {
    given([])
      .when(addPhone(phoneNumber, 'mobile', { countryCode }))
      .then([added('id-1', 'mobile'), sent('id-1', 'id-2')]);
  });

  it.each([
    ['12', undefined],
    ['not a number', undefined],
    ['+1 999 555 0100', undefined],
    ['', undefined],
    ['123', 'US'],
    ['(425) 555-0100', 'XX'],
  ])('refuses the invalid number %p (country %p)', (phoneNumber, countryCode) => {
    given([])
      .when(addPhone(phoneNumber, 'mobile', { countryCode }))
      .thenRefused('invalid-phone-number', { field: 'phoneNumber' });
  });

  it('refuses a national number written without a country', () => {
    const refusal = given([])
      .when(addPhone('(425) 555-0100'))
      .thenRefused('invalid-phone-number', { field: 'phoneNumber' });
    expect(refusal.kind).toBe('invalid');
  });

  it('refuses a second method of a phone type that is taken by a verified phone', () => {
    given([...verified('m', 'mobile'), defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod')])
      .when(addPhone('+1 425 555 0102'))
      .thenRefused('phone-type-taken');
  });

  it('replaces a pending phone of the same type (see security-info-rules.spec.ts)', () => {
    given(pending('m', 'mobile'))
      .when(addPhone('+1 425 555 0102'), { now: at(MINUTE) })
      .then([
        replaced('m', 'mobile'),
        {
          ...added('id-1', 'mobile', { at: MINUTE }),
          data: { ...added('id-1', 'mobile', { at: MINUTE }).data, phoneNumber: '+14255550102' },
        },
        {
          ...sent('id-1', 'id-2', { at: MINUTE }),
          data: { ...sent('id-1', 'id-2', { at: MINUTE }).data, destination: '+1 XXXXXXXX02' },
        },
      ]);
  });

  it('lets the three phone types coexist', () => {
    let history = given([])
      .when(addPhone('+1 425 555 0100', 'mobile'))
      .then([added('id-1', 'mobile'), sent('id-1', 'id-2')]);
    history = given(history)
      .when(addPhone('+1 425 555 0101', 'alternateMobile'))
      .then([
        added('id-3', 'alternateMobile'),
        sent('id-3', 'id-4', { channel: 'voice', phoneType: 'alternateMobile' }),
      ]);
    history = given(history)
      .when(addPhone('+1 425 555 0199', 'office'))
      .then([added('id-5', 'office'), sent('id-5', 'id-6', { channel: 'voice', phoneType: 'office' })]);
    expect(fold(history).methods.map((m) => m.phoneType)).toEqual(['mobile', 'alternateMobile', 'office']);
  });

  it.each<PhoneType>(['alternateMobile', 'office'])('refuses text messages to the %s phone', (phoneType) => {
    given([])
      .when(addPhone(NUMBERS[phoneType], phoneType, { deliveryMethod: 'sms' }))
      .thenRefused('delivery-method-not-allowed', { field: 'deliveryMethod' });
  });

  it('allows a call to the mobile phone', () => {
    given([])
      .when(addPhone('+1 425 555 0100', 'mobile', { deliveryMethod: 'voice' }))
      .then([
        added('id-1', 'mobile', { deliveryMethod: 'voice' }),
        sent('id-1', 'id-2', { channel: 'voice' }),
      ]);
  });

  describe('office extension', () => {
    const officeWith = (extension: string): SecurityInfoEvent[] => [
      added('id-1', 'office', { extension }),
      sent('id-1', 'id-2', { channel: 'voice', phoneType: 'office' }),
    ];

    it('takes the extension from its own field', () => {
      given([])
        .when(addPhone('+1 425 555 0199', 'office', { extension: '123' }))
        .then(officeWith('123'));
    });

    it.each(['+1 425 555 0199 ext. 123', '+1 425 555 0199 x123'])(
      'takes the extension written into %p',
      (number) => {
        given([]).when(addPhone(number, 'office')).then(officeWith('123'));
      },
    );

    it('accepts the same extension in both places', () => {
      given([])
        .when(addPhone('+1 425 555 0199 ext. 123', 'office', { extension: '123' }))
        .then(officeWith('123'));
    });

    it('refuses an extension field that contradicts the one in the number', () => {
      given([])
        .when(addPhone('+1 425 555 0199 ext. 123', 'office', { extension: '456' }))
        .thenRefused('invalid-phone-number', { field: 'extension' });
    });

    it.each<[PhoneType, Parameters<typeof addPhone>[2], string]>([
      ['mobile', { extension: '123' }, '+1 425 555 0100'],
      ['mobile', {}, '+1 425 555 0100 ext. 123'],
      ['alternateMobile', { extension: '123' }, '+1 425 555 0101'],
    ])('refuses an extension on the %s phone (%p %p)', (phoneType, rest, number) => {
      given([])
        .when(addPhone(number, phoneType, rest))
        .thenRefused('extension-not-allowed', { field: 'extension' });
    });
  });
});

// ---- ResendCode -----------------------------------------------------------------------------------------

describe('ResendCode', () => {
  const resend = (methodId: string, deliveryMethod?: DeliveryMethod) =>
    ({ type: 'ResendCode', methodId, deliveryMethod }) as const;

  it('refuses an unknown method', () => {
    given(pending('m', 'mobile'))
      .when(resend('nope'), { now: at(MINUTE) })
      .thenRefused('method-not-found');
  });

  it('refuses a deleted method', () => {
    given([...pending('m', 'mobile'), deleted('m', 'mobile')])
      .when(resend('m'), { now: at(MINUTE) })
      .thenRefused('method-not-found');
  });

  it('refuses a verified method', () => {
    given(verified('m', 'mobile'))
      .when(resend('m'), { now: at(MINUTE) })
      .thenRefused('method-already-verified');
  });

  it('refuses within the cooldown, saying when it ends (last sent + 60 s)', () => {
    const history = [...pending('m', 'mobile'), sent('m', 'c2', { at: 2 * MINUTE })];
    given(history)
      .when(resend('m'), { now: at(2 * MINUTE + 60 * SECOND - 1) })
      .thenRefused('resend-cooldown', { retryAt: iso(3 * MINUTE) });
    given(history)
      .when(resend('m'), { now: at(2 * MINUTE + 1) })
      .thenRefused('resend-cooldown', {
        retryAt: iso(3 * MINUTE),
      });
  });

  it('sends a new code, with a new id, once the cooldown is over', () => {
    given(pending('m', 'mobile'))
      .when(resend('m'), { now: at(60 * SECOND) })
      .then([sent('m', 'id-1', { at: 60 * SECOND })]);
  });

  describe('hourly limit (5 codes per rolling hour, the first included)', () => {
    const fiveCodes = [
      ...pending('m', 'mobile'),
      sent('m', 'c2', { at: 10 * MINUTE }),
      sent('m', 'c3', { at: 20 * MINUTE }),
      sent('m', 'c4', { at: 30 * MINUTE }),
      sent('m', 'c5', { at: 40 * MINUTE }),
    ];

    it('refuses the 6th code within an hour, retryAt = first code in the window + 1 h', () => {
      const refusal = given(fiveCodes)
        .when(resend('m'), { now: at(50 * MINUTE) })
        .thenRefused('code-limit-reached', { retryAt: iso(HOUR) });
      expect(refusal.kind).toBe('tooSoon');
      given(fiveCodes)
        .when(resend('m'), { now: at(HOUR - 1) })
        .thenRefused('code-limit-reached', { retryAt: iso(HOUR) });
    });

    it('allows a code again once the oldest falls out of the window, and the window keeps rolling', () => {
      const six = given(fiveCodes)
        .when(resend('m'), { now: at(HOUR) })
        .then([sent('m', 'id-1', { at: HOUR })]);
      given(six)
        .when(resend('m'), { now: at(HOUR + 5 * MINUTE) })
        .thenRefused('code-limit-reached', { retryAt: iso(HOUR + 10 * MINUTE) });
      given(six)
        .when(resend('m'), { now: at(HOUR + 10 * MINUTE) })
        .then([sent('m', 'id-2', { at: HOUR + 10 * MINUTE })]);
    });

    it('checks the cooldown before the hourly limit', () => {
      given(fiveCodes)
        .when(resend('m'), { now: at(40 * MINUTE + 1) })
        .thenRefused('resend-cooldown', { retryAt: iso(41 * MINUTE) });
    });
  });

  it('switches a mobile phone to a call', () => {
    given(pending('m', 'mobile'))
      .when(resend('m', 'voice'), { now: at(MINUTE) })
      .then([sent('m', 'id-1', { at: MINUTE, channel: 'voice' })]);
  });

  it('keeps the channel asked for: a later resend without one calls again', () => {
    given([...pending('m', 'mobile'), sent('m', 'c2', { at: MINUTE, channel: 'voice' })])
      .when({ type: 'ResendCode', methodId: 'm' }, { now: at(2 * MINUTE) })
      .then([sent('m', 'id-1', { at: 2 * MINUTE, channel: 'voice' })]);
  });

  it('refuses text messages to an office phone', () => {
    given(pending('o', 'office'))
      .when(resend('o', 'sms'), { now: at(MINUTE) })
      .thenRefused('delivery-method-not-allowed', { field: 'deliveryMethod' });
  });

  it('kills the old code: it now fails, while the new one verifies', () => {
    const history = given(pending('m', 'mobile'))
      .when(resend('m'), { now: at(MINUTE) })
      .then([sent('m', 'id-1', { at: MINUTE })]);
    const verify = (code: string) => ({ type: 'VerifyPhone', methodId: 'm', code }) as const;

    given(history)
      .when(verify(codeFor('m-code')), { now: at(2 * MINUTE) })
      .thenRefusedRecording('code-incorrect', { attemptsRemaining: 4 }, [failed('m', 'id-1', 4)]);
    given(history)
      .when(verify(codeFor('id-1')), { now: at(2 * MINUTE) })
      .then([
        verifiedEvent('m', 'id-1', 'sms', 2 * MINUTE),
        defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });
});

// ---- VerifyPhone ----------------------------------------------------------------------------------------

describe('account-wide code limit (10 codes per rolling hour over all methods, deleted ones included)', () => {
  /** `n` mobiles added (one a minute) and deleted again: the churn an SMS-pumping script would try. */
  const churn = (n: number): SecurityInfoEvent[] =>
    Array.from({ length: n }, (_, i) => [
      added(`m${i}`, 'mobile', { at: i * MINUTE }),
      sent(`m${i}`, `c${i}`, { at: i * MINUTE }),
      deleted(`m${i}`, 'mobile'),
    ]).flat();

  it('refuses adding a phone once the account had 10 codes within the hour', () => {
    given(churn(10))
      .when(addPhone('+1 425 555 0100'), { now: at(10 * MINUTE) })
      .thenRefused('code-limit-reached', { retryAt: iso(HOUR) });
  });

  it('allows it again once the oldest code falls out of the hour', () => {
    given(churn(10))
      .when(addPhone('+1 425 555 0100'), { now: at(HOUR) })
      .then([added('id-1', 'mobile', { at: HOUR }), sent('id-1', 'id-2', { at: HOUR })]);
  });

  it('counts against resends too', () => {
    given([...churn(9), ...pending('p', 'office')])
      .when({ type: 'ResendCode', methodId: 'p' }, { now: at(10 * MINUTE) })
      .thenRefused('code-limit-reached', { retryAt: iso(HOUR) });
  });
});

describe('VerifyPhone', () => {
  const verify = (methodId: string, code: string) => ({ type: 'VerifyPhone', methodId, code }) as const;

  it('verifies with the right code and makes the first verified method the default', () => {
    given(pending('m', 'mobile'))
      .when(verify('m', codeFor('m-code')), { now: at(MINUTE) })
      .then([
        verifiedEvent('m', 'm-code', 'sms', MINUTE),
        defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });

  it('records the channel of the code that proved the phone, for the method and the default', () => {
    given([...pending('m', 'mobile', 'sms'), sent('m', 'c2', { at: MINUTE, channel: 'voice' })])
      .when(verify('m', codeFor('c2')), { now: at(2 * MINUTE) })
      .then([
        verifiedEvent('m', 'c2', 'voice', 2 * MINUTE),
        defaultChanged(def('m', 'voice'), null, 'firstVerifiedMethod'),
      ]);
  });

  it('only verifies when there already is a default', () => {
    given([
      ...verified('o', 'office'),
      defaultChanged(def('o', 'voice'), null, 'firstVerifiedMethod'),
      ...pending('m', 'mobile'),
    ])
      .when(verify('m', codeFor('m-code')), { now: at(MINUTE) })
      .then([verifiedEvent('m', 'm-code', 'sms', MINUTE)]);
  });

  it('makes a verified method the default again once every earlier one was deleted', () => {
    given([
      ...verified('o', 'office'),
      defaultChanged(def('o', 'voice'), null, 'firstVerifiedMethod'),
      deleted('o', 'office'),
      defaultChanged(null, def('o', 'voice'), 'defaultMethodDeleted'),
      ...pending('m', 'mobile'),
    ])
      .when(verify('m', codeFor('m-code')), { now: at(MINUTE) })
      .then([
        verifiedEvent('m', 'm-code', 'sms', MINUTE),
        defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });

  it('records each wrong code with the attempts left: 4, 3, 2, 1, 0; then the code is locked', () => {
    let history = pending('m', 'mobile');
    for (const attemptsRemaining of [4, 3, 2, 1, 0]) {
      history = given(history)
        .when(verify('m', wrongCodeFor('m-code')), { now: at(MINUTE) })
        .thenRefusedRecording('code-incorrect', { attemptsRemaining: attemptsRemaining }, [
          failed('m', 'm-code', attemptsRemaining),
        ]);
    }
    given(history)
      .when(verify('m', codeFor('m-code')), { now: at(MINUTE) })
      .thenRefused('code-locked');
    given(history)
      .when(verify('m', wrongCodeFor('m-code')), { now: at(MINUTE) })
      .thenRefused('code-locked');
  });

  it('counts a code of the wrong length as a wrong code', () => {
    given(pending('m', 'mobile'))
      .when(verify('m', codeFor('m-code').slice(1)), { now: at(MINUTE) })
      .thenRefusedRecording('code-incorrect', { attemptsRemaining: 4 }, [failed('m', 'm-code', 4)]);
  });

  it('is unlocked by a new code', () => {
    const locked = [...pending('m', 'mobile'), ...[4, 3, 2, 1, 0].map((left) => failed('m', 'm-code', left))];
    const history = given(locked)
      .when({ type: 'ResendCode', methodId: 'm' }, { now: at(MINUTE) })
      .then([sent('m', 'id-1', { at: MINUTE })]);
    given(history)
      .when(verify('m', codeFor('id-1')), { now: at(2 * MINUTE) })
      .then([
        verifiedEvent('m', 'id-1', 'sms', 2 * MINUTE),
        defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });

  it('refuses an expired code: exactly at the TTL is expired, one ms before is fine', () => {
    const ttl = TEST_POLICY.codeTtlSeconds * SECOND;
    const refusal = given(pending('m', 'mobile'))
      .when(verify('m', codeFor('m-code')), { now: at(ttl) })
      .thenRefused('code-expired');
    expect(refusal.kind).toBe('gone');
    given(pending('m', 'mobile'))
      .when(verify('m', wrongCodeFor('m-code')), { now: at(ttl + HOUR) })
      .thenRefused('code-expired');
    given(pending('m', 'mobile'))
      .when(verify('m', codeFor('m-code')), { now: at(ttl - 1) })
      .then([
        verifiedEvent('m', 'm-code', 'sms', ttl - 1),
        defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });

  it('refuses an already verified method', () => {
    given(verified('m', 'mobile'))
      .when(verify('m', codeFor('m-code')), { now: at(MINUTE) })
      .thenRefused('method-already-verified');
  });

  it('refuses an unknown method', () => {
    given(pending('m', 'mobile'))
      .when(verify('nope', codeFor('m-code')))
      .thenRefused('method-not-found');
  });

  it('refuses a deleted method', () => {
    given([...pending('m', 'mobile'), deleted('m', 'mobile')])
      .when(verify('m', codeFor('m-code')))
      .thenRefused('method-not-found');
  });
});

// ---- DeleteMethod ---------------------------------------------------------------------------------------

describe('DeleteMethod', () => {
  const del = (methodId: string) => ({ type: 'DeleteMethod', methodId }) as const;

  it('deletes a pending method', () => {
    given(pending('m', 'mobile'))
      .when(del('m'))
      .then([deleted('m', 'mobile')]);
  });

  it('deletes a verified method that is not the default, leaving the default alone', () => {
    given([
      ...verified('m', 'mobile'),
      defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ...verified('o', 'office'),
    ])
      .when(del('o'))
      .then([deleted('o', 'office')]);
  });

  it('moves the default from a deleted alternate phone to mobile/sms ahead of office', () => {
    given([
      ...verified('o', 'office'),
      ...verified('a', 'alternateMobile'),
      defaultChanged(def('a', 'voice'), null, 'firstVerifiedMethod'),
      ...verified('m', 'mobile', 'sms'),
    ])
      .when(del('a'))
      .then([
        deleted('a', 'alternateMobile'),
        defaultChanged(def('m', 'sms'), def('a', 'voice'), 'defaultMethodDeleted'),
      ]);
  });

  it('falls back to mobile/voice for a mobile proved by a call: it never showed it receives texts', () => {
    given([
      ...verified('o', 'office'),
      ...verified('a', 'alternateMobile'),
      defaultChanged(def('a', 'voice'), null, 'firstVerifiedMethod'),
      ...verified('m', 'mobile', 'voice'),
    ])
      .when(del('a'))
      .then([
        deleted('a', 'alternateMobile'),
        defaultChanged(def('m', 'voice'), def('a', 'voice'), 'defaultMethodDeleted'),
      ]);
  });

  it('skips pending methods: deleting the mobile default with alternate pending and office verified moves to office/voice', () => {
    given([
      ...verified('m', 'mobile'),
      defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ...pending('a', 'alternateMobile'),
      ...verified('o', 'office'),
    ])
      .when(del('m'))
      .then([
        deleted('m', 'mobile'),
        defaultChanged(def('o', 'voice'), def('m', 'sms'), 'defaultMethodDeleted'),
      ]);
  });

  it('moves the default to the alternate phone ahead of the office phone', () => {
    given([
      ...verified('o', 'office'),
      ...verified('m', 'mobile'),
      defaultChanged(def('m', 'voice'), null, 'user'),
      ...verified('a', 'alternateMobile'),
    ])
      .when(del('m'))
      .then([
        deleted('m', 'mobile'),
        defaultChanged(def('a', 'voice'), def('m', 'voice'), 'defaultMethodDeleted'),
      ]);
  });

  it('leaves no default when no verified method is left', () => {
    given([
      ...verified('m', 'mobile'),
      defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ...pending('o', 'office'),
    ])
      .when(del('m'))
      .then([deleted('m', 'mobile'), defaultChanged(null, def('m', 'sms'), 'defaultMethodDeleted')]);
  });

  it('refuses an unknown method', () => {
    given(pending('m', 'mobile')).when(del('nope')).thenRefused('method-not-found');
  });

  it('refuses to delete twice', () => {
    const history = given(pending('m', 'mobile'))
      .when(del('m'))
      .then([deleted('m', 'mobile')]);
    given(history).when(del('m')).thenRefused('method-not-found');
  });

  it('frees the phone type: the same type can be added again', () => {
    given([...verified('m', 'mobile'), defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod')])
      .when(del('m'))
      .then([deleted('m', 'mobile'), defaultChanged(null, def('m', 'sms'), 'defaultMethodDeleted')]);
    given([
      ...verified('m', 'mobile'),
      defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      deleted('m', 'mobile'),
      defaultChanged(null, def('m', 'sms'), 'defaultMethodDeleted'),
    ])
      .when(addPhone('+1 425 555 0100'), { now: at(MINUTE) })
      .then([added('id-1', 'mobile', { at: MINUTE }), sent('id-1', 'id-2', { at: MINUTE })]);
  });
});

// ---- ChangeDefault --------------------------------------------------------------------------------------

describe('ChangeDefault', () => {
  const change = (methodId: string, deliveryMethod: DeliveryMethod) =>
    ({ type: 'ChangeDefault', methodId, deliveryMethod }) as const;
  const mobileDefaultAndOffice = [
    ...verified('m', 'mobile'),
    defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
    ...verified('o', 'office'),
  ];

  it('makes a verified method the default, naming the previous one', () => {
    given(mobileDefaultAndOffice)
      .when(change('o', 'voice'))
      .then([defaultChanged(def('o', 'voice'), def('m', 'sms'), 'user')]);
  });

  it('refuses a pending method', () => {
    given([...mobileDefaultAndOffice, ...pending('a', 'alternateMobile')])
      .when(change('a', 'voice'))
      .thenRefused('method-not-verified');
  });

  it('refuses text messages to a phone other than the mobile one', () => {
    given(mobileDefaultAndOffice)
      .when(change('o', 'sms'))
      .thenRefused('delivery-method-not-allowed', { field: 'deliveryMethod' });
  });

  it('records nothing when the method and its delivery are already the default', () => {
    given(mobileDefaultAndOffice).when(change('m', 'sms')).then([]);
  });

  it('switches the default between text and call on the mobile phone', () => {
    given(mobileDefaultAndOffice)
      .when(change('m', 'voice'))
      .then([defaultChanged(def('m', 'voice'), def('m', 'sms'), 'user')]);
  });

  it('refuses an unknown method', () => {
    given(mobileDefaultAndOffice).when(change('nope', 'voice')).thenRefused('method-not-found');
  });

  it('refuses a deleted method', () => {
    given([...mobileDefaultAndOffice, deleted('o', 'office')])
      .when(change('o', 'voice'))
      .thenRefused('method-not-found');
  });
});

// ---- evolve / fold --------------------------------------------------------------------------------------

describe('evolve and fold', () => {
  it('builds the expected state over a full story', () => {
    // Add a mobile phone, mistype its code, get a call instead, verify.
    let h = given([])
      .when(addPhone('+1 425 555 0100'), { now: at(0) })
      .then([added('id-1', 'mobile'), sent('id-1', 'id-2')]);
    h = given(h)
      .when({ type: 'VerifyPhone', methodId: 'id-1', code: wrongCodeFor('id-2') }, { now: at(10 * SECOND) })
      .thenRefusedRecording('code-incorrect', { attemptsRemaining: 4 }, [failed('id-1', 'id-2', 4)]);
    h = given(h)
      .when({ type: 'ResendCode', methodId: 'id-1', deliveryMethod: 'voice' }, { now: at(70 * SECOND) })
      .then([sent('id-1', 'id-3', { at: 70 * SECOND, channel: 'voice' })]);

    expect(fold(h).methods[0].codes).toEqual([
      { codeId: 'id-2', channel: 'sms', sentAt: iso(0), expiresAt: iso(600 * SECOND), failedAttempts: 1 },
      {
        codeId: 'id-3',
        channel: 'voice',
        sentAt: iso(70 * SECOND),
        expiresAt: iso(670 * SECOND),
        failedAttempts: 0,
      },
    ]);

    h = given(h)
      .when({ type: 'VerifyPhone', methodId: 'id-1', code: codeFor('id-3') }, { now: at(90 * SECOND) })
      .then([
        verifiedEvent('id-1', 'id-3', 'voice', 90 * SECOND),
        defaultChanged(def('id-1', 'voice'), null, 'firstVerifiedMethod'),
      ]);

    // Add an office phone with an extension, verify it, make it the default, then delete it.
    h = given(h)
      .when(addPhone('+1 425 555 0199 ext. 123', 'office'), { now: at(5 * MINUTE) })
      .then([
        added('id-4', 'office', { at: 5 * MINUTE, extension: '123' }),
        sent('id-4', 'id-5', { at: 5 * MINUTE, channel: 'voice', phoneType: 'office' }),
      ]);
    h = given(h)
      .when({ type: 'VerifyPhone', methodId: 'id-4', code: codeFor('id-5') }, { now: at(6 * MINUTE) })
      .then([verifiedEvent('id-4', 'id-5', 'voice', 6 * MINUTE)]);
    h = given(h)
      .when({ type: 'ChangeDefault', methodId: 'id-4', deliveryMethod: 'voice' }, { now: at(7 * MINUTE) })
      .then([defaultChanged(def('id-4', 'voice'), def('id-1', 'voice'), 'user')]);

    const beforeDelete: SecurityInfo = {
      methods: [
        {
          methodId: 'id-1',
          phoneType: 'mobile',
          phoneNumber: '+14255550100',
          extension: null,
          deliveryMethod: 'voice',
          status: 'verified',
          addedAt: iso(0),
          verifiedAt: iso(90 * SECOND),
          codes: [],
        },
        {
          methodId: 'id-4',
          phoneType: 'office',
          phoneNumber: '+14255550199',
          extension: '123',
          deliveryMethod: 'voice',
          status: 'verified',
          addedAt: iso(5 * MINUTE),
          verifiedAt: iso(6 * MINUTE),
          codes: [],
        },
      ],
      defaultMethod: def('id-4', 'voice'),
      recentCodeTimes: [iso(0), iso(70 * SECOND), iso(5 * MINUTE)],
    };
    expect(fold(h)).toEqual(beforeDelete);

    h = given(h)
      .when({ type: 'DeleteMethod', methodId: 'id-4' }, { now: at(8 * MINUTE) })
      .then([
        deleted('id-4', 'office'),
        // The mobile was proved by a call, so the default falls back to calling it.
        defaultChanged(def('id-1', 'voice'), def('id-4', 'voice'), 'defaultMethodDeleted'),
      ]);

    expect(fold(h)).toEqual({
      ...beforeDelete,
      methods: [beforeDelete.methods[0]],
      defaultMethod: def('id-1', 'voice'),
    });
  });

  it('keeps a pending method pending with its codes, in the order sent', () => {
    const state = fold([...pending('m', 'mobile'), sent('m', 'c2', { at: MINUTE }), failed('m', 'c2', 4)]);
    expect(state.methods[0]).toMatchObject({ status: 'pendingVerification', verifiedAt: null });
    expect(state.methods[0].codes.map((c) => [c.codeId, c.failedAttempts])).toEqual([
      ['m-code', 0],
      ['c2', 1],
    ]);
    expect(state.defaultMethod).toBeNull();
  });

  it('refuses an event type it does not know, rather than skipping it', () => {
    // Only a corrupt caller gets past the types here; stored events are checked by securityInfoEventOf.
    const melted = JSON.parse('{"type":"PhoneMelted","data":{}}');
    expect(() => evolve(initialState, melted)).toThrow(UnknownEventError);
  });

  it('ignores events about unknown methods and never changes the state it is given', () => {
    const before = fold(verified('m', 'mobile'));
    const snapshot = structuredClone(before);
    const after = evolve(before, failed('nope', 'c9', 4));
    expect(after).toEqual(before);
    fold([deleted('m', 'mobile'), defaultChanged(null, null, 'user')], before);
    expect(before).toEqual(snapshot);
    expect(initialState).toEqual({ methods: [], defaultMethod: null, recentCodeTimes: [] });
  });
});
