/**
 * The rules as the seed (Microsoft's Security info page) and Microsoft Graph's phoneAuthenticationMethod
 * have them: phone types, SMS-capable numbers, numbers never called, pending methods that replace and lapse,
 * changing a verified phone's number.
 */
import {
  added,
  addPhone,
  at,
  changeCancelled,
  changeStarted,
  codeFor,
  def,
  defaultChanged,
  deleted,
  failed,
  given,
  HOUR,
  iso,
  lapsed,
  MINUTE,
  NEW_NUMBERS,
  NUMBERS,
  numberChanged,
  pending,
  replaced,
  SECOND,
  sent,
  sentTo,
  TEST_POLICY,
  verified,
  wrongCodeFor,
} from '../testing';
import type { SecurityInfoEvent } from './events';
import { fold } from './security-info';

const mobileDefault = (): SecurityInfoEvent[] => [
  ...verified('m', 'mobile'),
  defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
];

/** PhoneMethodAdded and CodeSent for a number other than the builders' own. */
function addedWith(
  methodId: string,
  codeId: string,
  phoneType: 'mobile' | 'alternateMobile' | 'office',
  e164: string,
  channel: 'sms' | 'voice',
  atMs = 0,
): SecurityInfoEvent[] {
  const event = added(methodId, phoneType, { deliveryMethod: channel, at: atMs });
  return [
    { ...event, data: { ...event.data, phoneNumber: e164 } },
    sentTo(methodId, codeId, e164, { at: atMs, channel }),
  ];
}

describe('a mobile first (Graph: "a user must always have a mobile phone before adding an alternateMobile phone")', () => {
  it('refuses an alternate phone on an account with no mobile: 409 mobile-required', () => {
    const refusal = given([])
      .when(addPhone('+1 425 555 0101', 'alternateMobile'))
      .thenRefused('mobile-required');
    expect(refusal.kind).toBe('conflict');
  });

  it('refuses it when the mobile was deleted', () => {
    given([
      ...mobileDefault(),
      deleted('m', 'mobile'),
      defaultChanged(null, def('m', 'sms'), 'defaultMethodDeleted'),
    ])
      .when(addPhone('+1 425 555 0101', 'alternateMobile'))
      .thenRefused('mobile-required');
  });

  it('accepts it with a pending mobile', () => {
    given(pending('m', 'mobile'))
      .when(addPhone('+1 425 555 0101', 'alternateMobile'))
      .then([
        added('id-1', 'alternateMobile'),
        sent('id-1', 'id-2', { channel: 'voice', phoneType: 'alternateMobile' }),
      ]);
  });

  it('accepts it with a verified mobile', () => {
    given(mobileDefault())
      .when(addPhone('+1 425 555 0101', 'alternateMobile'))
      .then([
        added('id-1', 'alternateMobile'),
        sent('id-1', 'id-2', { channel: 'voice', phoneType: 'alternateMobile' }),
      ]);
  });

  it('lets the mobile be deleted while an alternate phone remains (the seed lets a person delete any method)', () => {
    const history = [...mobileDefault(), ...verified('a', 'alternateMobile')];
    const after = given(history)
      .when({ type: 'DeleteMethod', methodId: 'm' })
      .then([
        deleted('m', 'mobile'),
        defaultChanged(def('a', 'voice'), def('m', 'sms'), 'defaultMethodDeleted'),
      ]);
    expect(fold(after).methods.map((m) => m.phoneType)).toEqual(['alternateMobile']);
  });

  it('does not need a mobile for an office phone', () => {
    given([])
      .when(addPhone('+1 425 555 0199', 'office'))
      .then([added('id-1', 'office'), sent('id-1', 'id-2', { channel: 'voice', phoneType: 'office' })]);
  });
});

