import {
  at,
  codeFor,
  DeciderSpecification,
  def,
  defaultChanged,
  deleted,
  HOUR,
  iso,
  MASKED,
  MINUTE,
  pending,
  SECOND,
  TEST_POLICY,
  TEST_SECRET,
  verified,
  wrongCodeFor,
} from '../testing';
import type { SecurityInfoEvent } from '../security-info/events';
import { SecurityInfoRefusal, type RefusalCode } from '../security-info/refusal';
import { fold } from '../security-info/security-info';
import { VerificationCodes } from '../security-info/verification-code';
import { newChallengeId, userIdOfChallenge } from './challenge-id';
import {
  signInChallengeCommand,
  type SignInChallengeCommandMetadata,
  type SignInChallengeRequest,
} from './commands';
import { signInChallengeDecider } from './decide';
import { DEFAULT_METHODS_POLICY } from '../methods-policy/methods-policy';
import type { SignInChallengeCodeSent, SignInChallengeStarted } from './events';

const spec = DeciderSpecification.for(signInChallengeDecider);
const POLICY = { ...TEST_POLICY, maxFailedChallengesPerHour: 3 };

function command(
  request: SignInChallengeRequest,
  { now = at(0), ...overrides }: Partial<SignInChallengeCommandMetadata> = {},
  codeId = 'c-1',
) {
  return signInChallengeCommand(request, {
    now,
    policy: POLICY,
    codes: new VerificationCodes(TEST_SECRET),
    requestedBy: 'idp',
    newId: () => codeId,
    newChallengeId: () => 'ch-1',
    ...overrides,
  });
}

const refused = (code: RefusalCode) => (error: SecurityInfoRefusal) => expect(error.code).toBe(code);

/** A mobile (texts) as the default, and a verified alternate phone (calls). */
const registered: SecurityInfoEvent[] = [
  ...verified('m', 'mobile'),
  defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
  ...verified('alt', 'alternateMobile'),
];

const started = (
  methodId = 'm',
  channel: 'sms' | 'voice' = 'sms',
  masked = MASKED.mobile,
  atMs = 0,
): [SignInChallengeStarted, SignInChallengeCodeSent] => [
  {
    type: 'SignInChallengeStarted',
    data: {
      challengeId: 'ch-1',
      purpose: 'signIn',
      methodId,
      channel,
      requestedBy: 'idp',
      startedAt: iso(atMs),
    },
  },
  codeSentFor('c-1', methodId, channel, masked, atMs),
];

function codeSentFor(
  codeId: string,
  methodId: string,
  channel: 'sms' | 'voice',
  destination: string,
  atMs: number,
): SignInChallengeCodeSent {
  return {
    type: 'SignInChallengeCodeSent',
    data: {
      challengeId: 'ch-1',
      purpose: 'signIn',
      methodId,
      codeId,
      channel,
      destination,
      sentAt: iso(atMs),
      expiresAt: iso(atMs + 10 * MINUTE),
    },
  };
}

describe('signInChallengeDecider: starting a challenge', () => {
  it('sends a code to the default method by its channel', () => {
    spec(registered)
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn' }))
      .then(started());
  });

  it('sends to the verified method and channel named', () => {
    const [start, sent] = started('alt', 'voice', MASKED.alternateMobile);
    spec(registered)
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn', methodId: 'alt' }))
      .then([start, sent]);
  });

  it('refuses with no-sign-in-method when the person has no verified method', () => {
    spec(pending('m', 'mobile'))
      .when(command({ type: 'StartSignInChallenge', purpose: 'passwordReset' }))
      .thenThrows(SecurityInfoRefusal, refused('no-sign-in-method'));
    spec([])
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn' }))
      .thenThrows(SecurityInfoRefusal, refused('no-sign-in-method'));
  });

  it('never uses a channel the phone or the policy disallows', () => {
    spec(registered)
      .when(
        command({ type: 'StartSignInChallenge', purpose: 'signIn', methodId: 'alt', deliveryMethod: 'sms' }),
      )
      .thenThrows(SecurityInfoRefusal, refused('delivery-method-not-allowed'));
    // The policy allows calls only: the default (texts) is passed over for the default's phone by call.
    const callsOnly = {
      ...DEFAULT_METHODS_POLICY,
      methods: { ...DEFAULT_METHODS_POLICY.methods, sms: { state: 'disabled' as const } },
    };
    spec(registered)
      .when(
        command(
          { type: 'StartSignInChallenge', purpose: 'signIn' },
          { policy: { ...POLICY, methodsPolicy: callsOnly } },
        ),
      )
      .then(started('m', 'voice'));
  });

  it('refuses a pending or unknown method', () => {
    spec([...registered, ...pending('o', 'office')])
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn', methodId: 'o' }))
      .thenThrows(SecurityInfoRefusal, refused('method-not-verified'));
    spec(registered)
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn', methodId: 'nope' }))
      .thenThrows(SecurityInfoRefusal, refused('method-not-found'));
  });

  it('keeps the resend cooldown per method across challenges', () => {
    spec([...registered, ...started()])
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn' }, { now: at(30 * SECOND) }, 'c-2'))
      .thenThrows(SecurityInfoRefusal, (e) => {
        expect(e.code).toBe('resend-cooldown');
        expect(e.details.retryAt).toBe(iso(60 * SECOND));
      });
  });
});

