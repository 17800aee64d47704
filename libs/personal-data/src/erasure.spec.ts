import { securityInfoStream } from '@signet/domain';
import { TEST_POLICY } from '@signet/domain/testing';
import { HashChainingEventStore, SqliteEventStore, type RecordedEvent } from '@signet/event-store';
import { randomBytes } from 'node:crypto';
import { erasePersonalData, type ErasureRequest } from './erasure';
import { PersonalDataKeys } from './personal-data-keys';
import { ERASED, PhoneFingerprints } from './sealing';
import { PersonalDataSealingEventStore } from './sealing-event-store';
import { SqliteDataKeyStore } from './sqlite/sqlite-data-key-store';
import { added, record } from './testing/page-records';

const request: ErasureRequest = {
  userId: 'alice',
  reason: 'asked by the person',
  requestedBy: { subject: 'dpo', roles: ['privacyOfficer'], via: 'cli' },
  origin: { clientAddress: null, userAgent: 'signet-cli', correlationId: null, causationId: null },
  now: new Date('2026-11-30T10:00:00.000Z'),
};

const rules = { policy: TEST_POLICY, codes: { matches: () => false } };

async function numbersOf(events: AsyncIterable<RecordedEvent>): Promise<unknown[]> {
  const numbers: unknown[] = [];
  for await (const event of events)
    if (event.type === 'PhoneMethodAdded') numbers.push(event.data.phoneNumber);
  return numbers;
}

describe('erasePersonalData', () => {
  let keyStore: SqliteDataKeyStore;
  let keys: PersonalDataKeys;
  let store: PersonalDataSealingEventStore;

  beforeEach(async () => {
    keyStore = new SqliteDataKeyStore({ filename: ':memory:' });
    keys = new PersonalDataKeys(keyStore, { current: randomBytes(32) });
    store = new PersonalDataSealingEventStore(
      new HashChainingEventStore(new SqliteEventStore({ filename: ':memory:' })),
      keys,
      new PhoneFingerprints(randomBytes(32)),
    );
    await store.appendToStream(securityInfoStream('alice'), [record('alice', added('m1', '+14255550100'))], {
      expectedRevision: 'no_stream',
    });
  });

  afterEach(async () => {
    await store.close();
    await keyStore.close();
  });

  it('destroys the one key that held the data, and the history reads as erased', async () => {
    const outcome = await erasePersonalData(store, keys, request, rules);

    expect(outcome.keysDestroyed).toBe(1);
    expect(await numbersOf(store.readStream(securityInfoStream('alice')))).toEqual([ERASED]);
  });

  it('also erases a write that lands between the key going and PersonalDataErased (sealed under a fresh key)', async () => {
    const destroy = keys.destroy.bind(keys);
    let raced = false;
    jest.spyOn(keys, 'destroy').mockImplementation(async (personId) => {
      const kids = await destroy(personId);
      if (!raced) {
        raced = true;
        // Another request of the person's, in the moment after the key was destroyed.
        await store.appendToStream(
          securityInfoStream('alice'),
          [record('alice', added('m2', '+14255550122'))],
          {
            expectedRevision: 0n,
          },
        );
      }
      return kids;
    });

    const outcome = await erasePersonalData(store, keys, request, rules);

    expect(raced).toBe(true);
    expect(outcome.keysDestroyed).toBe(2);
    expect(await numbersOf(store.readStream(securityInfoStream('alice')))).toEqual([ERASED, ERASED]);
    // Another process, nothing cached: the second number is as gone there as here.
    const elsewhere = new PersonalDataSealingEventStore(
      store.stored,
      new PersonalDataKeys(keyStore, { current: randomBytes(32) }),
      new PhoneFingerprints(randomBytes(32)),
    );
    expect(await numbersOf(elsewhere.readStream(securityInfoStream('alice')))).toEqual([ERASED, ERASED]);
  });
});
