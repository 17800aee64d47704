/**
 * Step-up (RFC 9470): once an account has a verified method, changing it needs a recent sign-in, and with
 * STEP_UP_ACR a strong one. The first method of an account needs only a valid token.
 */
import {
  added,
  addPhone,
  codeFor,
  def,
  defaultChanged,
  deleted,
  given,
  NUMBERS,
  pending,
  sent,
  signedIn,
  TEST_STEP_UP,
  verified,
  verifiedEvent,
} from '../testing';
import type { SecurityInfoEvent } from './events';
import { whyNotStrongEnough } from './step-up';

const mobileDefault = (): SecurityInfoEvent[] => [
  ...verified('m', 'mobile'),
  defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
];
const STALE = signedIn(20 * 60);
const REFUSED_DETAILS = { stepUp: { maxAgeSeconds: 600, acrValues: [] } };

describe('the first method of an account needs no step-up (that is how a person bootstraps)', () => {
  it('adds a first phone with a sign-in 20 minutes old', () => {
    given([])
      .when(addPhone(NUMBERS.mobile), { authentication: STALE })
      .then([added('id-1', 'mobile', { at: 0 }), sent('id-1', 'id-2', { phoneType: 'mobile', at: 0 })]);
  });

  it('verifies the first phone with a token that says nothing of the sign-in', () => {
    given(pending('m', 'mobile'))
      .when({ type: 'VerifyPhone', methodId: 'm', code: codeFor('m-code') }, { authentication: null })
      .then([
        verifiedEvent('m', 'm-code', 'sms'),
        defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });
});

describe('once a method is verified, every change needs a recent sign-in: 401 step-up-required', () => {
  const changes = [
    ['add', addPhone(NUMBERS.alternateMobile, 'alternateMobile')],
    ['delete', { type: 'DeleteMethod', methodId: 'm' }],
    ['change the default', { type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'voice' }],
    ['change the number', { type: 'ChangePhoneNumber', methodId: 'm', phoneNumber: '+14255550102' }],
  ] as const;

  it.each(changes)('refuses to %s on a sign-in 20 minutes old, recording nothing', (_, request) => {
    given(mobileDefault())
      .when(request, { authentication: STALE })
      .thenRefused('step-up-required', REFUSED_DETAILS);
  });

  it.each(changes)('refuses to %s on a token without auth_time', (_, request) => {
    given(mobileDefault()).when(request, { authentication: null }).thenRefused('step-up-required');
  });

  it('refuses to resend or verify a second phone on a stale sign-in (no wrong code is counted)', () => {
    const history = [...mobileDefault(), ...pending('o', 'office')];
    given(history)
      .when({ type: 'ResendCode', methodId: 'o' }, { authentication: STALE })
      .thenRefused('step-up-required');
    given(history)
      .when({ type: 'VerifyPhone', methodId: 'o', code: '000000' }, { authentication: STALE })
      .thenRefused('step-up-required');
  });

  it('refuses before anything else: a stale sign-in does not learn whether a method exists', () => {
    given(mobileDefault())
      .when({ type: 'DeleteMethod', methodId: 'no-such' }, { authentication: STALE })
      .thenRefused('step-up-required');
  });

  it('lets a sign-in exactly MAX_AUTH_AGE_SECONDS old through', () => {
    given(mobileDefault())
      .when({ type: 'DeleteMethod', methodId: 'm' }, { authentication: signedIn(600) })
      .then([deleted('m', 'mobile'), defaultChanged(null, def('m', 'sms'), 'defaultMethodDeleted')]);
  });

  it('lets a cancellation of a number change through on a stale sign-in: it only narrows what was asked', () => {
    given([
      ...mobileDefault(),
      {
        type: 'PhoneNumberChangeStarted',
        data: {
          methodId: 'm',
          phoneNumber: '+14255550102',
          extension: null,
          deliveryMethod: 'sms',
          startedAt: new Date(0).toISOString(),
        },
      },
    ])
      .when({ type: 'CancelPhoneNumberChange', methodId: 'm' }, { authentication: STALE })
      .then([{ type: 'PhoneNumberChangeCancelled', data: { methodId: 'm', reason: 'user' } }]);
  });

  it('says what a new sign-in must satisfy: max_age and, with STEP_UP_ACR, acr_values', () => {
    given(mobileDefault())
      .when(
        { type: 'DeleteMethod', methodId: 'm' },
        { authentication: signedIn(0), stepUp: { maxAuthAgeSeconds: 300, acrValues: ['urn:mfa', 'c2'] } },
      )
      .thenRefused('step-up-required', { stepUp: { maxAgeSeconds: 300, acrValues: ['urn:mfa', 'c2'] } });
  });
});

describe('STEP_UP_ACR: a listed acr, or an amr showing a second factor', () => {
  const rule = { ...TEST_STEP_UP, acrValues: ['urn:signet:mfa'] };

  it('accepts a listed acr', () => {
    expect(whyNotStrongEnough(signedIn(10, { acr: 'urn:signet:mfa' }), rule)).toBeNull();
  });

  it.each(['mfa', 'otp', 'sms', 'hwk', 'swk', 'fido'])('accepts amr %s in place of the acr', (amr) => {
    expect(whyNotStrongEnough(signedIn(10, { amr: ['pwd', amr] }), rule)).toBeNull();
  });

  it('refuses a password-only sign-in with another acr, however recent', () => {
    expect(whyNotStrongEnough(signedIn(0, { acr: 'urn:signet:pwd', amr: ['pwd'] }), rule)).toMatch(
      /second factor/,
    );
  });

  it('refuses a strong sign-in that is too old', () => {
    expect(whyNotStrongEnough(signedIn(601, { acr: 'urn:signet:mfa' }), rule)).toMatch(/600 seconds/);
  });

  it('without STEP_UP_ACR, asks only for a recent sign-in', () => {
    expect(whyNotStrongEnough(signedIn(0, { acr: null, amr: [] }), TEST_STEP_UP)).toBeNull();
  });
});
