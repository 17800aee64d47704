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
  TEST_VIEW,
  verified,
} from '../testing';
import type { SecurityInfoEvent } from './events';
import { ERASED, maskPhoneNumber } from './phone-number';
import { fold, initialState } from './security-info';
import { securityInfoDecider } from './security-info-decider';
import { renderSecurityInfoPage } from './security-info-page';
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

  it('leaves the account with no methods and no default, keeping only the times of recent codes and of the erasure', () => {
    const before = fold(history);
    const after = fold([...history, ...securityInfoDecider.decide(erase, before)]);
    expect(after).toEqual({
      ...initialState,
      recentCodeTimes: before.recentCodeTimes,
      personalDataErasedAt: T0.toISOString(),
    });
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

  describe('the page after an erasure', () => {
    const AT = { revision: 4n, updatedAt: T0.toISOString() };
    const pageOf = (events: SecurityInfoEvent[]) =>
      renderSecurityInfoPage('alice', fold(events), AT, { ...TEST_VIEW, now: at(2 * HOUR) });
    const erased = [...history, ...securityInfoDecider.decide(erase, fold(history))];

    it('says the personal data was erased and when: no methods, no default, nothing personal', () => {
      const page = pageOf(erased);
      expect(page).toMatchObject({
        methods: [],
        defaultMethod: null,
        personalDataErased: { erasedAt: T0.toISOString() },
      });
      // Neither the reason nor who asked, and no number in any form.
      const text = JSON.stringify(page);
      for (const absent of ['Art. 17', 'dpo', '555', 'XXXX']) expect(text).not.toContain(absent);
    });

    it('keeps saying so once the person registers again, beside the new method', () => {
      const again = given(erased)
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
      const page = pageOf(again);
      expect(page.methods.map((m) => [m.methodId, m.e164])).toEqual([['id-1', '+14255550100']]);
      expect(page.personalDataErased).toEqual({ erasedAt: T0.toISOString() });
    });

    it('tells the last erasure when there were several; an account never erased says nothing', () => {
      const later = { ...erase, metadata: { ...erase.metadata, now: at(3 * HOUR) } };
      const twice = [...erased, ...securityInfoDecider.decide(later, fold(erased))];
      expect(pageOf(twice).personalDataErased).toEqual({ erasedAt: at(3 * HOUR).toISOString() });
      expect(pageOf(history).personalDataErased).toBeNull();
    });
  });

  it('shows an erased number as erased, never as a mask of the placeholder', () => {
    expect(maskPhoneNumber(ERASED)).toBe(ERASED);
  });
});
