import { renderSecurityInfoPage, UnknownEventError } from '@signet/domain';
import type { SecurityInfoEvent } from '@signet/domain';
import {
  deliveryAccepted,
  deliveryBlocked,
  EVERY_METHOD_TYPE,
  HOUR,
  iso,
  pending,
  recordOf,
  TEST_VIEW,
  verified,
} from '@signet/domain/testing';
import { SqliteEventStore, type EventToAppend, type RecordedEvent } from '@signet/event-store';
import { rebuildProjection } from './projection-rebuild';
import {
  projectSecurityInfo,
  securityInfoPageOf,
  securityInfoPageProjection,
} from './security-info-projection';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model-store';
import { officePhoneAdded, unknownEvent, verifiedPhoneEvents } from './testing/security-info-history';

/** Events as the log would deliver them on alice's stream. */
function recorded(events: EventToAppend[], streamId = 'securityInfo-alice'): RecordedEvent[] {
  return events.map((event, index) => ({
    ...event,
    streamId,
    revision: BigInt(index),
    position: BigInt(100 + index),
    recordedAt: new Date('2031-01-01T00:00:00.000Z'),
  }));
}

const fold = (events: RecordedEvent[]) => events.reduce(projectSecurityInfo, null);

describe('the Security info page projection', () => {
  it('is rebuilt from the events read without their personal metadata, which it never reads', async () => {
    const events = new SqliteEventStore({ filename: ':memory:' });
    const store = new SqliteReadModelStore({ filename: ':memory:' });
    await events.appendToStream('securityInfo-alice', verifiedPhoneEvents(), {
      expectedRevision: 'no_stream',
    });
    const reads = jest.spyOn(events, 'readAll');

    await rebuildProjection({ projection: securityInfoPageProjection, eventStore: events, store });

    expect(securityInfoPageProjection.readsPersonalMetadata).toBe(false);
    expect(reads).toHaveBeenCalledWith(expect.objectContaining({ withoutPersonalMetadata: true }));
    await store.close();
    await events.close();
  });

  it('keys documents by the user of the stream, ignoring other streams', () => {
    const [event] = recorded(verifiedPhoneEvents());
    expect(securityInfoPageProjection.documentKey(event)).toBe('alice');
    expect(securityInfoPageProjection.documentKey({ ...event, streamId: 'audit-alice' })).toBeNull();
  });

  it('given the seed flow, the page shows a verified default phone at the last revision', () => {
    const events = recorded([...verifiedPhoneEvents('m', '2030-05-05T10:00:00.000Z')]);
    const document = fold(events)!;
    expect(document).toMatchObject({ key: 'alice', revision: 3n, position: 103n });
    expect(securityInfoPageOf('alice', document, TEST_VIEW)).toMatchObject({
      userId: 'alice',
      methods: [{ methodId: 'm', status: 'verified', isDefault: true, label: 'Phone' }],
      defaultMethod: { methodId: 'm', deliveryMethod: 'sms', label: 'Phone - text +1 4255550100' },
      revision: '3',
      updatedAt: '2030-05-05T10:00:00.000Z',
    });
  });

  it('renders with the one page rendering of the domain', () => {
    const events = recorded([...verifiedPhoneEvents(), officePhoneAdded('2030-02-02T00:00:00.000Z')]);
    const document = fold(events)!;
    expect(securityInfoPageOf('alice', document, TEST_VIEW)).toEqual(
      renderSecurityInfoPage(
        'alice',
        document.body.state,
        {
          revision: 4n,
          updatedAt: '2030-02-02T00:00:00.000Z',
        },
        { ...TEST_VIEW, deliveries: document.body.deliveries },
      ),
    );
  });

  it('keeps the erasure in the document: the page says the data was erased, and when', () => {
    const erasedAt = '2030-03-03T00:00:00.000Z';
    const events = recorded([
      ...verifiedPhoneEvents(),
      recordOf(
        { type: 'PersonalDataErased', data: { reason: 'Art. 17', by: 'dpo', erasedAt } },
        { occurredAt: erasedAt },
      ),
    ]);
    const document = fold(events)!;
    expect(document.body.state).toMatchObject({ methods: [], personalDataErasedAt: erasedAt });
    expect(securityInfoPageOf('alice', document, TEST_VIEW)).toMatchObject({
      methods: [],
      defaultMethod: null,
      personalDataErased: { erasedAt },
      revision: '4',
    });
  });

  it('takes updatedAt from when the event occurred, or else when it was recorded', () => {
    const [event] = recorded(verifiedPhoneEvents());
    expect(projectSecurityInfo(null, { ...event, metadata: {} }).body.updatedAt).toBe(
      '2031-01-01T00:00:00.000Z',
    );
  });

  it('is pure: the document it was given is not changed', () => {
    const events = recorded(verifiedPhoneEvents());
    const before = fold(events.slice(0, 2))!;
    const copy = structuredClone(before);
    projectSecurityInfo(before, events[2]);
    expect(before).toEqual(copy);
  });

  it('shows a user with no history an empty page, not an error', () => {
    expect(securityInfoPageOf('nobody', null, TEST_VIEW)).toEqual({
      userId: 'nobody',
      methods: [],
      defaultMethod: null,
      allowedMethodTypes: EVERY_METHOD_TYPE,
      personalDataErased: null,
      revision: null,
      updatedAt: null,
    });
  });

  it('refuses an event type the domain does not know, so the runner can stop on it', () => {
    const [event] = recorded([unknownEvent()]);
    expect(() => projectSecurityInfo(null, event)).toThrow(UnknownEventError);
  });

  describe('follows the code-delivery stream too, without moving the page revision', () => {
    /** Events with their streams and positions as the log interleaves them. */
    const log = (events: Array<[string, SecurityInfoEvent]>): RecordedEvent[] => {
      const revisions = new Map<string, bigint>();
      return events.map(([stream, event], index) => {
        const revision = revisions.get(stream) ?? 0n;
        revisions.set(stream, revision + 1n);
        return {
          ...recordOf(event, { occurredAt: `2030-01-01T09:0${index}:00.000Z` }),
          streamId: `${stream}-alice`,
          revision,
          position: BigInt(200 + index),
          recordedAt: new Date('2030-01-01T09:00:00.000Z'),
        };
      });
    };
    const [add, code] = pending('m', 'mobile');

    it('shows queued, then sent, then blocked with its reason; revision and updatedAt stay the page’s', () => {
      const events = log([
        ['securityInfo', add],
        ['securityInfo', code],
        ['codeDelivery', deliveryAccepted('m', 'm-code')],
      ]);
      const queued = fold(events.slice(0, 2))!;
      expect(securityInfoPageOf('alice', queued, TEST_VIEW).methods[0].lastCode).toMatchObject({
        delivery: 'queued',
      });
      const sent = fold(events)!;
      expect(sent).toMatchObject({ revision: 1n, position: 202n });
      const page = securityInfoPageOf('alice', sent, TEST_VIEW);
      expect(page).toMatchObject({ revision: '1', updatedAt: '2030-01-01T09:01:00.000Z' });
      expect(page.methods[0].lastCode).toMatchObject({ delivery: 'sent', reason: null });

      const blocked = projectSecurityInfo(
        queued,
        log([
          ['securityInfo', add],
          ['securityInfo', code],
          ['codeDelivery', deliveryBlocked('m', 'm-code', 'destinationDailyLimit')],
        ])[2],
      );
      expect(securityInfoPageOf('alice', blocked, TEST_VIEW).methods[0].lastCode).toMatchObject({
        delivery: 'blocked',
        reason: 'destinationDailyLimit',
      });
    });

    it('keys delivery events by the user of the stream', () => {
      const [event] = log([['codeDelivery', deliveryAccepted('m', 'm-code')]]);
      expect(securityInfoPageProjection.documentKey(event)).toBe('alice');
      expect(securityInfoPageProjection.streamPrefixes).toEqual([
        'securityInfo-',
        'codeDelivery-',
        'signInChallenge-',
      ]);
    });

    it('shows the last successful sign-in challenge as lastUsedAt, without moving the page revision', () => {
      const [verifiedAdd, verifiedCode, proved] = verified('m', 'mobile');
      const base = {
        challengeId: 'ch',
        purpose: 'signIn',
        methodId: 'm',
        codeId: 'ch-code',
        channel: 'sms',
      } as const;
      const events = log([
        ['securityInfo', verifiedAdd],
        ['securityInfo', verifiedCode],
        ['securityInfo', proved],
        [
          'signInChallenge',
          {
            type: 'SignInChallengeCodeSent',
            data: {
              ...base,
              destination: '+1 XXXXXXXX00',
              sentAt: iso(HOUR),
              expiresAt: iso(HOUR + 600_000),
            },
          },
        ],
        [
          'signInChallenge',
          { type: 'SignInChallengeSucceeded', data: { ...base, verifiedAt: iso(HOUR + 60_000) } },
        ],
      ]);
      const before = fold(events.slice(0, 3))!;
      const after = fold(events)!;
      expect(securityInfoPageOf('alice', before, TEST_VIEW).methods[0].lastUsedAt).toBeNull();
      const page = securityInfoPageOf('alice', after, TEST_VIEW);
      expect(page.methods[0].lastUsedAt).toBe(iso(HOUR + 60_000));
      expect(page.revision).toBe(securityInfoPageOf('alice', before, TEST_VIEW).revision);
      expect(page.updatedAt).toBe(securityInfoPageOf('alice', before, TEST_VIEW).updatedAt);
      expect(after.position).toBe(events[4].position);
    });

    it('reads a document of version 1 (no deliveries kept): its codes show as queued', () => {
      const document = fold(
        log([
          ['securityInfo', add],
          ['securityInfo', code],
        ]),
      )!;
      const { deliveries: _, ...v1Body } = document.body;
      expect(
        securityInfoPageOf('alice', { ...document, body: v1Body }, TEST_VIEW).methods[0].lastCode,
      ).toMatchObject({
        delivery: 'queued',
      });
    });
  });
});
