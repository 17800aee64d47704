import { fold, securityInfoStream, type SecurityInfoEvent } from '@signet/domain';
import { SqliteEventStore, type EventStore, type ReadStreamOptions } from '@signet/event-store';
import { recordingReads } from '@signet/event-store/testing';
import { SecurityInfoStates } from './security-info-states';

const added = (methodId: string, phoneType: 'mobile' | 'office'): SecurityInfoEvent => ({
  type: 'PhoneMethodAdded',
  data: {
    methodId,
    phoneType,
    phoneNumber: '+14255550100',
    extension: null,
    deliveryMethod: phoneType === 'mobile' ? 'sms' : 'voice',
    addedAt: '2030-01-01T00:00:00.000Z',
  },
});
const deleted = (methodId: string): SecurityInfoEvent => ({
  type: 'MethodDeleted',
  data: { methodId, phoneType: 'mobile' },
});

describe('SecurityInfoStates', () => {
  let store: EventStore;
  let reads: (ReadStreamOptions | undefined)[];

  beforeEach(() => {
    const sqlite = new SqliteEventStore({ filename: ':memory:' });
    ({ store, reads } = recordingReads(sqlite));
  });
  afterEach(() => store.close());

  const append = (userId: string, events: SecurityInfoEvent[]) =>
    store.appendToStream(
      securityInfoStream(userId),
      events.map((e, i) => ({
        id: `${userId}-${Date.now()}-${i}`,
        type: e.type,
        data: e.data,
        metadata: {},
      })),
      { expectedRevision: 'any' },
    );

  it('folds the whole stream once, then reads only what was appended since', async () => {
    const states = new SecurityInfoStates(store);
    const history = [added('m1', 'mobile'), added('o1', 'office')];
    await append('alice', history);
    const first = await states.load(securityInfoStream('alice'));
    expect(first).toMatchObject({ state: fold(history), revision: 1n });

    // Another writer (another API instance, the worker) appends behind this cache's back.
    await append('alice', [deleted('m1')]);
    const second = await states.load(securityInfoStream('alice'));
    expect(second.state).toEqual(fold([...history, deleted('m1')]));
    expect(second.revision).toBe(2n);
    expect(reads.map((r) => r?.fromRevision)).toEqual(['start', 2n]);
  });

  it('knows nothing of a user with no history', async () => {
    const states = new SecurityInfoStates(store);
    expect(await states.load(securityInfoStream('nobody'))).toMatchObject({ revision: null, position: null });
  });

  it('forgets the least recently used user beyond its capacity, and replays it when asked again', async () => {
    const states = new SecurityInfoStates(store, 2);
    for (const user of ['a', 'b', 'c']) await append(user, [added(`${user}1`, 'mobile')]);
    for (const user of ['a', 'b', 'c']) await states.load(securityInfoStream(user));
    reads.length = 0;
    await states.load(securityInfoStream('c'));
    await states.load(securityInfoStream('a'));
    expect(reads.map((r) => r?.fromRevision)).toEqual([1n, 'start']);
  });
});
