import {
  added,
  at,
  DeciderSpecification,
  HOUR,
  def,
  sent,
  defaultChanged,
  given,
  T0,
  TEST_POLICY,
  verified,
} from '../testing';
import type { SecurityInfoEvent } from './events';
import { ERASED, maskPhoneNumber } from './phone-number';
import { fold, initialState } from './security-info';
import { securityInfoDecider } from './security-info-decider';
import { VerificationCodes } from './verification-code';

const erase = {
  type: 'ErasePersonalData' as const,
  data: { reason: 'Art. 17 request #12', by: 'dpo' },
  metadata: { now: T0, policy: TEST_POLICY, codes: new VerificationCodes(Buffer.alloc(32)) },
};

describe('ErasePersonalData', () => {
  const history: SecurityInfoEvent[] = [
    ...verified('m1', 'mobile'),
    defaultChanged(def('m1', 'sms'), null, 'firstVerifiedMethod'),
  ];

  it('records PersonalDataErased with the reason and who asked, and nothing personal', () => {
    DeciderSpecification.for(securityInfoDecider)(history)
      .when(erase)
      .then([
        {
          type: 'PersonalDataErased',
          data: { reason: 'Art. 17 request #12', by: 'dpo', erasedAt: T0.toISOString() },
        },
      ]);
  });

  it('leaves the account with no methods and no default, keeping only the times of recent codes', () => {
    const before = fold(history);
    const after = fold([...history, ...securityInfoDecider.decide(erase, before)]);
    expect(after).toEqual({ ...initialState, recentCodeTimes: before.recentCodeTimes });
  });

  it('lets the person add a phone again afterwards, as on a new account', () => {
    const erased = [...history, ...securityInfoDecider.decide(erase, fold(history))];
    given(erased)
      .when(
        {
          type: 'AddPhoneMethod',
          phoneNumber: '+1 425 555 0100',
          phoneType: 'mobile',
          deliveryMethod: 'sms',
        },
        { now: at(HOUR) },
      )
      .then([added('id-1', 'mobile', { at: HOUR }), sent('id-1', 'id-2', { at: HOUR })]);
  });

  it('shows an erased number as erased, never as a mask of the placeholder', () => {
    expect(maskPhoneNumber(ERASED)).toBe(ERASED);
  });
});
