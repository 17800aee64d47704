import {
  added,
  changeCancelled,
  changeStarted,
  def,
  defaultChanged,
  deliveryAccepted,
  deliveryBlocked,
  deliveryFailed,
  deleted,
  delivered,
  EVERY_METHOD_TYPE,
  failed,
  HOUR,
  iso,
  MINUTE,
  NEW_NUMBERS,
  pending,
  sent,
  sentTo,
  T0,
  TEST_POLICY,
  TEST_VIEW,
  undeliverable,
  verified,
  verifiedEvent,
} from '../testing';
import type { SecurityInfoEvent } from './events';
import { evolve, fold, initialState, verificationOf, type SecurityInfo } from './security-info';
import {
  evolvePageState,
  initialPageState,
  renderSecurityInfoPage,
  type CodeDeliveries,
  type PageView,
  type SecurityInfoPageState,
  type SecurityInfoPage,
} from './security-info-page';

const AT = { revision: 3n, updatedAt: '2030-01-01T00:02:00.000Z' };

/** The page after `events` of either stream, folded as the projection folds them, seen with `view`. */
function pageAfter(events: SecurityInfoEvent[], view: Partial<PageView> = {}): SecurityInfoPage {
  const state = events.reduce(evolvePageState, initialPageState);
  return renderSecurityInfoPage('alice', state.securityInfo, AT, {
    ...TEST_VIEW,
    deliveries: state.deliveries,
    ...view,
  });
}