describe('only numbers that can take a text get "Text me a code"', () => {
  it('refuses sms to a UK landline: 400 number-cannot-receive-sms', () => {
    const refusal = given([])
      .when(addPhone('+44 20 7946 0018', 'mobile', { deliveryMethod: 'sms' }))
      .thenRefused('number-cannot-receive-sms', { field: 'deliveryMethod' });
    expect(refusal.kind).toBe('invalid');
  });

  it('accepts a call to the same landline', () => {
    given([])
      .when(addPhone('+44 20 7946 0018', 'mobile', { deliveryMethod: 'voice' }))
      .then(addedWith('id-1', 'id-2', 'mobile', '+442079460018', 'voice'));
  });

  it('refuses sms to a toll-free number, and accepts a call to it', () => {
    given([])
      .when(addPhone('+1 800 555 0100'))
      .thenRefused('number-cannot-receive-sms', { field: 'deliveryMethod' });
    given([])
      .when(addPhone('+1 800 555 0100', 'mobile', { deliveryMethod: 'voice' }))
      .then(addedWith('id-1', 'id-2', 'mobile', '+18005550100', 'voice'));
  });

  it.each([
    ['a mobile', '+44 7400 123456', '+447400123456'],
    ['a fixed-line-or-mobile number', '+1 425 555 0100', '+14255550100'],
  ])('accepts sms to %s', (_, input, e164) => {
    given([])
      .when(addPhone(input))
      .then(addedWith('id-1', 'id-2', 'mobile', e164, 'sms'));
  });

  it('refuses a resend by text to a landline mobile phone', () => {
    given(addedWith('m', 'c1', 'mobile', '+442079460018', 'voice'))
      .when({ type: 'ResendCode', methodId: 'm', deliveryMethod: 'sms' }, { now: at(MINUTE) })
      .thenRefused('number-cannot-receive-sms', { field: 'deliveryMethod' });
  });

  it('refuses texts as the default sign-in method for a landline mobile phone', () => {
    const history = [
      ...addedWith('m', 'c1', 'mobile', '+442079460018', 'voice'),
      {
        type: 'PhoneVerified',
        data: { methodId: 'm', codeId: 'c1', deliveryMethod: 'voice', verifiedAt: iso(0) },
      } as const,
      defaultChanged(def('m', 'voice'), null, 'firstVerifiedMethod'),
    ];
    given(history)
      .when({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'sms' })
      .thenRefused('number-cannot-receive-sms', { field: 'deliveryMethod' });
  });
});

describe('numbers never called or texted (toll fraud, IRSF): 400 number-not-allowed', () => {
  it.each([
    ['a UK premium-rate number', '+44 909 879 0000'],
    ['a US premium-rate number', '+1 900 200 1234'],
    ['the international premium rate service', '+979 1 2345 6789'],
    ['Inmarsat', '+870 773 111 632'],
  ])('refuses %s for texts and for calls', (_, number) => {
    given([]).when(addPhone(number)).thenRefused('number-not-allowed', { field: 'phoneNumber' });
    given([])
      .when(addPhone(number, 'mobile', { deliveryMethod: 'voice' }))
      .thenRefused('number-not-allowed', { field: 'phoneNumber' });
    given([]).when(addPhone(number, 'office')).thenRefused('number-not-allowed', { field: 'phoneNumber' });
  });
});

