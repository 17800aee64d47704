import { fold, initialState } from './security-info';
import { renderSecurityInfoPage } from './security-info-page';

describe('renderSecurityInfoPage', () => {
  it('shows an empty page for a user with no history', () => {
    expect(renderSecurityInfoPage('alice', initialState, { revision: null, updatedAt: null })).toEqual({
      userId: 'alice',
      methods: [],
      defaultMethod: null,
      revision: null,
      updatedAt: null,
    });
  });

  it('shows each method with its label, channels, status and whether it is the default', () => {
    const state = fold([
      {
        type: 'PhoneMethodAdded',
        data: {
          methodId: 'm',
          phoneType: 'mobile',
          phoneNumber: '+14255550100',
          extension: null,
          deliveryMethod: 'sms',
          addedAt: '2030-01-01T00:00:00.000Z',
        },
      },
      {
        type: 'PhoneMethodAdded',
        data: {
          methodId: 'o',
          phoneType: 'office',
          phoneNumber: '+14255550199',
          extension: '12',
          deliveryMethod: 'voice',
          addedAt: '2030-01-01T00:01:00.000Z',
        },
      },
      {
        type: 'PhoneVerified',
        data: { methodId: 'o', codeId: 'c', deliveryMethod: 'voice', verifiedAt: '2030-01-01T00:02:00.000Z' },
      },
      {
        type: 'DefaultChanged',
        data: {
          current: { methodId: 'o', deliveryMethod: 'voice' },
          previous: null,
          reason: 'firstVerifiedMethod',
        },
      },
    ]);
    const page = renderSecurityInfoPage('bob', state, {
      revision: 3n,
      updatedAt: '2030-01-01T00:02:00.000Z',
    });
    expect(page).toEqual({
      userId: 'bob',
      methods: [
        {
          methodId: 'm',
          type: 'phone',
          phoneType: 'mobile',
          phoneNumber: '+14255550100',
          label: 'Phone',
          deliveryMethods: ['sms', 'voice'],
          status: 'pendingVerification',
          isDefault: false,
          addedAt: '2030-01-01T00:00:00.000Z',
          verifiedAt: null,
        },
        {
          methodId: 'o',
          type: 'phone',
          phoneType: 'office',
          phoneNumber: '+14255550199x12',
          label: 'Office phone',
          deliveryMethods: ['voice'],
          status: 'verified',
          isDefault: true,
          addedAt: '2030-01-01T00:01:00.000Z',
          verifiedAt: '2030-01-01T00:02:00.000Z',
        },
      ],
      defaultMethod: { methodId: 'o', deliveryMethod: 'voice', label: 'Office phone - call +14255550199x12' },
      revision: '3',
      updatedAt: '2030-01-01T00:02:00.000Z',
    });
  });
});
