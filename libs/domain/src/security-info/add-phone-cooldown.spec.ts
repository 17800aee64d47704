import {
  addPhone,
  added,
  at,
  def,
  defaultChanged,
  deleted,
  given,
  pending,
  SECOND,
  sent,
  verified,
} from '../testing';

// Adding a phone observes the resend cooldown (60 s in TEST_POLICY) of the account's last code when that
// code's method is gone: add-and-delete loops cannot mint codes faster than resends.
describe('AddPhoneMethod after a deleted method’s code (resend cooldown)', () => {
  const addedThenDeleted = [...pending('m', 'mobile'), deleted('m', 'mobile')];

  it('refuses a new phone within the cooldown of the deleted method’s code, with retryAt', () => {
    given(addedThenDeleted)
      .when(addPhone('+1 425 555 0100'), { now: at(59 * SECOND) })
      .thenRefused('resend-cooldown', { retryAt: at(60 * SECOND).toISOString() });
  });

  it('adds it once the cooldown has passed', () => {
    given(addedThenDeleted)
      .when(addPhone('+1 425 555 0100'), { now: at(60 * SECOND) })
      .then([added('id-1', 'mobile', { at: 60 * SECOND }), sent('id-1', 'id-2', { at: 60 * SECOND })]);
  });

  it('does not hold up a second phone type beside a live pending one', () => {
    given(pending('m', 'mobile'))
      .when(addPhone('+1 425 555 0199', 'office'))
      .then([added('id-1', 'office'), sent('id-1', 'id-2', { channel: 'voice', phoneType: 'office' })]);
  });

  it('does not hold up a phone added beside a method verified with the last code', () => {
    given(verified('m', 'mobile'))
      .when(addPhone('+1 425 555 0199', 'office'))
      .then([added('id-1', 'office'), sent('id-1', 'id-2', { channel: 'voice', phoneType: 'office' })]);
  });

  it('refuses when the last code went to a method since deleted, even beside a verified one', () => {
    const history = [
      ...verified('v', 'mobile'),
      ...[
        added('o', 'office', { at: 10 * SECOND }),
        sent('o', 'o-code', { at: 10 * SECOND, channel: 'voice', phoneType: 'office' }),
      ],
      deleted('o', 'office'),
    ];
    given(history)
      .when(addPhone('+1 425 555 0199', 'office'), { now: at(30 * SECOND) })
      .thenRefused('resend-cooldown', { retryAt: at(70 * SECOND).toISOString() });
  });
});

// A default change that changes nothing records nothing (and so cannot grow the stream).
describe('ChangeDefault to the current default', () => {
  it('records nothing', () => {
    given([...verified('m', 'mobile'), defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod')])
      .when({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'sms' })
      .then([]);
  });
});
