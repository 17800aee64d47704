/**
 * The authentication methods policy (Entra's, for the whole deployment): its own small decider, and what it
 * does to a person's page and commands. A change never deletes a method: disallowed ones show as
 * `notAllowedByPolicy`, a disallowed default moves as on delete (reason `policy`), re-allowing restores them.
 */
import { DeciderSpecification } from '../testing/decider-specification';
import { addPhone, def, defaultChanged, given, NUMBERS, T0, TEST_VIEW, verified } from '../testing';
import type { SecurityInfoEvent } from '../security-info/events';
import { fold } from '../security-info/security-info';
import { renderSecurityInfoPage } from '../security-info/security-info-page';
import {
  DEFAULT_METHODS_POLICY,
  methodsPolicyDecider,
  whyNotAllowedByPolicy,
  type MethodsPolicy,
} from './methods-policy';

const withMethods = (states: Partial<Record<'sms' | 'voice' | 'officePhone', 'enabled' | 'disabled'>>) => ({
  ...DEFAULT_METHODS_POLICY,
  methods: {
    sms: { state: states.sms ?? 'enabled' },
    voice: { state: states.voice ?? 'enabled' },
    officePhone: { state: states.officePhone ?? 'enabled' },
  },
});
const NO_VOICE: MethodsPolicy = withMethods({ voice: 'disabled' });

describe('the policy stream decides alone', () => {
  const spec = DeciderSpecification.for(methodsPolicyDecider);
  const set = (policy: MethodsPolicy) => ({
    type: 'SetMethodsPolicy' as const,
    data: { policy },
    metadata: { now: T0 },
  });

  it('records a change whole, with the policy it replaces', () => {
    spec([])
      .when(set(NO_VOICE))
      .then([
        {
          type: 'AuthenticationMethodsPolicyChanged',
          data: { policy: NO_VOICE, previous: DEFAULT_METHODS_POLICY, changedAt: T0.toISOString() },
        },
      ]);
  });

  it('records nothing when the policy is the same (calling codes in any order, repeated)', () => {
    const codes = { ...DEFAULT_METHODS_POLICY, allowedCallingCodes: ['44', '1'] };
    const history = spec([])
      .when(set(codes))
      .then([
        {
          type: 'AuthenticationMethodsPolicyChanged',
          data: {
            policy: { ...codes, allowedCallingCodes: ['1', '44'] },
            previous: DEFAULT_METHODS_POLICY,
            changedAt: T0.toISOString(),
          },
        },
      ]);
    spec(history)
      .when(set({ ...codes, allowedCallingCodes: ['44', '1', '44'] }))
      .then([]);
  });
});

describe('which phones and channels the policy allows', () => {
  it('disallows a disabled channel, office phones when officePhone is disabled, and calling codes outside the lists', () => {
    expect(whyNotAllowedByPolicy(NO_VOICE, 'mobile', 'sms', NUMBERS.mobile)).toBeNull();
    expect(whyNotAllowedByPolicy(NO_VOICE, 'mobile', 'voice', NUMBERS.mobile)).toMatch(/Calls/);
    const noOffice = withMethods({ officePhone: 'disabled' });
    expect(whyNotAllowedByPolicy(noOffice, 'office', 'voice', NUMBERS.office)).toMatch(/Office/);
    expect(whyNotAllowedByPolicy(noOffice, 'mobile', 'voice', NUMBERS.mobile)).toBeNull();
    const ukOnly = { ...DEFAULT_METHODS_POLICY, allowedCallingCodes: ['44'] };
    expect(whyNotAllowedByPolicy(ukOnly, 'mobile', 'sms', NUMBERS.mobile)).toMatch(/\+1/);
    const noUs = { ...DEFAULT_METHODS_POLICY, deniedCallingCodes: ['1'] };
    expect(whyNotAllowedByPolicy(noUs, 'mobile', 'sms', NUMBERS.mobile)).toMatch(/\+1/);
  });
});

