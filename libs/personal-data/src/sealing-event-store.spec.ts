import { verifyChains } from '@signet/audit';
import {
  HashChainingEventStore,
  SqliteEventStore,
  type EventStore,
  type RecordedEvent,
} from '@signet/event-store';
import { randomBytes } from 'node:crypto';
import { PersonalDataKeys } from './personal-data-keys';
import * as sealed from './sealing';
import { ERASED, PhoneFingerprints } from './sealing';
import { PersonalDataSealingEventStore } from './sealing-event-store';
import { SqliteDataKeyStore } from './sqlite/sqlite-data-key-store';

const added = (id: string, phoneNumber: string) => ({
  id,
  type: 'PhoneMethodAdded',
  data: {
    methodId: 'm1',
    phoneType: 'mobile',
    phoneNumber,
    extension: null,
    deliveryMethod: 'sms',
    addedAt: 'now',
  },
  metadata: { eventId: id, clientAddress: '203.0.113.7', userAgent: 'Firefox', schemaVersion: 2 },
});

async function all(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const list: RecordedEvent[] = [];
  for await (const event of events) list.push(event);
  return list;
}

describe('PersonalDataSealingEventStore', () => {
  let stored: EventStore;
  let keys: PersonalDataKeys;
  let sealing: PersonalDataSealingEventStore;
  const fingerprints = new PhoneFingerprints(randomBytes(32));

  beforeEach(() => {
    stored = new HashChainingEventStore(new SqliteEventStore({ filename: ':memory:' }));
    keys = new PersonalDataKeys(new SqliteDataKeyStore({ filename: ':memory:' }), {
      current: randomBytes(32),
    });
    sealing = new PersonalDataSealingEventStore(stored, keys, fingerprints);
  });

  afterEach(() => sealing.close());

  it('asks the key store for the unknown keys of the events ahead at once, and opens each as before', async () => {
    const keyStore = new SqliteDataKeyStore({ filename: ':memory:' });
    const master = randomBytes(32);
    const writer = new PersonalDataKeys(keyStore, { current: master });
    const writing = new PersonalDataSealingEventStore(stored, writer, fingerprints);
    const people = Array.from({ length: 12 }, (_, n) => `p${n}`);
    for (const person of people) {
      await writing.appendToStream(`securityInfo-${person}`, [added(`e-${person}`, '+14255550100')], {
        expectedRevision: 'no_stream',
      });
    }
    await writer.destroy('p3');
    // Another process, nothing cached.
    const readerKeys = new PersonalDataKeys(keyStore, { current: master });
    const reader = new PersonalDataSealingEventStore(stored, readerKeys, fingerprints);
    const oneByOne = jest.spyOn(keyStore, 'byKid');
    const together = jest.spyOn(keyStore, 'byKids');

    const events = await all(reader.readAll());

    expect(together).toHaveBeenCalledTimes(1);
    expect(oneByOne).not.toHaveBeenCalled();
    expect(events.map((e) => e.data.phoneNumber)).toEqual(
      people.map((person) => (person === 'p3' ? ERASED : '+14255550100')),
    );
    await keyStore.close();
  });

  it('stores the number, client address and user agent only sealed, with the masked form, calling code and fingerprint', async () => {
    await sealing.appendToStream('securityInfo-alice', [added('e1', '+14255550100')], {
      expectedRevision: 'no_stream',
    });
    const [raw] = await all(stored.readStream('securityInfo-alice'));
    const text = JSON.stringify({ data: raw.data, metadata: raw.metadata });
    expect(text).not.toContain('4255550100');
    expect(text).not.toContain('203.0.113.7');
    expect(text).not.toContain('Firefox');
    expect(raw.data.clear).toEqual({
      phoneNumber: {
        masked: '+1 XXXXXXXX00',
        callingCode: '1',
        fingerprint: fingerprints.of('+14255550100'),
      },
    });
    expect(raw.data.extension).toBeNull();

    const [read] = await all(sealing.readStream('securityInfo-alice'));
    expect(read.data).toEqual(added('e1', '+14255550100').data);
    expect(read.metadata).toMatchObject({ clientAddress: '203.0.113.7', userAgent: 'Firefox' });
  });

  it('opens the events of several streams read together, each under the key of its person', async () => {
    await sealing.appendToStream('securityInfo-alice', [added('e1', '+14255550100')], {
      expectedRevision: 'no_stream',
    });
    await sealing.appendToStream('securityInfo-bob', [added('e2', '+14255550111')], {
      expectedRevision: 'no_stream',
    });
    await keys.destroy('bob');

    const read = await all(sealing.readStreams(['securityInfo-bob', 'securityInfo-alice']));

    expect(read.map((e) => [e.streamId, e.data.phoneNumber, e.metadata.clientAddress])).toEqual([
      ['securityInfo-alice', '+14255550100', '203.0.113.7'],
      ['securityInfo-bob', ERASED, ERASED],
    ]);
  });

  it('reads [erased] once the key is destroyed, the chain still verifying, and a fresh key afterwards', async () => {
    await sealing.appendToStream('securityInfo-alice', [added('e1', '+14255550100')], {
      expectedRevision: 'no_stream',
    });
    await sealing.appendToStream('securityInfo-bob', [added('e2', '+14255550111')], {
      expectedRevision: 'no_stream',
    });
    await keys.destroy('alice');

    const [alice] = await all(sealing.readStream('securityInfo-alice'));
    expect(alice.data.phoneNumber).toBe(ERASED);
    expect(alice.metadata.clientAddress).toBe(ERASED);
    const [bob] = await all(sealing.readAll({ filter: { streamPrefixes: ['securityInfo-bob'] } }));
    expect(bob.data.phoneNumber).toBe('+14255550111');
    expect((await verifyChains(stored, {})).broken).toBeNull();

    await sealing.appendToStream('securityInfo-alice', [added('e3', '+14255550199')], {
      expectedRevision: 0n,
    });
    const after = await all(sealing.readStream('securityInfo-alice'));
    expect(after.map((e) => e.data.phoneNumber)).toEqual([ERASED, '+14255550199']);
  });

  it('opens an event only when a personal field is read, once for all its fields', async () => {
    await sealing.appendToStream('securityInfo-alice', [added('e1', '+14255550100')], {
      expectedRevision: 'no_stream',
    });
    const opening = jest.spyOn(sealed, 'open');
    try {
      const [read] = await all(sealing.readStream('securityInfo-alice'));
      expect(read.data.methodId).toBe('m1');
      expect(read.metadata.eventId).toBe('e1');
      expect(opening).not.toHaveBeenCalled();

      expect(read.data.phoneNumber).toBe('+14255550100');
      expect(read.metadata.userAgent).toBe('Firefox');
      expect({ ...read.data }).toEqual(added('e1', '+14255550100').data);
      expect(JSON.parse(JSON.stringify(read.metadata))).toMatchObject(added('e1', '+14255550100').metadata);
      expect(read.metadata).not.toHaveProperty('sealed');
      expect(opening).toHaveBeenCalledTimes(1);
    } finally {
      opening.mockRestore();
    }
  });

  it('reads events without their personal metadata when asked, their data opened as ever, asking no key for the rest', async () => {
    const codeSent = {
      id: 'e2',
      type: 'CodeSent',
      data: { methodId: 'm1', codeId: 'c1' },
      metadata: { eventId: 'e2', clientAddress: '203.0.113.7', userAgent: 'Firefox', schemaVersion: 2 },
    };
    await sealing.appendToStream('securityInfo-alice', [added('e1', '+14255550100'), codeSent], {
      expectedRevision: 'no_stream',
    });
    await sealing.appendToStream(
      'securityInfo-bob',
      [{ ...codeSent, id: 'e3', metadata: { ...codeSent.metadata, eventId: 'e3' } }],
      {
        expectedRevision: 'no_stream',
      },
    );
    // Another process, nothing cached.
    const reader = new PersonalDataSealingEventStore(stored, keys, fingerprints);
    const known = jest.spyOn(keys, 'known');
    const asked = jest.spyOn(keys, 'forReading');

    const [alice, aliceCode, bobCode] = await all(reader.readAll({ withoutPersonalMetadata: true }));

    expect(alice.data.phoneNumber).toBe('+14255550100');
    expect({ ...alice.data }).toEqual(added('e1', '+14255550100').data);
    for (const event of [alice, aliceCode, bobCode]) {
      expect(event.metadata).toEqual({ eventId: event.id, schemaVersion: 2, chain: expect.anything() });
    }
    expect(aliceCode.data).toEqual(codeSent.data);
    // Bob's only event seals nothing but his metadata: no key of his was looked for.
    const bobKid = ((await all(stored.readStream('securityInfo-bob')))[0].metadata.sealed as { kid: string })
      .kid;
    expect(known.mock.calls.map(([kid]) => kid)).not.toContain(bobKid);
    expect(asked.mock.calls.map(([kid]) => kid)).not.toContain(bobKid);

    await keys.destroy('alice');
    const [erased] = await all(reader.readAll({ withoutPersonalMetadata: true }));
    expect(erased.data.phoneNumber).toBe(ERASED);
    expect(erased.metadata).not.toHaveProperty('clientAddress');
  });

  it('lets a reader replace an opened field with a value of its own', async () => {
    await sealing.appendToStream('securityInfo-alice', [added('e1', '+14255550100')], {
      expectedRevision: 'no_stream',
    });
    const [read] = await all(sealing.readStream('securityInfo-alice'));
    read.data.phoneNumber = '+1 XXXXXXXX00';
    expect(read.data.phoneNumber).toBe('+1 XXXXXXXX00');
    const [again] = await all(sealing.readStream('securityInfo-alice'));
    expect(again.data.phoneNumber).toBe('+14255550100');
  });

  it('opens events in a live subscription too', async () => {
    const subscription = sealing.subscribeToAll({ fromPosition: 'start' });
    await sealing.appendToStream('securityInfo-alice', [added('e1', '+14255550100')], {
      expectedRevision: 'any',
    });
    for await (const event of subscription) {
      expect(event.data.phoneNumber).toBe('+14255550100');
      break;
    }
    await subscription.close();
  });

  it('leaves events without personal data as they are, needing no key', async () => {
    const event = {
      id: 'e9',
      type: 'CodeDelivered',
      data: { methodId: 'm1' },
      metadata: { clientAddress: null },
    };
    await sealing.appendToStream('codeDelivery-carol', [event], { expectedRevision: 'any' });
    const [raw] = await all(stored.readStream('codeDelivery-carol'));
    expect(raw.data).toEqual({ methodId: 'm1' });
    expect(await keys.forReading('none')).toBeNull();
  });
});
