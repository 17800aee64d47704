import { securityInfoStream } from '@signet/domain';
import { SqliteEventStore, type EventStore } from '@signet/event-store';
import {
  projectBatch,
  rebuildProjection,
  securityInfoPageProjection,
  SqliteReadModelStore,
  type ReadModelStore,
} from '@signet/read-model';
import { randomBytes } from 'node:crypto';
import { PersonalDataKeys } from './personal-data-keys';
import { PhoneFingerprints } from './sealing';
import { PersonalDataSealingEventStore } from './sealing-event-store';
import { PersonalDataSealingReadModelStore } from './sealing-read-model-store';
import { SqliteDataKeyStore } from './sqlite/sqlite-data-key-store';
import { added, AT, record } from './testing/page-records';

/**
 * Two processes sharing one key store and the same files: each its own key cache, as the API and a CLI
 * rebuild have. The rebuild runs in one; the person is erased through the other while it is in flight.
 */
describe('a rebuild in flight while another process erases a person', () => {
  const master = randomBytes(32);
  const fingerprints = new PhoneFingerprints(randomBytes(32));
  let keyStore: SqliteDataKeyStore;
  let events: SqliteEventStore;
  let documents: SqliteReadModelStore;
  const processWith = (keys: PersonalDataKeys) => ({
    keys,
    events: new PersonalDataSealingEventStore(events, keys, fingerprints) as EventStore,
    documents: new PersonalDataSealingReadModelStore(documents, keys) as ReadModelStore,
  });

  beforeEach(() => {
    keyStore = new SqliteDataKeyStore({ filename: ':memory:' });
    events = new SqliteEventStore({ filename: ':memory:' });
    documents = new SqliteReadModelStore({ filename: ':memory:' });
  });

  afterEach(async () => {
    await documents.close();
    await events.close();
    await keyStore.close();
  });

  /** What a third process, with nothing cached, reads of every live document. */
  async function liveDocumentsAsAnotherProcessReadsThem(): Promise<string> {
    const reader = processWith(new PersonalDataKeys(keyStore, { current: master })).documents;
    const live = await reader.live(securityInfoPageProjection.name);
    return JSON.stringify(
      await reader.allDocuments(securityInfoPageProjection.name, live!.generation),
      (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    );
  }

  it('the erased numbers are readable nowhere once the rebuild has swapped, and the person starts afresh', async () => {
    const api = processWith(new PersonalDataKeys(keyStore, { current: master }));
    const cli = processWith(new PersonalDataKeys(keyStore, { current: master }));
    await api.events.appendToStream(
      securityInfoStream('alice'),
      [record('alice', added('m1', '+14255550100'))],
      {
        expectedRevision: 'no_stream',
      },
    );
    await api.events.appendToStream(securityInfoStream('bob'), [record('bob', added('m2', '+14255550111'))], {
      expectedRevision: 'no_stream',
    });
    // A second event of alice's after bob's: the rebuild folds it after the erasure, with her key still cached.
    await api.events.appendToStream(
      securityInfoStream('alice'),
      [record('alice', added('m3', '+14255550122'))],
      { expectedRevision: 0n },
    );
    await api.documents.ensureLive(securityInfoPageProjection.name, securityInfoPageProjection.version);

    let erased = false;
    await rebuildProjection({
      projection: securityInfoPageProjection,
      eventStore: cli.events,
      store: cli.documents,
      batchSize: 1,
      onProgress: () => {
        if (erased) return;
        erased = true;
        // The erasure as erasePersonalData does it: the key first, then the event that starts afresh.
        return void api.keys.destroy('alice').then(() =>
          api.events.appendToStream(
            securityInfoStream('alice'),
            [
              record('alice', {
                type: 'PersonalDataErased',
                data: { reason: 'asked', by: 'dpo', erasedAt: AT },
              }),
            ],
            { expectedRevision: 'any' },
          ),
        );
      },
    });
    expect(erased).toBe(true);

    const swapped = await liveDocumentsAsAnotherProcessReadsThem();
    expect(swapped).not.toContain('4255550100');
    expect(swapped).not.toContain('4255550122');
    expect(swapped).toContain('+14255550111');

    // The live runner (in the API) then folds the erasure: the person's page starts afresh, readable.
    const live = await api.documents.live(securityInfoPageProjection.name);
    const after: Parameters<typeof projectBatch>[3] = [];
    for await (const event of api.events.readAll({ fromPosition: live!.checkpoint + 1n })) after.push(event);
    await projectBatch(
      securityInfoPageProjection,
      api.documents,
      live!.generation,
      after,
      await events.headPosition(),
    );
    const { document } = await processWith(
      new PersonalDataKeys(keyStore, { current: master }),
    ).documents.readLive<{
      state: { methods: unknown[] };
    }>(securityInfoPageProjection.name, 'alice');
    expect(document?.body.state.methods).toEqual([]);
    const afterErasure = await liveDocumentsAsAnotherProcessReadsThem();
    expect(afterErasure).not.toContain('4255550100');
    expect(afterErasure).not.toContain('4255550122');
  });
});