describe('the page under the policy', () => {
  const history: SecurityInfoEvent[] = [
    ...verified('m', 'mobile'),
    defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
    ...verified('o', 'office'),
    defaultChanged(def('o', 'voice'), def('m', 'sms'), 'user'),
  ];
  const page = (methodsPolicy?: MethodsPolicy) =>
    renderSecurityInfoPage(
      'alice',
      fold(history),
      { revision: 3n, updatedAt: null },
      { ...TEST_VIEW, methodsPolicy },
    );

  it('shows an office phone with no allowed channel as notAllowedByPolicy, and moves a voice default as on delete', () => {
    const shown = page(NO_VOICE);
    expect(shown.methods.map((m) => [m.methodId, m.state, m.deliveryMethods, m.isDefault])).toEqual([
      ['m', 'enabled', ['sms'], true],
      ['o', 'notAllowedByPolicy', [], false],
    ]);
    expect(shown.defaultMethod).toMatchObject({ methodId: 'm', deliveryMethod: 'sms' });
  });

  it('offers for a new method only the types and channels the policy allows (the country is judged on Add)', () => {
    const offered = (policy: MethodsPolicy) =>
      page(policy).allowedMethodTypes.map((t) => [t.phoneType, t.deliveryMethods]);
    expect(offered(DEFAULT_METHODS_POLICY)).toEqual([
      ['mobile', ['sms', 'voice']],
      ['alternateMobile', ['voice']],
      ['office', ['voice']],
    ]);
    // Calls off: the alternate and office phones take calls only, so neither may be added.
    expect(offered(NO_VOICE)).toEqual([['mobile', ['sms']]]);
    expect(offered(withMethods({ officePhone: 'disabled' }))).toEqual([
      ['mobile', ['sms', 'voice']],
      ['alternateMobile', ['voice']],
    ]);
    expect(offered(withMethods({ sms: 'disabled' }))).toEqual([
      ['mobile', ['voice']],
      ['alternateMobile', ['voice']],
      ['office', ['voice']],
    ]);
    expect(offered({ ...DEFAULT_METHODS_POLICY, allowedCallingCodes: ['44'] })).toEqual(
      offered(DEFAULT_METHODS_POLICY),
    );
  });

  it('restores them when the policy allows them again', () => {
    const shown = page(DEFAULT_METHODS_POLICY);
    expect(shown.methods.map((m) => m.state)).toEqual(['enabled', 'enabled']);
    expect(shown.defaultMethod).toMatchObject({ methodId: 'o', deliveryMethod: 'voice' });
  });
});

describe('commands under the policy', () => {
  const history: SecurityInfoEvent[] = [
    ...verified('m', 'mobile'),
    defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
    ...verified('o', 'office'),
    defaultChanged(def('o', 'voice'), def('m', 'sms'), 'user'),
  ];

  it('refuses a new registration the policy forbids: 403 method-not-allowed-by-policy', () => {
    given([])
      .when(addPhone(NUMBERS.mobile, 'mobile', { deliveryMethod: 'voice' }), { methodsPolicy: NO_VOICE })
      .thenRefused('method-not-allowed-by-policy');
    given([])
      .when(
        {
          type: 'RegisterPhoneMethod',
          phoneNumber: NUMBERS.office,
          phoneType: 'office',
          deliveryMethod: 'voice',
        },
        { methodsPolicy: NO_VOICE, administrator: 'helpdesk-1' },
      )
      .thenRefused('method-not-allowed-by-policy');
  });

  it('refuses a disallowed default', () => {
    given(history)
      .when({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'voice' }, { methodsPolicy: NO_VOICE })
      .thenRefused('method-not-allowed-by-policy');
  });

  it("records the default's move (reason policy) with the person's next change", () => {
    given(history)
      .when({ type: 'DeleteMethod', methodId: 'o' }, { methodsPolicy: NO_VOICE })
      .then([
        defaultChanged(def('m', 'sms'), def('o', 'voice'), 'policy'),
        { type: 'MethodDeleted', data: { methodId: 'o', phoneType: 'office' } },
      ]);
  });

  it('records nothing for a command that changes nothing, not even the move (like a lapse)', () => {
    given(history)
      .when({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'sms' }, { methodsPolicy: NO_VOICE })
      .then([]);
  });
});
