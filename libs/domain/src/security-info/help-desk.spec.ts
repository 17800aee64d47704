/**
 * The help desk (Graph's admin API): an authentication administrator registers a phone verified without a
 * code, deletes a method, or changes the default; each is recorded as theirs, and their own sign-in always
 * needs step-up.
 */
import {
  added,
  def,
  defaultChanged,
  given,
  iso,
  NUMBERS,
  pending,
  replaced,
  signedIn,
  verified,
} from '../testing';
import type { SecurityInfoEvent } from './events';

const AS_HELP_DESK = { administrator: 'helpdesk-1' };
const register = (phoneType: 'mobile' | 'alternateMobile' | 'office', deliveryMethod: 'sms' | 'voice') => ({
  type: 'RegisterPhoneMethod' as const,
  phoneNumber: NUMBERS[phoneType],
  phoneType,
  deliveryMethod,
});
const mobileDefault = (): SecurityInfoEvent[] => [
  ...verified('m', 'mobile'),
  defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
];
const byAdministrator = (methodId: string, deliveryMethod: 'sms' | 'voice'): SecurityInfoEvent => ({
  type: 'PhoneVerifiedByAdministrator',
  data: { methodId, deliveryMethod, verifiedAt: iso(0), administrator: 'helpdesk-1' },
});

describe('an administrator registers a phone: verified without a code, naming the administrator', () => {
  it('registers the first phone of an account, which becomes the default; no code is sent', () => {
    given([])
      .when(register('mobile', 'sms'), AS_HELP_DESK)
      .then([
        added('id-1', 'mobile'),
        byAdministrator('id-1', 'sms'),
        defaultChanged(def('id-1', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });

  it('registers a further phone beside the default without moving it', () => {
    given(mobileDefault())
      .when(register('office', 'voice'), AS_HELP_DESK)
      .then([added('id-1', 'office'), byAdministrator('id-1', 'voice')]);
  });

  it('replaces a pending phone of the type, as for the person', () => {
    given(pending('p', 'mobile'))
      .when(register('mobile', 'sms'), AS_HELP_DESK)
      .then([
        replaced('p', 'mobile'),
        added('id-1', 'mobile'),
        byAdministrator('id-1', 'sms'),
        defaultChanged(def('id-1', 'sms'), null, 'firstVerifiedMethod'),
      ]);
  });

  it('holds the administrator to the phone rules: a verified phone of the type is not replaced', () => {
    given(mobileDefault()).when(register('mobile', 'sms'), AS_HELP_DESK).thenRefused('phone-type-taken');
    given([]).when(register('alternateMobile', 'voice'), AS_HELP_DESK).thenRefused('mobile-required');
    given([]).when(register('office', 'sms'), AS_HELP_DESK).thenRefused('delivery-method-not-allowed', {
      field: 'deliveryMethod',
    });
  });

  it('is never a command a person can give', () => {
    expect(() => given([]).when(register('mobile', 'sms')).then([])).toThrow(/administrator/);
  });
});

describe("an administrator's delete and default change say so; the default moves as for the person", () => {
  it('deletes the default: the next method becomes the default, reason defaultMethodDeleted', () => {
    given([...mobileDefault(), ...verified('o', 'office')])
      .when({ type: 'DeleteMethod', methodId: 'm' }, AS_HELP_DESK)
      .then([
        { type: 'MethodDeleted', data: { methodId: 'm', phoneType: 'mobile', reason: 'administrator' } },
        defaultChanged(def('o', 'voice'), def('m', 'sms'), 'defaultMethodDeleted'),
      ]);
  });

  it('changes the default with reason administrator', () => {
    given(mobileDefault())
      .when({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'voice' }, AS_HELP_DESK)
      .then([defaultChanged(def('m', 'voice'), def('m', 'sms'), 'administrator')]);
  });
});

describe("the administrator's own sign-in always needs step-up", () => {
  it('refuses a stale administrator even on an account with no verified method', () => {
    given([])
      .when(register('mobile', 'sms'), { ...AS_HELP_DESK, authentication: signedIn(20 * 60) })
      .thenRefused('step-up-required');
  });

  it('refuses a stale administrator deleting a method', () => {
    given(mobileDefault())
      .when({ type: 'DeleteMethod', methodId: 'm' }, { ...AS_HELP_DESK, authentication: signedIn(601) })
      .thenRefused('step-up-required');
  });
});
