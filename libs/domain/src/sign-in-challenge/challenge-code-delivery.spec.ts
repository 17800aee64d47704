import { at, DeciderSpecification, def, defaultChanged, iso, MINUTE, SECOND, verified } from '../testing';
import { codeDeliveryDecider, codeToSend, type CodeDeliveryCommand } from '../security-info/code-delivery';
import type { SecurityInfoEvent } from '../security-info/events';
import { foldWith } from '../decider';
import type { SignInChallengeCodeSent } from './events';

const given = DeciderSpecification.for(codeDeliveryDecider);

const challengeCode = (
  codeId: string,
  methodId: string,
  channel: 'sms' | 'voice',
  atMs = 0,
): SignInChallengeCodeSent => ({
  type: 'SignInChallengeCodeSent',
  data: {
    challengeId: 'ch',
    purpose: 'passwordReset',
    methodId,
    codeId,
    channel,
    destination: '+1 XXXXXXXX00',
    sentAt: iso(atMs),
    expiresAt: iso(atMs + 10 * MINUTE),
  },
});

const history: SecurityInfoEvent[] = [
  ...verified('m', 'mobile'),
  defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
  ...verified('alt', 'alternateMobile'),
  {
    type: 'SignInChallengeStarted',
    data: {
      challengeId: 'ch',
      purpose: 'passwordReset',
      methodId: 'm',
      channel: 'sms',
      requestedBy: 'idp',
      startedAt: iso(0),
    },
  },
  challengeCode('c-1', 'm', 'sms'),
];

const dispatch = (methodId: string, codeId: string, now = at(SECOND)): CodeDeliveryCommand => ({
  type: 'DispatchCode',
  data: { methodId, codeId },
  metadata: { now },
});

describe('codeDeliveryDecider on sign-in challenge codes', () => {
  it("sends a challenge's live code to its verified method's number, as a password reset code", () => {
    given(history).when(dispatch('m', 'c-1')).then([]);
    expect(codeToSend(foldWith(codeDeliveryDecider, history), 'm', 'c-1')).toEqual({
      purpose: 'passwordReset',
      to: '+14255550100',
      extension: null,
      channel: 'sms',
      sentAt: iso(0),
      expiresAt: iso(10 * MINUTE),
    });
  });

  it('skips a code superseded by a switch to the alternate, an expired one, one whose challenge succeeded', () => {
    const switched = [...history, challengeCode('c-2', 'alt', 'voice', 10 * SECOND)];
    given(switched)
      .when(dispatch('m', 'c-1', at(20 * SECOND)))
      .then([{ type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'c-1', reason: 'superseded' } }]);
    given(switched)
      .when(dispatch('alt', 'c-2', at(20 * SECOND)))
      .then([]);
    given(history)
      .when(dispatch('m', 'c-1', at(10 * MINUTE)))
      .then([{ type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'c-1', reason: 'expired' } }]);
    const succeeded: SecurityInfoEvent = {
      type: 'SignInChallengeSucceeded',
      data: {
        challengeId: 'ch',
        purpose: 'passwordReset',
        methodId: 'm',
        codeId: 'c-1',
        channel: 'sms',
        verifiedAt: iso(SECOND),
      },
    };
    given([...history, succeeded])
      .when(dispatch('m', 'c-1', at(2 * SECOND)))
      .then([
        { type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'c-1', reason: 'challengeCompleted' } },
      ]);
  });

  it("records a provider's report for a challenge code once", () => {
    const report: CodeDeliveryCommand = {
      type: 'RecordDeliveryReport',
      data: {
        methodId: 'm',
        codeId: 'c-1',
        provider: 'http',
        providerMessageId: 'msg-1',
        outcome: { delivered: true },
      },
    };
    const reported = given(history)
      .when(report)
      .then([
        {
          type: 'CodeDelivered',
          data: { methodId: 'm', codeId: 'c-1', provider: 'http', providerMessageId: 'msg-1' },
        },
      ]);
    given(reported).when(report).thenNothingHappened();
  });
});
