import {
  added,
  at,
  changeCancelled,
  changeStarted,
  NEW_NUMBERS,
  sentTo,
  codeFor,
  commandFor,
  DeciderSpecification,
  MINUTE,
  pending,
  sent,
  verified,
} from '../testing';
import {
  CodeDeliveryRefusal,
  codeDeliveryDecider,
  type CodeDeliveryCommand,
  type RecordDeliveryReport,
} from './code-delivery';
import { securityInfoDecider } from './security-info-decider';
import {
  SECURITY_INFO_EVENT_TYPES,
  type CodeDeliveryEvent,
  type CodeDeliveryAccepted,
  type SecurityInfoEvent,
} from './events';
import { fold } from './security-info';
import { DEFAULT_METHODS_POLICY, type MethodsPolicy } from '../methods-policy/methods-policy';

const given = DeciderSpecification.for(codeDeliveryDecider);

const dispatch = (
  codeId: string,
  now = at(MINUTE),
  methodId = 'm',
  methodsPolicy?: MethodsPolicy,
): CodeDeliveryCommand => ({
  type: 'DispatchCode',
  data: { methodId, codeId },
  metadata: { now, methodsPolicy },
});
const accepted = (codeId = 'm-code', methodId = 'm'): CodeDeliveryAccepted => ({
  type: 'CodeDeliveryAccepted',
  data: { methodId, codeId, provider: 'outbox', providerMessageId: 'msg-1', attempts: 1 },
});
const record = (
  outcome:
    CodeDeliveryAccepted | Extract<CodeDeliveryEvent, { type: 'CodeDeliveryFailed' | 'CodeDeliveryBlocked' }>,
): CodeDeliveryCommand => ({
  type: 'RecordDeliveryOutcome',
  data: { outcome },
});
const report = (
  outcome: RecordDeliveryReport['data']['outcome'],
  codeId = 'm-code',
  methodId = 'm',
): CodeDeliveryCommand => ({
  type: 'RecordDeliveryReport',
  data: { methodId, codeId, provider: 'twilio', providerMessageId: 'SM1', outcome },
});
const settled = (error: CodeDeliveryRefusal) => expect(error.code).toBe('delivery-settled');

describe('code delivery decider: DispatchCode (what the worker decides before sending)', () => {
  it("records nothing for the method's live code, still in time: the worker sends it", () => {
    given(pending('m', 'mobile')).when(dispatch('m-code')).thenNothingHappened();
  });

  it('skips a live code the authentication methods policy no longer allows (the phone receives no codes)', () => {
    const noTexts = {
      ...DEFAULT_METHODS_POLICY,
      methods: { ...DEFAULT_METHODS_POLICY.methods, sms: { state: 'disabled' as const } },
    };
    given(pending('m', 'mobile'))
      .when(dispatch('m-code', at(MINUTE), 'm', noTexts))
      .then([
        {
          type: 'CodeDeliverySkipped',
          data: { methodId: 'm', codeId: 'm-code', reason: 'notAllowedByPolicy' },
        },
      ]);
    given(pending('m', 'mobile'))
      .when(dispatch('m-code', at(MINUTE), 'm', DEFAULT_METHODS_POLICY))
      .then([]);
  });

  it('skips a code a newer code superseded', () => {
    given([...pending('m', 'mobile'), sent('m', 'c2', { at: MINUTE })])
      .when(dispatch('m-code', at(2 * MINUTE)))
      .then([
        { type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'm-code', reason: 'superseded' } },
      ]);
  });

  it('skips a code that expired before its turn came (exactly at the expiry is expired)', () => {
    given(pending('m', 'mobile'))
      .when(dispatch('m-code', at(10 * MINUTE)))
      .then([{ type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'm-code', reason: 'expired' } }]);
    given(pending('m', 'mobile'))
      .when(dispatch('m-code', at(10 * MINUTE - 1)))
      .thenNothingHappened();
  });

  it('skips a code whose method was deleted, or verified meanwhile', () => {
    given([
      ...pending('m', 'mobile'),
      { type: 'MethodDeleted', data: { methodId: 'm', phoneType: 'mobile' } },
    ])
      .when(dispatch('m-code'))
      .then([
        { type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'm-code', reason: 'methodGone' } },
      ]);
    given(verified('m', 'mobile'))
      .when(dispatch('m-code'))
      .then([
        { type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'm-code', reason: 'methodVerified' } },
      ]);
  });

  it('sends the live code of a verified phone’s pending number change, and skips it once cancelled', () => {
    const change = [
      ...verified('m', 'mobile'),
      changeStarted('m', NEW_NUMBERS.mobile, { at: MINUTE }),
      sentTo('m', 'c2', NEW_NUMBERS.mobile, { at: MINUTE }),
    ];
    given(change)
      .when(dispatch('c2', at(2 * MINUTE)))
      .thenNothingHappened();
    given([...change, changeCancelled('m', 'user')])
      .when(dispatch('c2', at(2 * MINUTE)))
      .then([
        { type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'c2', reason: 'methodVerified' } },
      ]);
  });

  it('skips a code that was never sent for a method that exists', () => {
    given([added('m', 'mobile')])
      .when(dispatch('nope'))
      .then([{ type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'nope', reason: 'superseded' } }]);
  });

  it.each<CodeDeliveryEvent>([
    accepted(),
    { type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'm-code', reason: 'superseded' } },
    {
      type: 'CodeDeliveryBlocked',
      data: { methodId: 'm', codeId: 'm-code', reason: 'destinationHourlyLimit' },
    },
  ])('refuses a code already settled by $type: it is never sent twice', (outcome) => {
    given([...pending('m', 'mobile'), outcome])
      .when(dispatch('m-code'))
      .thenThrows(CodeDeliveryRefusal, settled);
  });

  it('sends again after a failure (an operator retries failed jobs)', () => {
    const failed: CodeDeliveryEvent = {
      type: 'CodeDeliveryFailed',
      data: {
        methodId: 'm',
        codeId: 'm-code',
        provider: 'http',
        reason: '500',
        attempts: 5,
        permanent: false,
      },
    };
    given([...pending('m', 'mobile'), failed])
      .when(dispatch('m-code'))
      .thenNothingHappened();
  });

  it("settles only that code: the method's next code is still sent", () => {
    given([...pending('m', 'mobile'), accepted(), sent('m', 'c2', { at: MINUTE })])
      .when(dispatch('c2', at(2 * MINUTE)))
      .thenNothingHappened();
  });
});