describe('pending methods never trap a person', () => {
  describe('adding a phone of a type whose method is pending replaces it', () => {
    it('removes the old one (reason replaced) and sends the new one a code', () => {
      const history = given(pending('m', 'mobile'))
        .when(addPhone('+1 425 555 0102'), { now: at(2 * MINUTE) })
        .then([
          replaced('m', 'mobile'),
          ...addedWith('id-1', 'id-2', 'mobile', NEW_NUMBERS.mobile, 'sms', 2 * MINUTE),
        ]);
      expect(fold(history).methods.map((m) => [m.methodId, m.phoneNumber])).toEqual([
        ['id-1', NEW_NUMBERS.mobile],
      ]);
    });

    it('kills the old codes: the old method is gone', () => {
      const history = [
        ...pending('m', 'mobile'),
        replaced('m', 'mobile'),
        ...addedWith('n', 'c2', 'mobile', NEW_NUMBERS.mobile, 'sms', 2 * MINUTE),
      ];
      given(history)
        .when({ type: 'VerifyPhone', methodId: 'm', code: codeFor('m-code') }, { now: at(3 * MINUTE) })
        .thenRefused('method-not-found');
    });

    it('keeps the cooldown: no new code within 60 s of the replaced one’s', () => {
      given(pending('m', 'mobile'))
        .when(addPhone('+1 425 555 0102'), { now: at(30 * SECOND) })
        .thenRefused('resend-cooldown', { retryAt: iso(MINUTE) });
    });

    it('keeps the per-phone hourly limit over the replaced phone’s codes', () => {
      const five = [
        ...pending('m', 'mobile'),
        ...[1, 2, 3, 4].map((i) => sent('m', `c${i}`, { at: i * 2 * MINUTE })),
      ];
      given(five)
        .when(addPhone('+1 425 555 0102'), { now: at(10 * MINUTE) })
        .thenRefused('code-limit-reached', { retryAt: iso(HOUR) });
    });

    it('never replaces a verified phone', () => {
      given(mobileDefault()).when(addPhone('+1 425 555 0102')).thenRefused('phone-type-taken');
    });
  });

  describe(`a pending method lapses after the pending-method TTL (${TEST_POLICY.pendingMethodTtlHours} h here)`, () => {
    const TTL = TEST_POLICY.pendingMethodTtlHours * HOUR;

    it('frees its slot: adding the type again records the lapse first, at addedAt + TTL', () => {
      given(pending('m', 'mobile'))
        .when(addPhone('+1 425 555 0102'), { now: at(TTL + HOUR) })
        .then([
          lapsed('m', 'mobile', TTL),
          ...addedWith('id-1', 'id-2', 'mobile', NEW_NUMBERS.mobile, 'sms', TTL + HOUR),
        ]);
    });

    it('is lapsed exactly at addedAt + TTL, not a millisecond before', () => {
      given(pending('m', 'mobile'))
        .when({ type: 'ResendCode', methodId: 'm' }, { now: at(TTL - 1) })
        .then([sent('m', 'id-1', { at: TTL - 1 })]);
      given(pending('m', 'mobile'))
        .when({ type: 'ResendCode', methodId: 'm' }, { now: at(TTL) })
        .thenRefused('method-not-found');
    });

    it('is recorded by any command that records something, on any method', () => {
      given([...mobileDefault(), ...pending('o', 'office')])
        .when({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'voice' }, { now: at(TTL) })
        .then([lapsed('o', 'office', TTL), defaultChanged(def('m', 'voice'), def('m', 'sms'), 'user')]);
    });

    it('is not recorded by a refusal, nor by a command that changes nothing', () => {
      given([...mobileDefault(), ...pending('o', 'office')])
        .when({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'sms' }, { now: at(TTL) })
        .then([]);
      given([...mobileDefault(), ...pending('o', 'office')])
        .when({ type: 'DeleteMethod', methodId: 'o' }, { now: at(TTL) })
        .thenRefused('method-not-found');
    });

    it('follows the configured TTL', () => {
      given(pending('m', 'mobile'))
        .when(addPhone('+1 425 555 0102'), {
          now: at(HOUR),
          policy: { ...TEST_POLICY, pendingMethodTtlHours: 1 },
        })
        .then([
          lapsed('m', 'mobile', HOUR),
          ...addedWith('id-1', 'id-2', 'mobile', NEW_NUMBERS.mobile, 'sms', HOUR),
        ]);
    });

    it('never lapses a verified method', () => {
      given(mobileDefault())
        .when(addPhone('+1 425 555 0102'), { now: at(10 * TTL) })
        .thenRefused('phone-type-taken');
    });
  });
});