describe('signInChallengeDecider: verifying', () => {
  const verify = (code: string, now = at(MINUTE)) =>
    command({ type: 'VerifySignInChallenge', challengeId: 'ch-1', code }, { now });

  it('succeeds once with the right code; a replay is challenge-completed', () => {
    const history = spec([...registered, ...started()])
      .when(verify(codeFor('c-1')))
      .then([
        {
          type: 'SignInChallengeSucceeded',
          data: {
            challengeId: 'ch-1',
            purpose: 'signIn',
            methodId: 'm',
            codeId: 'c-1',
            channel: 'sms',
            verifiedAt: iso(MINUTE),
          },
        },
      ]);
    spec(history)
      .when(verify(codeFor('c-1')))
      .thenThrows(SecurityInfoRefusal, refused('challenge-completed'));
    // The method's "last used" is the success.
    expect(fold(history).methods.find((m) => m.methodId === 'm')?.lastUsedAt).toBe(iso(MINUTE));
  });

  it('counts a wrong code down, recording SignInChallengeFailed', () => {
    const { error, history } = spec([...registered, ...started()])
      .when(verify(wrongCodeFor('c-1')))
      .thenThrows(SecurityInfoRefusal, refused('code-incorrect'));
    expect(error.details.attemptsRemaining).toBe(4);
    expect(history.at(-1)).toMatchObject({
      type: 'SignInChallengeFailed',
      data: { challengeId: 'ch-1', codeId: 'c-1', attemptsRemaining: 3 + 1, failedAt: iso(MINUTE) },
    });
  });

  it('refuses an unknown challenge, an expired code', () => {
    spec(registered).when(verify('123456')).thenThrows(SecurityInfoRefusal, refused('challenge-not-found'));
    spec([...registered, ...started()])
      .when(verify(codeFor('c-1'), at(10 * MINUTE)))
      .thenThrows(SecurityInfoRefusal, refused('code-expired'));
  });

  it('refuses a code whose method was deleted since', () => {
    spec([...registered, ...started(), deleted('m', 'mobile')])
      .when(verify(codeFor('c-1')))
      .thenThrows(SecurityInfoRefusal, refused('method-not-found'));
  });

  it('refuses every challenge once the person has too many failures in the hour, until an hour after the oldest', () => {
    let history: SecurityInfoEvent[] = [...registered, ...started()];
    for (let i = 1; i <= 3; i++) {
      history = spec(history)
        .when(verify(wrongCodeFor('c-1'), at(i * MINUTE)))
        .thenThrows(SecurityInfoRefusal, refused('code-incorrect')).history;
    }
    spec(history)
      .when(verify(codeFor('c-1'), at(4 * MINUTE)))
      .thenThrows(SecurityInfoRefusal, (e) => {
        expect(e.code).toBe('too-many-failed-challenges');
        expect(e.details.retryAt).toBe(iso(MINUTE + HOUR));
        expect(e.recordedEvents).toEqual([]);
      });
    spec(history)
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn' }, { now: at(5 * MINUTE) }, 'c-2'))
      .thenThrows(SecurityInfoRefusal, refused('too-many-failed-challenges'));
    spec(history)
      .when(command({ type: 'StartSignInChallenge', purpose: 'signIn' }, { now: at(MINUTE + HOUR) }, 'c-2'))
      .then(
        started('m', 'sms', MASKED.mobile, MINUTE + HOUR).map((e) =>
          e.type === 'SignInChallengeCodeSent'
            ? codeSentFor('c-2', 'm', 'sms', MASKED.mobile, MINUTE + HOUR)
            : e,
        ),
      );
  });
});

describe('signInChallengeDecider: resending and switching', () => {
  it('switches to the alternate phone by voice; the new code is the live one', () => {
    const history = spec([...registered, ...started()])
      .when(
        command(
          { type: 'ResendSignInChallenge', challengeId: 'ch-1', methodId: 'alt', deliveryMethod: 'voice' },
          { now: at(10 * SECOND) },
          'c-2',
        ),
      )
      .then([codeSentFor('c-2', 'alt', 'voice', MASKED.alternateMobile, 10 * SECOND)]);
    spec(history)
      .when(
        command(
          { type: 'VerifySignInChallenge', challengeId: 'ch-1', code: codeFor('c-1') },
          { now: at(20 * SECOND) },
        ),
      )
      .thenThrows(SecurityInfoRefusal, refused('code-incorrect'));
    spec(history)
      .when(
        command(
          { type: 'VerifySignInChallenge', challengeId: 'ch-1', code: codeFor('c-2') },
          { now: at(20 * SECOND) },
        ),
      )
      .then([
        {
          type: 'SignInChallengeSucceeded',
          data: {
            challengeId: 'ch-1',
            purpose: 'signIn',
            methodId: 'alt',
            codeId: 'c-2',
            channel: 'voice',
            verifiedAt: iso(20 * SECOND),
          },
        },
      ]);
  });

  it('a resend to the same method waits out the cooldown, then may switch channel', () => {
    spec([...registered, ...started()])
      .when(command({ type: 'ResendSignInChallenge', challengeId: 'ch-1' }, { now: at(10 * SECOND) }, 'c-2'))
      .thenThrows(SecurityInfoRefusal, refused('resend-cooldown'));
    spec([...registered, ...started()])
      .when(
        command(
          { type: 'ResendSignInChallenge', challengeId: 'ch-1', deliveryMethod: 'voice' },
          { now: at(MINUTE) },
          'c-2',
        ),
      )
      .then([codeSentFor('c-2', 'm', 'voice', MASKED.mobile, MINUTE)]);
  });
});

describe('challenge ids', () => {
  it('name their user, with an unguessable part; anything else names nobody', () => {
    const id = newChallengeId('alice@example.com');
    expect(userIdOfChallenge(id)).toBe('alice@example.com');
    expect(id).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(userIdOfChallenge('alice')).toBeNull();
    expect(userIdOfChallenge('.abcdefghijklmnopqrstuv')).toBeNull();
    expect(userIdOfChallenge('YWxpY2U.short')).toBeNull();
  });
});
