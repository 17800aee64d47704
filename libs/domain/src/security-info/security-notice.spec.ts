/** Security notices: who is told after a change, and what they are told (never a code, never a full number). */
import { def, defaultChanged, deleted, NUMBERS, verified, verifiedEvent } from '../testing';
import type { SecurityInfoEvent } from './events';
import { fold } from './security-info';
import { noticeFacts, noticeRecipient, noticeText, securityChangeOf } from './security-notice';
import { codeDeliveryDecider } from './code-delivery';
import { DEFAULT_METHODS_POLICY } from '../methods-policy/methods-policy';
import { DeciderSpecification } from '../testing/decider-specification';

const mobileDefault = (): SecurityInfoEvent[] => [
  ...verified('m', 'mobile'),
  defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
];

describe('who is told: a channel the change did not just create', () => {
  it('tells the default phone when another phone was verified', () => {
    const change = [verifiedEvent('o', 'o-code', 'voice')];
    const state = fold([...mobileDefault(), ...verified('o', 'office')]);
    expect(noticeRecipient(state, change)).toEqual({
      methodId: 'm',
      to: NUMBERS.mobile,
      extension: null,
      channel: 'sms',
    });
  });

  it('tells another verified phone when the default is the phone just verified or re-numbered', () => {
    const history = [
      ...verified('o', 'office'),
      defaultChanged(def('o', 'voice'), null, 'firstVerifiedMethod'),
      ...verified('m', 'mobile'),
    ];
    const change: SecurityInfoEvent[] = [verifiedEvent('o', 'o-code', 'voice')];
    expect(noticeRecipient(fold(history), change)).toMatchObject({ methodId: 'm', channel: 'sms' });
  });

  it('tells nobody by phone when no other verified phone is left', () => {
    const change = [verifiedEvent('m', 'm-code', 'sms')];
    expect(noticeRecipient(fold(mobileDefault()), change)).toBeNull();
  });

  it('tells only a phone the authentication methods policy allows', () => {
    const history = [
      ...mobileDefault(),
      ...verified('o', 'office'),
      defaultChanged(def('o', 'voice'), def('m', 'sms'), 'user'),
      ...verified('a', 'alternateMobile'),
    ];
    const change: SecurityInfoEvent[] = [verifiedEvent('a', 'a-code', 'voice')];
    const noVoice = {
      ...DEFAULT_METHODS_POLICY,
      methods: { ...DEFAULT_METHODS_POLICY.methods, voice: { state: 'disabled' as const } },
    };
    expect(noticeRecipient(fold(history), change)).toMatchObject({ methodId: 'o', channel: 'voice' });
    expect(noticeRecipient(fold(history), change, noVoice)).toMatchObject({ methodId: 'm', channel: 'sms' });
  });

  it('tells the remaining default after a delete', () => {
    const history = [...mobileDefault(), ...verified('o', 'office')];
    const change: SecurityInfoEvent[] = [deleted('o', 'office')];
    expect(noticeRecipient(fold([...history, ...change]), change)).toMatchObject({ methodId: 'm' });
  });
});

describe('what needs a notice, and what it says', () => {
  it('notices verifications, deletions, number changes and chosen defaults, not lapses nor moves by the rules', () => {
    expect(securityChangeOf(verifiedEvent('m', 'c', 'sms'))).toBe('methodVerified');
    expect(securityChangeOf(deleted('m', 'mobile'))).toBe('methodDeleted');
    expect(
      securityChangeOf({
        type: 'MethodDeleted',
        data: { methodId: 'm', phoneType: 'mobile', reason: 'lapsed' },
      }),
    ).toBeNull();
    expect(securityChangeOf(defaultChanged(def('m', 'voice'), def('m', 'sms'), 'user'))).toBe(
      'defaultChanged',
    );
    expect(securityChangeOf(defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'))).toBeNull();
  });

  it('says what changed, by whom, with masked numbers only', () => {
    const before = fold(mobileDefault());
    const change = [...verified('o', 'office')];
    const facts = noticeFacts(before, fold([...mobileDefault(), ...change]), change, true);
    expect(facts).toEqual({ changes: ['methodVerified'], maskedNumbers: ['+1 XXXXXXXX99'], by: 'helpDesk' });
    const text = noticeText(facts, '2030-01-01T09:00:00.000Z', 'https://portal.example/security-info');
    expect(text).toBe(
      'Signet security notice: a phone was added (+1 XXXXXXXX99) by your help desk at 2030-01-01 09:00 UTC. ' +
        'If this was not you, review your security info: https://portal.example/security-info',
    );
    expect(text).not.toContain(NUMBERS.office);
    expect(text).not.toMatch(/\d{6}/);
  });
});

describe('a notice has one outcome', () => {
  const spec = DeciderSpecification.for(codeDeliveryDecider);
  const sent: SecurityInfoEvent = {
    type: 'SecurityNoticeSent',
    data: {
      noticeId: 'n1',
      changes: ['methodDeleted'],
      by: 'self',
      methodId: 'm',
      channel: 'sms',
      destination: '+1 XXXXXXXX00',
      provider: 'outbox',
      providerMessageId: 'p1',
      webhook: false,
      attempts: 1,
    },
  };

  it('is sent while it has none, and never again once it has one', () => {
    spec([])
      .when({ type: 'DispatchNotice', data: { noticeId: 'n1' } })
      .then([]);
    spec([])
      .when({ type: 'RecordNoticeOutcome', data: { outcome: sent } })
      .then([sent as never]);
    spec([sent])
      .when({ type: 'RecordNoticeOutcome', data: { outcome: sent } })
      .then([]);
    spec([sent])
      .when({ type: 'DispatchNotice', data: { noticeId: 'n1' } })
      .thenThrows(Error, (e) => expect(e.message).toMatch(/already has an outcome/));
  });
});