describe("changing a number (Graph's update)", () => {
  const change = (phoneNumber: string, rest: { deliveryMethod?: 'sms' | 'voice'; extension?: string } = {}) =>
    ({ type: 'ChangePhoneNumber', methodId: 'm', phoneNumber, ...rest }) as const;
  const started = (atMs = MINUTE) => [
    changeStarted('m', NEW_NUMBERS.mobile, { at: atMs }),
    sentTo('m', 'id-1', NEW_NUMBERS.mobile, { at: atMs }),
  ];

  it('sends a code to the new number; the method keeps the old one, and stays the default', () => {
    const history = given(mobileDefault())
      .when(change('+1 425 555 0102'), { now: at(MINUTE) })
      .then(started());
    const state = fold(history);
    expect(state.methods[0]).toMatchObject({ phoneNumber: NUMBERS.mobile, status: 'verified' });
    expect(state.methods[0].pendingChange).toMatchObject({ phoneNumber: NEW_NUMBERS.mobile });
    expect(state.defaultMethod).toEqual(def('m', 'sms'));
  });

  it('swaps the number in one event once the new one is proven', () => {
    given([...mobileDefault(), ...started()])
      .when({ type: 'VerifyPhone', methodId: 'm', code: codeFor('id-1') }, { now: at(2 * MINUTE) })
      .then([numberChanged('m', 'id-1', NEW_NUMBERS.mobile, NUMBERS.mobile, { at: 2 * MINUTE })]);
  });

  it('counts a wrong code against the new number’s code, and changes nothing else', () => {
    const history = given([...mobileDefault(), ...started()])
      .when({ type: 'VerifyPhone', methodId: 'm', code: wrongCodeFor('id-1') }, { now: at(2 * MINUTE) })
      .thenRefusedRecording('code-incorrect', { attemptsRemaining: 4 }, [failed('m', 'id-1', 4)]);
    expect(fold(history).methods[0]).toMatchObject({ phoneNumber: NUMBERS.mobile });
  });

  it('makes a text default a call when the new number cannot take texts', () => {
    const history = [
      ...mobileDefault(),
      changeStarted('m', '+442079460018', { deliveryMethod: 'voice', at: MINUTE }),
      sentTo('m', 'id-1', '+442079460018', { at: MINUTE, channel: 'voice' }),
    ];
    given(history)
      .when({ type: 'VerifyPhone', methodId: 'm', code: codeFor('id-1') }, { now: at(2 * MINUTE) })
      .then([
        numberChanged('m', 'id-1', '+442079460018', NUMBERS.mobile, {
          at: 2 * MINUTE,
          deliveryMethod: 'voice',
        }),
        defaultChanged(def('m', 'voice'), def('m', 'sms'), 'numberChanged'),
      ]);
  });

  it('replaces a pending change with a second one (after the cooldown)', () => {
    given([...mobileDefault(), ...started()])
      .when(change('+1 425 555 0103'), { now: at(2 * MINUTE) })
      .then([
        changeCancelled('m', 'replaced'),
        changeStarted('m', '+14255550103', { at: 2 * MINUTE }),
        sentTo('m', 'id-2', '+14255550103', { at: 2 * MINUTE }),
      ]);
  });

  it('cancels a pending change; the old number stays', () => {
    const history = given([...mobileDefault(), ...started()])
      .when({ type: 'CancelPhoneNumberChange', methodId: 'm' })
      .then([changeCancelled('m', 'user')]);
    expect(fold(history).methods[0]).toMatchObject({ phoneNumber: NUMBERS.mobile, pendingChange: null });
    given(history).when({ type: 'CancelPhoneNumberChange', methodId: 'm' }).thenRefused('no-pending-change');
  });

  it('resends the new number’s code, keeping the cooldown', () => {
    given([...mobileDefault(), ...started()])
      .when({ type: 'ResendCode', methodId: 'm' }, { now: at(MINUTE + 30 * SECOND) })
      .thenRefused('resend-cooldown', { retryAt: iso(2 * MINUTE) });
    given([...mobileDefault(), ...started()])
      .when({ type: 'ResendCode', methodId: 'm', deliveryMethod: 'voice' }, { now: at(2 * MINUTE) })
      .then([sentTo('m', 'id-2', NEW_NUMBERS.mobile, { at: 2 * MINUTE, channel: 'voice' })]);
  });

  it.each<[string, ReturnType<typeof change>, string]>([
    ['an invalid number', change('+1 999 555 0100'), 'invalid-phone-number'],
    ['a premium-rate number', change('+1 900 200 1234'), 'number-not-allowed'],
    ['texts to a landline', change('+44 20 7946 0018'), 'number-cannot-receive-sms'],
    ['the number it already has', change('+1 425 555 0100'), 'number-unchanged'],
  ])('refuses %s', (_, command, code) => {
    given(mobileDefault())
      .when(command, { now: at(MINUTE) })
      .thenRefused(code as never);
  });

  it('accepts a landline by call', () => {
    given(mobileDefault())
      .when(change('+44 20 7946 0018', { deliveryMethod: 'voice' }), { now: at(MINUTE) })
      .then([
        changeStarted('m', '+442079460018', { deliveryMethod: 'voice', at: MINUTE }),
        sentTo('m', 'id-1', '+442079460018', { at: MINUTE, channel: 'voice' }),
      ]);
  });

  it('refuses a pending method (add it again instead: it is replaced) and an unknown one', () => {
    given(pending('m', 'mobile'))
      .when(change('+1 425 555 0102'), { now: at(MINUTE) })
      .thenRefused('method-not-verified');
    given([]).when(change('+1 425 555 0102')).thenRefused('method-not-found');
  });

  it('counts the new number’s codes against the account-wide limit', () => {
    const churn = Array.from({ length: 10 }, (_, i) => sent('x', `c${i}`, { at: i * SECOND }));
    given([...mobileDefault(), ...churn])
      .when(change('+1 425 555 0102'), { now: at(MINUTE) })
      .thenRefused('code-limit-reached', { retryAt: iso(HOUR) });
  });
});