describe('code delivery decider: RecordDeliveryOutcome', () => {
  it('records the outcome once', () => {
    given(pending('m', 'mobile')).when(record(accepted())).then([accepted()]);
  });

  it('records nothing when another worker settled the code first', () => {
    given([...pending('m', 'mobile'), accepted()])
      .when(record(accepted()))
      .thenNothingHappened();
  });
});

describe('code delivery decider: RecordDeliveryReport (provider webhooks)', () => {
  it('records CodeDelivered or CodeUndeliverable for a code that was sent', () => {
    const base = { methodId: 'm', codeId: 'm-code', provider: 'twilio', providerMessageId: 'SM1' } as const;
    given([...pending('m', 'mobile'), accepted()])
      .when(report({ delivered: true }))
      .then([{ type: 'CodeDelivered', data: base }]);
    given([...pending('m', 'mobile'), accepted()])
      .when(report({ delivered: false, reason: 'undelivered (error 30003)' }))
      .then([{ type: 'CodeUndeliverable', data: { ...base, reason: 'undelivered (error 30003)' } }]);
  });

  it('records a repeated report once: the first one stands', () => {
    const history = given(pending('m', 'mobile'))
      .when(report({ delivered: true }))
      .then([
        {
          type: 'CodeDelivered',
          data: { methodId: 'm', codeId: 'm-code', provider: 'twilio', providerMessageId: 'SM1' },
        },
      ]);
    given(history)
      .when(report({ delivered: false, reason: 'failed' }))
      .thenNothingHappened();
  });

  it('refuses a report for a code never sent, or sent for another method', () => {
    const unknown = (error: CodeDeliveryRefusal) => expect(error.code).toBe('code-unknown');
    given(pending('m', 'mobile'))
      .when(report({ delivered: true }, 'other'))
      .thenThrows(CodeDeliveryRefusal, unknown);
    given(pending('m', 'mobile'))
      .when(report({ delivered: true }, 'm-code', 'x'))
      .thenThrows(CodeDeliveryRefusal, unknown);
  });
});

/**
 * Outcomes written before delivery had a stream of its own sit on the Security info stream: they are history,
 * not state, and a code still verifies after any of them.
 */
describe('code delivery outcomes on the Security info stream (written before they had their own)', () => {
  const history: SecurityInfoEvent[] = pending('m', 'mobile');
  const base = { methodId: 'm', codeId: 'm-code' };
  const outcomes: CodeDeliveryEvent[] = [
    accepted(),
    {
      type: 'CodeDeliveryFailed',
      data: {
        ...base,
        provider: 'http',
        reason: 'http provider answered 500',
        attempts: 5,
        permanent: false,
      },
    },
    { type: 'CodeDeliveryBlocked', data: { ...base, reason: 'destinationHourlyLimit' } },
    { type: 'CodeDeliverySkipped', data: { ...base, reason: 'superseded' } },
    { type: 'CodeDelivered', data: { ...base, provider: 'twilio', providerMessageId: 'SM1' } },
    {
      type: 'CodeUndeliverable',
      data: { ...base, provider: 'twilio', providerMessageId: 'SM1', reason: 'undelivered (error 30003)' },
    },
  ];

  it.each(outcomes.map((e) => [e.type, e] as const))('%s is a known event type', (type) => {
    expect(SECURITY_INFO_EVENT_TYPES).toContain(type);
  });

  it.each(outcomes.map((e) => [e.type, e] as const))(
    '%s leaves the Security info as it was',
    (_, outcome) => {
      const before = fold(history);
      expect(fold([outcome], before)).toEqual(before);
    },
  );

  it('does not change what the code proves: the code still verifies the phone after any outcome', () => {
    const state = fold([...history, ...outcomes]);
    const events = securityInfoDecider.decide(
      commandFor({ type: 'VerifyPhone', methodId: 'm', code: codeFor('m-code') }, { now: at(MINUTE) }),
      state,
    );
    expect(events.map((e) => e.type)).toContain('PhoneVerified');
  });
});
