import { codeDeliveryStream, securityInfoStream, type SecurityInfoEvent } from '@signet/domain';
import { added, iso, pending, recordOf, T0 } from '@signet/domain/testing';
import { SqliteEventStore, type EventStore } from '@signet/event-store';
import { securityInfoAsOf } from './as-of';
import { readUserHistory } from './history';
import { countUserEvents, readUserStreams } from './user-streams';

/** A user's history told from two streams: what they changed, and what became of their codes. */
describe("a user's two streams", () => {
  let store: EventStore;
  const outcome: SecurityInfoEvent = {
    type: 'CodeDeliveryAccepted',
    data: { methodId: 'm', codeId: 'm-code', provider: 'outbox', providerMessageId: 'x', attempts: 1 },
  };
  const append = (streamId: string, events: SecurityInfoEvent[], at = 0) =>
    store.appendToStream(
      streamId,
      events.map((event) => recordOf(event, { occurredAt: iso(at) })),
      { expectedRevision: 'any' },
    );

  beforeEach(async () => {
    store = new SqliteEventStore({ filename: ':memory:' });
    await append(securityInfoStream('alice'), pending('m', 'mobile'), 0);
    await append(codeDeliveryStream('alice'), [outcome], 1000);
    await append(securityInfoStream('bob'), [added('b', 'mobile')], 1500);
    await append(securityInfoStream('alice'), [added('o', 'office')], 2000);
  });
  afterEach(() => store.close());

  it('are read merged in log order, and only that user’s', async () => {
    const read = [];
    for await (const event of readUserStreams(store, 'alice')) read.push([event.streamId, event.type]);
    expect(read).toEqual([
      ['securityInfo-alice', 'PhoneMethodAdded'],
      ['securityInfo-alice', 'CodeSent'],
      ['codeDelivery-alice', 'CodeDeliveryAccepted'],
      ['securityInfo-alice', 'PhoneMethodAdded'],
    ]);
    expect(await countUserEvents(store, 'alice')).toBe(4n);
  });

  it('make one history whose pages continue by log position', async () => {
    const first = await readUserHistory(store, 'alice', { limit: 3 }, 'masked');
    expect(first.items.map((item) => item.streamId)).toEqual([
      'securityInfo-alice',
      'securityInfo-alice',
      'codeDelivery-alice',
    ]);
    const after = BigInt(first.items[2].position);
    const second = await readUserHistory(store, 'alice', { limit: 3, afterPosition: after }, 'masked');
    expect(second.items.map((item) => [item.type, item.revision])).toEqual([['PhoneMethodAdded', '2']]);
    expect(second.next).toBeNull();
  });

  it('leave the page’s revision and last change to what the person did', async () => {
    const { page, lastChange } = await securityInfoAsOf(
      store,
      'alice',
      { asOf: new Date(T0.getTime() + 1500) },
      'masked',
    );
    expect(page.revision).toBe('1');
    expect(lastChange).toMatchObject({ type: 'CodeSent', streamId: 'securityInfo-alice' });
  });

  it('pass over delivery outcomes written on the Security info stream before they had their own', async () => {
    await append(securityInfoStream('carol'), [...pending('m', 'mobile'), outcome], 0);
    const { lastChange } = await securityInfoAsOf(store, 'carol', { revision: 2n }, 'masked');
    expect(lastChange).toMatchObject({ type: 'CodeSent', revision: '1' });
  });
});
