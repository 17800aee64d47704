import { securityInfoStream, type SecurityInfoEvent } from '@signet/domain';
import { SqliteEventStore, type EventStore, type ReadStreamOptions } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { added, deleted, MINUTE } from '@signet/domain/testing';
import { recordingReads } from '@signet/event-store/testing';
import { AsOfSnapshots, securityInfoAsOf, type AsOfMoment } from './as-of';

const minute = (n: number) => new Date(Date.UTC(2030, 0, 1, 9, n)).toISOString();

/** A mobile added, then an office phone added and deleted, again and again: one event a minute. */
function history(length: number): SecurityInfoEvent[] {
  const events: SecurityInfoEvent[] = [added('m', 'mobile')];
  for (let i = 1; events.length < length; i++) {
    events.push(i % 2 ? added(`o${i}`, 'office', { at: i * MINUTE }) : deleted(`o${i - 1}`, 'office'));
  }
  return events;
}

describe('securityInfoAsOf with snapshots', () => {
  let store: EventStore;
  let reads: (ReadStreamOptions | undefined)[];

  beforeEach(async () => {
    const sqlite = new SqliteEventStore({ filename: ':memory:' });
    await sqlite.appendToStream(
      securityInfoStream('alice'),
      history(40).map((e, i) => ({
        id: randomUUID(),
        type: e.type,
        data: e.data,
        metadata: { occurredAt: minute(i) },
      })),
      { expectedRevision: 'no_stream' },
    );
    ({ store, reads } = recordingReads(sqlite));
  });
  afterEach(() => store.close());

  it('answers every moment exactly as a replay from the start does, in any order', async () => {
    const snapshots = new AsOfSnapshots();
    const moments: AsOfMoment[] = [
      { asOf: new Date(minute(10)) },
      { asOf: new Date(minute(25)) },
      { revision: 3n },
      { revision: 30n },
      { asOf: new Date(minute(59)) },
      { asOf: new Date(minute(5)) },
    ];
    for (const moment of moments) {
      const replayed = await securityInfoAsOf(store, 'alice', moment, 'revealed');
      expect(await securityInfoAsOf(store, 'alice', moment, 'revealed', snapshots)).toEqual(replayed);
    }
  });

  it('continues a later moment from the fold it already made, and replays an earlier one', async () => {
    const snapshots = new AsOfSnapshots();
    await securityInfoAsOf(store, 'alice', { revision: 20n }, 'masked', snapshots);
    await securityInfoAsOf(store, 'alice', { revision: 35n }, 'masked', snapshots);
    await securityInfoAsOf(store, 'alice', { revision: 5n }, 'masked', snapshots);
    expect(reads.map((r) => r?.fromRevision)).toEqual(['start', 21n, 'start']);
  });
});
