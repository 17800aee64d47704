import {
  codeDeliveryDecider,
  fold,
  securityInfoDecider,
  securityInfoEventOf,
  securityInfoStream,
  codeDeliveryStream,
  type SecurityInfoEvent,
} from '@signet/domain';
import { added, deleted, recordOf, sent } from '@signet/domain/testing';
import { SqliteEventStore, type EventStore, type ReadStreamOptions } from '@signet/event-store';
import { recordingReads } from '@signet/event-store/testing';
import { StreamStates } from './stream-states';

describe('StreamStates', () => {
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
      events.map((event) => recordOf(event)),
      { expectedRevision: 'any' },
    );

  it('folds the whole stream once, then reads only what was appended since', async () => {
    const states = new StreamStates(store, securityInfoDecider, securityInfoEventOf);
    const history = [added('m1', 'mobile'), added('o1', 'office')];
    await append('alice', history);
    const first = await states.load(securityInfoStream('alice'));
    expect(first).toMatchObject({ state: fold(history), revision: 1n });

    // Another writer (another API instance, the worker) appends behind this cache's back.
    await append('alice', [deleted('m1', 'mobile')]);
    const second = await states.load(securityInfoStream('alice'));
    expect(second.state).toEqual(fold([...history, deleted('m1', 'mobile')]));
    expect(second.revision).toBe(2n);
    expect(reads.map((r) => r?.fromRevision)).toEqual(['start', 2n]);
  });

  it('knows nothing of a user with no history', async () => {
    const states = new StreamStates(store, securityInfoDecider, securityInfoEventOf);
    expect(await states.load(securityInfoStream('nobody'))).toMatchObject({ revision: null, position: null });
  });

  it('forgets the least recently used user beyond its capacity, and replays it when asked again', async () => {
    const states = new StreamStates(store, securityInfoDecider, securityInfoEventOf, 2);
    for (const user of ['a', 'b', 'c']) await append(user, [added(`${user}1`, 'mobile')]);
    for (const user of ['a', 'b', 'c']) await states.load(securityInfoStream(user));
    reads.length = 0;
    await states.load(securityInfoStream('c'));
    await states.load(securityInfoStream('a'));
    expect(reads.map((r) => r?.fromRevision)).toEqual([1n, 'start']);
  });

  it('folds several streams in log order, with the revision of the one written to', async () => {
    const states = new StreamStates(store, codeDeliveryDecider, securityInfoEventOf);
    await append('alice', [added('m1', 'mobile'), sent('m1', 'c1')]);
    await store.appendToStream(
      codeDeliveryStream('alice'),
      [recordOf({ type: 'CodeDeliverySkipped', data: { methodId: 'm1', codeId: 'c1', reason: 'expired' } })],
      { expectedRevision: 'no_stream' },
    );
    await append('alice', [sent('m1', 'c2')]);
    const merged = await states.load(codeDeliveryStream('alice'), [securityInfoStream('alice')]);
    expect(merged.revision).toBe(0n);
    expect(merged.position).toBe(4n);
    expect(merged.state.codes).toEqual({
      c1: { methodId: 'm1', settled: true, reported: false },
      c2: { methodId: 'm1', settled: false, reported: false },
    });
    expect(merged.state.securityInfo.methods[0].codes.map((c) => c.codeId)).toEqual(['c1', 'c2']);
  });
});
