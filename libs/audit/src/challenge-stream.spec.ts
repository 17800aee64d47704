import { signInChallengeStream, securityInfoStream, type SecurityInfoEvent } from '@signet/domain';
import { iso, recordOf, T0, verified } from '@signet/domain/testing';
import { HashChainingEventStore, SqliteEventStore, type EventStore } from '@signet/event-store';
import { securityInfoAsOf } from './as-of';
import { verifyChains } from './chain-verification';
import { readUserHistory } from './history';

/** Sign-in challenges live on a third stream of the user's: in their history and chain checks, not in the page's revision. */
describe("a user's sign-in challenge stream", () => {
  let store: EventStore;
  const base = { challengeId: 'ch', purpose: 'signIn', methodId: 'm', codeId: 'c', channel: 'sms' } as const;
  const challenge: SecurityInfoEvent[] = [
    {
      type: 'SignInChallengeStarted',
      data: { ...base, requestedBy: 'idp', startedAt: iso(60_000) },
    },
    {
      type: 'SignInChallengeCodeSent',
      data: { ...base, destination: '+1 XXXXXXXX00', sentAt: iso(60_000), expiresAt: iso(660_000) },
    },
    { type: 'SignInChallengeSucceeded', data: { ...base, verifiedAt: iso(120_000) } },
  ];

  beforeEach(async () => {
    store = new HashChainingEventStore(new SqliteEventStore({ filename: ':memory:' }));
    await store.appendToStream(
      securityInfoStream('alice'),
      verified('m', 'mobile').map((event) => recordOf(event, { occurredAt: iso(0) })),
      { expectedRevision: 'any' },
    );
    await store.appendToStream(
      signInChallengeStream('alice'),
      challenge.map((event, i) => recordOf(event, { occurredAt: iso(60_000 * (i === 2 ? 2 : 1)) })),
      { expectedRevision: 'any' },
    );
  });
  afterEach(() => store.close());

  it('is part of the history and of the user’s chain verification', async () => {
    const history = await readUserHistory(store, 'alice', { limit: 100 }, 'masked');
    expect(history.items.map((item) => item.type)).toEqual([
      'PhoneMethodAdded',
      'CodeSent',
      'PhoneVerified',
      'SignInChallengeStarted',
      'SignInChallengeCodeSent',
      'SignInChallengeSucceeded',
    ]);
    const verification = await verifyChains(store, { userId: 'alice' });
    expect(verification).toMatchObject({ events: 6, streams: 2, broken: null });
  });

  it('gives the page as of a moment its lastUsedAt, never its revision', async () => {
    const before = await securityInfoAsOf(
      store,
      'alice',
      { asOf: new Date(T0.getTime() + 90_000) },
      'masked',
    );
    expect(before.page.methods[0].lastUsedAt).toBeNull();
    const after = await securityInfoAsOf(
      store,
      'alice',
      { asOf: new Date(T0.getTime() + 200_000) },
      'masked',
    );
    expect(after.page.methods[0].lastUsedAt).toBe(iso(120_000));
    expect(after.page.revision).toBe('2');
    expect(after.lastChange).toMatchObject({ type: 'PhoneVerified' });
  });
});