describe('renderSecurityInfoPage', () => {
  it('shows an empty page for a user with no history', () => {
    expect(
      renderSecurityInfoPage('alice', initialState, { revision: null, updatedAt: null }, TEST_VIEW),
    ).toEqual({
      userId: 'alice',
      methods: [],
      defaultMethod: null,
      allowedMethodTypes: EVERY_METHOD_TYPE,
      personalDataErased: null,
      revision: null,
      updatedAt: null,
    });
  });

  it('shows each method with its label, channels, status and whether it is the default', () => {
    const state = fold([
      ...pending('m', 'mobile'),
      added('o', 'office', { extension: '12', at: MINUTE }),
      {
        type: 'PhoneVerified',
        data: { methodId: 'o', codeId: 'c', deliveryMethod: 'voice', verifiedAt: iso(2 * MINUTE) },
      },
      defaultChanged(def('o', 'voice'), null, 'firstVerifiedMethod'),
    ]);
    const page = renderSecurityInfoPage('bob', state, AT, TEST_VIEW);
    expect(page).toEqual({
      userId: 'bob',
      methods: [
        {
          methodId: 'm',
          type: 'phone',
          phoneType: 'mobile',
          phoneNumber: '+1 4255550100',
          e164: '+14255550100',
          extension: null,
          label: 'Phone',
          deliveryMethods: ['sms', 'voice'],
          status: 'pendingVerification',
          state: 'enabled',
          isDefault: false,
          addedAt: iso(0),
          verifiedAt: null,
          lapsesAt: iso(24 * HOUR),
          pendingNumber: null,
          lastCode: {
            codeId: 'm-code',
            channel: 'sms',
            sentAt: iso(0),
            expiresAt: iso(10 * MINUTE),
            resendAvailableAt: iso(MINUTE),
            delivery: 'queued',
            reason: null,
          },
          lastUsedAt: null,
        },
        {
          methodId: 'o',
          type: 'phone',
          phoneType: 'office',
          phoneNumber: '+1 4255550199x12',
          e164: '+14255550199',
          extension: '12',
          label: 'Office phone',
          deliveryMethods: ['voice'],
          status: 'verified',
          state: 'enabled',
          isDefault: true,
          addedAt: iso(MINUTE),
          verifiedAt: iso(2 * MINUTE),
          lapsesAt: null,
          pendingNumber: null,
          lastCode: null,
          lastUsedAt: null,
        },
      ],
      defaultMethod: {
        methodId: 'o',
        deliveryMethod: 'voice',
        label: 'Office phone - call +1 4255550199x12',
      },
      allowedMethodTypes: EVERY_METHOD_TYPE,
      personalDataErased: null,
      revision: '3',
      updatedAt: '2030-01-01T00:02:00.000Z',
    });
  });

  it("labels the default as the seed does, in Graph's +{country code} {national number} form", () => {
    const page = pageAfter([
      ...verified('m', 'mobile'),
      defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
    ]);
    expect(page.defaultMethod?.label).toBe('Phone - text +1 4255550100');
    expect(page.methods[0]).toMatchObject({ phoneNumber: '+1 4255550100', e164: '+14255550100' });
  });

  it('offers only calls for a mobile phone whose number is a landline', () => {
    const landline: SecurityInfoEvent = {
      type: 'PhoneMethodAdded',
      data: {
        methodId: 'm',
        phoneType: 'mobile',
        phoneNumber: '+442079460018',
        extension: null,
        deliveryMethod: 'voice',
        addedAt: iso(0),
      },
    };
    expect(pageAfter([landline]).methods[0]).toMatchObject({
      phoneNumber: '+44 2079460018',
      deliveryMethods: ['voice'],
    });
  });

  it('masks the numbers when asked (the auditors’ default)', () => {
    const page = pageAfter(
      [...verified('m', 'mobile'), defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod')],
      {
        maskNumbers: true,
      },
    );
    expect(page.methods[0]).toMatchObject({ phoneNumber: '+1 XXXXXXXX00', e164: '+1 XXXXXXXX00' });
    expect(page.defaultMethod?.label).toBe('Phone - text +1 XXXXXXXX00');
  });

  describe('pending methods lapse', () => {
    it('shows a pending method until addedAt + the TTL, and not from then on, recorded or not', () => {
      const events = pending('m', 'mobile');
      const ttl = TEST_POLICY.pendingMethodTtlHours * HOUR;
      expect(pageAfter(events, { now: new Date(T0.getTime() + ttl - 1) }).methods).toHaveLength(1);
      expect(pageAfter(events, { now: new Date(T0.getTime() + ttl) }).methods).toEqual([]);
    });

    it('never lapses a verified method', () => {
      const events = verified('m', 'mobile');
      expect(pageAfter(events, { now: new Date(T0.getTime() + 1000 * HOUR) }).methods).toHaveLength(1);
    });
  });

  describe('a pending number change', () => {
    it('shows the new number masked, the old one still in use, and the live code of the change', () => {
      const page = pageAfter([
        ...verified('m', 'mobile'),
        defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
        changeStarted('m', NEW_NUMBERS.mobile, { at: MINUTE }),
        sentTo('m', 'c2', NEW_NUMBERS.mobile, { at: MINUTE }),
      ]);
      expect(page.methods[0]).toMatchObject({
        phoneNumber: '+1 4255550100',
        status: 'verified',
        isDefault: true,
        pendingNumber: '+1 XXXXXXXX02',
        lastCode: { codeId: 'c2', delivery: 'queued', resendAvailableAt: iso(2 * MINUTE) },
      });
      expect(page.defaultMethod?.label).toBe('Phone - text +1 4255550100');
    });
  });

  describe('lastCode.delivery: what became of the live code', () => {
    it.each<[string, SecurityInfoEvent[], string, string | null]>([
      ['queued while nothing is recorded', [], 'queued', null],
      ['sent once a provider took it', [deliveryAccepted('m', 'm-code')], 'sent', null],
      [
        'delivered on a delivery report',
        [deliveryAccepted('m', 'm-code'), delivered('m', 'm-code')],
        'delivered',
        null,
      ],
      [
        'undeliverable, with the carrier’s reason, on a delivery report',
        [deliveryAccepted('m', 'm-code'), undeliverable('m', 'm-code', '30003')],
        'undeliverable',
        '30003',
      ],
      [
        'blocked, with the limit, when a limit stopped it',
        [deliveryBlocked('m', 'm-code', 'destinationHourlyLimit')],
        'blocked',
        'destinationHourlyLimit',
      ],
      [
        'failed, with the provider’s error class (never its text)',
        [deliveryFailed('m', 'm-code', 'Invalid To number +14255550100')],
        'failed',
        'providerUnavailable',
      ],
      [
        'undeliverable, with any number in the carrier’s report blanked',
        [undeliverable('m', 'm-code', 'handset +1 425 555 0100 unreachable (30003)')],
        'undeliverable',
        'handset [redacted] unreachable (30003)',
      ],
      [
        'skipped, with why',
        [{ type: 'CodeDeliverySkipped', data: { methodId: 'm', codeId: 'm-code', reason: 'expired' } }],
        'skipped',
        'expired',
      ],
      [
        'still delivered when a late acceptance comes after the report',
        [delivered('m', 'm-code'), deliveryAccepted('m', 'm-code')],
        'delivered',
        null,
      ],
    ])('is %s', (_, outcomes, delivery, reason) => {
      const page = pageAfter([...pending('m', 'mobile'), ...outcomes]);
      expect(page.methods[0].lastCode).toMatchObject({ codeId: 'm-code', delivery, reason });
    });

    it('follows the newest code: a resent code starts queued again', () => {
      const page = pageAfter([
        ...pending('m', 'mobile'),
        deliveryBlocked('m', 'm-code'),
        sent('m', 'c2', { at: 2 * MINUTE, channel: 'voice' }),
      ]);
      expect(page.methods[0].lastCode).toMatchObject({ codeId: 'c2', channel: 'voice', delivery: 'queued' });
    });

    it('keeps delivery only for live codes, and never a number or a code', () => {
      const state = [
        ...pending('m', 'mobile'),
        deliveryAccepted('m', 'm-code'),
        ...verified('m', 'mobile').slice(2),
      ].reduce(evolvePageState, initialPageState);
      expect(state.deliveries).toEqual({});
      const page = pageAfter([...pending('m', 'mobile'), deliveryAccepted('m', 'm-code')]);
      expect(JSON.stringify(page.methods[0].lastCode)).not.toMatch(/4255550100|\d{6}"/);
    });
  });
});

describe('evolvePageState', () => {
  /** The page's fold as it was first written (a Set and a copy at every event): the behaviour to keep. */
  function evolvedAsFirstWritten(
    state: SecurityInfoPageState,
    event: SecurityInfoEvent,
  ): SecurityInfoPageState {
    const securityInfo = evolve(state.securityInfo, event);
    let deliveries: CodeDeliveries = state.deliveries;
    const set = (codeId: string, view: CodeDeliveries[string], replaceReported = true) => {
      const current = deliveries[codeId];
      if (!current && event.type !== 'CodeSent') return;
      if (!replaceReported && current && ['delivered', 'undeliverable'].includes(current.status)) return;
      deliveries = { ...deliveries, [codeId]: view };
    };
    if (event.type === 'CodeSent') set(event.data.codeId, { status: 'queued', reason: null });
    if (event.type === 'CodeDeliveryAccepted')
      set(event.data.codeId, { status: 'sent', reason: null }, false);
    if (event.type === 'CodeDelivered') set(event.data.codeId, { status: 'delivered', reason: null });
    if (event.type === 'CodeDeliveryBlocked')
      set(event.data.codeId, { status: 'blocked', reason: event.data.reason }, false);
    const live = (s: SecurityInfo) =>
      new Set(s.methods.map((m) => verificationOf(m)?.codes.at(-1)?.codeId).filter((id) => id !== undefined));
    const kept = Object.entries(deliveries).filter(([codeId]) => live(securityInfo).has(codeId));
    return {
      securityInfo,
      deliveries: kept.length === Object.keys(deliveries).length ? deliveries : Object.fromEntries(kept),
    };
  }

  it('keeps what became of the live codes only, as it always did, and the same object when nothing changed', () => {
    // Given a history through every way a code stops being live: resent, verified, deleted, a number change
    // proven or cancelled, and delivery outcomes for codes live and not.
    const history: SecurityInfoEvent[] = [
      ...pending('m', 'mobile'),
      deliveryAccepted('m', 'm-code'),
      sent('m', 'c2', { at: MINUTE }),
      delivered('m', 'm-code'),
      deliveryBlocked('m', 'c2', 'destinationHourlyLimit'),
      failed('m', 'c2', 4),
      delivered('m', 'c2'),
      deliveryAccepted('m', 'c2'),
      added('o', 'office', { at: 2 * MINUTE }),
      sent('o', 'o-code', { at: 2 * MINUTE, phoneType: 'office', channel: 'voice' }),
      verifiedEvent('m', 'c2', 'sms'),
      changeStarted('m', NEW_NUMBERS.mobile, { at: 3 * MINUTE }),
      sentTo('m', 'n1', NEW_NUMBERS.mobile, { at: 3 * MINUTE }),
      deliveryAccepted('m', 'n1'),
      changeCancelled('m', 'user'),
      deliveryAccepted('o', 'o-code'),
      deleted('o', 'office'),
      changeStarted('m', NEW_NUMBERS.mobile, { at: 4 * MINUTE }),
      sentTo('m', 'n2', NEW_NUMBERS.mobile, { at: 4 * MINUTE }),
      delivered('m', 'n2'),
      deliveryAccepted('m', 'unknown-code'),
    ];
    let now = initialPageState;
    let then = initialPageState;
    for (const event of history) {
      // When each event is folded
      const next = evolvePageState(now, event);
      const expected = evolvedAsFirstWritten(then, event);
      // Then the page's state is the one the first fold gave, the same deliveries object when it was
      expect(next).toEqual(expected);
      expect(next.deliveries === now.deliveries).toBe(expected.deliveries === then.deliveries);
      expect(Object.keys(next.deliveries)).toEqual(Object.keys(expected.deliveries));
      [now, then] = [next, expected];
    }
    expect(now.deliveries).toEqual({ n2: { status: 'delivered', reason: null } });
  });
});
