import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anEvent, collect, eventStoreContract } from '../event-store.contract';
import { WrongExpectedRevisionError } from '../event-store.port';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import { canonicalJson, chainLinkOf, GENESIS_HASH, hashEvent } from './event-hash';
import { HashChainingEventStore } from './hash-chaining-event-store';

function tempDatabase(): { filename: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-hash-chain-'));
  return { filename: join(dir, 'events.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

eventStoreContract('HashChainingEventStore over SqliteEventStore', async () => {
  const { filename, remove } = tempDatabase();
  const store = new HashChainingEventStore(new SqliteEventStore({ filename }));
  return {
    store,
    reopen: async () => new HashChainingEventStore(new SqliteEventStore({ filename })),
    cleanup: async () => {
      await store.close();
      remove();
    },
  };
});

describe('HashChainingEventStore', () => {
  let store: HashChainingEventStore;
  let filename: string;
  let remove: () => void;

  beforeEach(() => {
    ({ filename, remove } = tempDatabase());
    store = new HashChainingEventStore(new SqliteEventStore({ filename }));
  });

  afterEach(async () => {
    await store.close();
    remove();
  });

  /** Checks every link of a stream as `audit verify` does, and returns the links. */
  async function expectIntactChain(streamId: string): Promise<string[]> {
    const events = await collect(store.readStream(streamId));
    let previousHash = GENESIS_HASH;
    for (const event of events) {
      const link = chainLinkOf(event.metadata);
      expect(link).not.toBeNull();
      expect(link!.previousHash).toBe(previousHash);
      expect(link!.hash).toBe(hashEvent(event, previousHash));
      previousHash = link!.hash;
    }
    return events.map((event) => chainLinkOf(event.metadata)!.hash);
  }

  it('links each event to the previous one of its stream, across appends, from a genesis hash', async () => {
    await store.appendToStream('s-1', [anEvent('A', { n: 1 }, { actor: 'ada' }), anEvent('B')], {
      expectedRevision: 'no_stream',
    });
    await store.appendToStream('s-1', [anEvent('C', { n: 3 })], { expectedRevision: 1n });

    const hashes = await expectIntactChain('s-1');

    expect(hashes).toHaveLength(3);
    expect(new Set(hashes).size).toBe(3);
    const [first] = await collect(store.readStream('s-1'));
    expect(first.metadata).toMatchObject({
      actor: 'ada',
      chain: { previousHash: GENESIS_HASH, algorithm: 'sha256', version: 1 },
    });
  });

  it('hashes every field that matters: changing any one of them changes the hash', () => {
    const event = {
      streamId: 's-1',
      revision: 2n,
      id: 'e-1',
      type: 'A',
      data: { n: 1, nested: { b: 2, a: 1 } },
      metadata: { actor: { subject: 'ada' }, occurredAt: '2026-11-26T10:00:00.000Z' },
    };
    const hash = hashEvent(event, GENESIS_HASH);
    const variants = [
      { ...event, streamId: 's-2' },
      { ...event, revision: 3n },
      { ...event, id: 'e-2' },
      { ...event, type: 'B' },
      { ...event, data: { n: 2, nested: { b: 2, a: 1 } } },
      { ...event, metadata: { ...event.metadata, actor: { subject: 'bob' } } },
      { ...event, metadata: { ...event.metadata, occurredAt: '2026-11-26T10:00:01.000Z' } },
    ];

    for (const variant of variants) expect(hashEvent(variant, GENESIS_HASH)).not.toBe(hash);
    expect(hashEvent(event, 'f'.repeat(64))).not.toBe(hash);
    // Key order is not content; the link itself is not hashed.
    const reordered = { ...event, data: { nested: { a: 1, b: 2 }, n: 1 } };
    expect(hashEvent(reordered, GENESIS_HASH)).toBe(hash);
    expect(hashEvent({ ...event, metadata: { ...event.metadata, chain: 'x' } }, GENESIS_HASH)).toBe(hash);
  });

  it('writes the canonical form with sorted keys at every depth and no whitespace', () => {
    expect(canonicalJson({ b: [{ d: 1, c: null }], a: 'x', u: undefined })).toBe(
      '{"a":"x","b":[{"c":null,"d":1}]}',
    );
  });

  it("never forks a chain under concurrent 'any' and 'stream_exists' writers", async () => {
    await store.appendToStream('s-1', [anEvent('Created')], { expectedRevision: 'no_stream' });

    const results = await Promise.all(
      Array.from({ length: 30 }, (_, writer) =>
        store.appendToStream('s-1', [anEvent('Raced', { writer }), anEvent('Raced', { writer })], {
          expectedRevision: writer % 2 === 0 ? 'any' : 'stream_exists',
        }),
      ),
    );

    expect(new Set(results.map((result) => result.nextRevision)).size).toBe(30);
    expect(await expectIntactChain('s-1')).toHaveLength(61);
  });

  it('passes conflicts of exact expectations to the caller, with the actual revision', async () => {
    await store.appendToStream('s-1', [anEvent('Created'), anEvent('More')], {
      expectedRevision: 'no_stream',
    });

    const conflicts = await Promise.allSettled([
      store.appendToStream('s-1', [anEvent('Stale')], { expectedRevision: 0n }),
      store.appendToStream('s-1', [anEvent('Again')], { expectedRevision: 'no_stream' }),
    ]);

    for (const conflict of conflicts) {
      expect(conflict).toMatchObject({ status: 'rejected', reason: expect.any(WrongExpectedRevisionError) });
      expect((conflict as PromiseRejectedResult).reason).toMatchObject({ actual: 1n });
    }
    expect(await expectIntactChain('s-1')).toHaveLength(2);
  });

  it('stays one chain when another process writes the same stream behind its back', async () => {
    const other = new HashChainingEventStore(new SqliteEventStore({ filename }));
    try {
      await store.appendToStream('s-1', [anEvent('Mine')], { expectedRevision: 'no_stream' });
      await other.appendToStream('s-1', [anEvent('Theirs')], { expectedRevision: 'any' });
      // What this instance remembers of the stream is stale now: its guess must not fork the chain.
      await store.appendToStream('s-1', [anEvent('Mine')], { expectedRevision: 'any' });
      await other.appendToStream('s-1', [anEvent('Theirs')], { expectedRevision: 2n });
      await expect(
        store.appendToStream('s-1', [anEvent('Stale')], { expectedRevision: 2n }),
      ).rejects.toMatchObject({ expected: 2n, actual: 3n });
      await store.appendToStream('s-1', [anEvent('Mine')], { expectedRevision: 3n });

      expect(await expectIntactChain('s-1')).toHaveLength(5);
    } finally {
      await other.close();
    }
  });

  it('replaces a link the writer supplied with its own', async () => {
    const forged = anEvent(
      'A',
      {},
      { chain: { previousHash: 'x', hash: 'y', algorithm: 'sha256', version: 1 } },
    );

    await store.appendToStream('s-1', [forged], { expectedRevision: 'any' });

    await expectIntactChain('s-1');
  });
});
