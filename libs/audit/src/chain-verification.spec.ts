import Database from 'better-sqlite3';
import { HashChainingEventStore, SqliteEventStore, type EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChains } from './chain-verification';

/** Tampering as someone with write access to the file would do it, behind the store's back. */
describe('verifyChains', () => {
  let dir: string;
  let filename: string;
  let store: EventStore;
  let raw: Database.Database;

  const event = (type: string, data: Record<string, unknown> = {}) => {
    const id = randomUUID();
    return { id, type, data, metadata: { eventId: id, occurredAt: new Date().toISOString() } };
  };
  const tamper = (sql: string, ...params: unknown[]) => raw.prepare(sql).run(...params);
  const positionOf = (streamId: string, revision: number): bigint =>
    (
      raw
        .prepare('SELECT position FROM events WHERE stream_id = ? AND revision = ?')
        .get(streamId, revision) as { position: bigint }
    ).position;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-verify-'));
    filename = join(dir, 'events.sqlite');
    store = new HashChainingEventStore(new SqliteEventStore({ filename }));
    // Two users, interleaved in the log, as in real life.
    for (let n = 0; n < 4; n++) {
      for (const user of ['alice', 'bob']) {
        await store.appendToStream(`securityInfo-${user}`, [event('Step', { n, user })], {
          expectedRevision: 'any',
        });
      }
    }
    raw = new Database(filename);
    raw.defaultSafeIntegers(true);
  });

  afterEach(async () => {
    raw.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds every chain intact when nothing was touched, for everyone and for one user', async () => {
    expect(await verifyChains(store, {})).toMatchObject({ streams: 2, events: 8, broken: null });
    const bob = await verifyChains(store, { userId: 'bob' });
    expect(bob).toMatchObject({ streams: 1, events: 4, broken: null });
    expect(bob.heads).toEqual([{ streamId: 'securityInfo-bob', revision: '3', hash: expect.any(String) }]);
  });

  it('catches an altered event: its content no longer hashes to its hash', async () => {
    tamper(
      `UPDATE events SET data = json_set(data, '$.n', 99) WHERE stream_id = 'securityInfo-alice' AND revision = 2`,
    );

    for (const scope of [{}, { userId: 'alice' }]) {
      const { broken } = await verifyChains(store, scope);
      expect(broken).toMatchObject({ kind: 'altered', streamId: 'securityInfo-alice', revision: '2' });
      expect(broken!.expected).not.toBe(broken!.actual);
    }
    expect((await verifyChains(store, { userId: 'bob' })).broken).toBeNull();
  });

  it('catches altered metadata (who did it, from where)', async () => {
    tamper(
      `UPDATE events SET metadata = json_set(metadata, '$.occurredAt', '2020-01-01T00:00:00.000Z')
       WHERE stream_id = 'securityInfo-bob' AND revision = 0`,
    );

    expect((await verifyChains(store, {})).broken).toMatchObject({ kind: 'altered', revision: '0' });
  });

  it('catches an event removed from the middle, and one removed from the start', async () => {
    tamper(`DELETE FROM events WHERE stream_id = 'securityInfo-alice' AND revision = 1`);
    expect((await verifyChains(store, {})).broken).toMatchObject({
      kind: 'missing-events',
      streamId: 'securityInfo-alice',
      revision: '2',
      expected: 'revision 1',
      actual: 'revision 2',
    });

    tamper(`DELETE FROM events WHERE stream_id = 'securityInfo-bob' AND revision = 0`);
    expect((await verifyChains(store, { userId: 'bob' })).broken).toMatchObject({
      kind: 'missing-events',
      revision: '1',
    });
  });

  it('catches a removed event whose successors were renumbered: the link to it is gone', async () => {
    tamper(`DELETE FROM events WHERE stream_id = 'securityInfo-alice' AND revision = 1`);
    tamper(
      `UPDATE events SET revision = revision - 1 WHERE stream_id = 'securityInfo-alice' AND revision > 1`,
    );

    expect((await verifyChains(store, { userId: 'alice' })).broken).toMatchObject({
      kind: 'broken-link',
      revision: '1',
    });
  });

  it('catches the last events removed, against a checkpoint of the heads', async () => {
    const { heads: checkpoint } = await verifyChains(store, {});
    tamper(`DELETE FROM events WHERE stream_id = 'securityInfo-bob' AND revision = 3`);

    // Inside the store alone, a shorter chain is still a chain.
    expect((await verifyChains(store, {})).broken).toBeNull();
    for (const scope of [{ checkpoint }, { checkpoint, userId: 'bob' }]) {
      expect((await verifyChains(store, scope)).broken).toMatchObject({
        kind: 'truncated',
        streamId: 'securityInfo-bob',
        revision: '3',
        actual: 'last revision 2',
      });
    }
    expect((await verifyChains(store, { checkpoint, userId: 'alice' })).broken).toBeNull();
  });

  it('catches a stream rewritten with a chain of its own, against a checkpoint', async () => {
    const { heads: checkpoint } = await verifyChains(store, {});
    tamper(`DELETE FROM events WHERE stream_id = 'securityInfo-alice'`);
    for (let n = 0; n < 4; n++) {
      await store.appendToStream('securityInfo-alice', [event('Step', { n, user: 'forged' })], {
        expectedRevision: 'any',
      });
    }

    expect((await verifyChains(store, {})).broken).toBeNull();
    expect((await verifyChains(store, { checkpoint })).broken).toMatchObject({
      kind: 'rewritten',
      streamId: 'securityInfo-alice',
      revision: '3',
    });
  });

  it('catches reordered events, whether positions or revisions were swapped', async () => {
    const [first, second] = [positionOf('securityInfo-alice', 1), positionOf('securityInfo-alice', 2)];
    const swapPositions = raw.transaction(() => {
      tamper('UPDATE events SET position = -1 WHERE position = ?', first);
      tamper('UPDATE events SET position = ? WHERE position = ?', first, second);
      tamper('UPDATE events SET position = ? WHERE position = -1', second);
    });
    swapPositions();

    expect((await verifyChains(store, {})).broken).toMatchObject({ kind: 'out-of-order', revision: '2' });
    expect((await verifyChains(store, { userId: 'alice' })).broken).toMatchObject({ kind: 'out-of-order' });

    swapPositions(); // back as it was
    expect((await verifyChains(store, {})).broken).toBeNull();
    const swapRevisions = raw.transaction(() => {
      tamper('UPDATE events SET revision = -1 WHERE position = ?', first);
      tamper('UPDATE events SET revision = 1 WHERE position = ?', second);
      tamper('UPDATE events SET revision = 2 WHERE position = -1 OR revision = -1');
    });
    swapRevisions();

    // A person's streams are read in log order too: the same report as the whole log's.
    const outOfOrder = {
      kind: 'out-of-order',
      revision: '2',
      actual: expect.stringContaining('before revision 1'),
    };
    expect((await verifyChains(store, { userId: 'alice' })).broken).toMatchObject(outOfOrder);
    expect((await verifyChains(store, {})).broken).toMatchObject(outOfOrder);
  });

  it('reports an event written around the chain as having no link', async () => {
    const inner = new SqliteEventStore({ filename });
    await inner.appendToStream('securityInfo-alice', [event('Unchained')], { expectedRevision: 3n });
    await inner.close();

    expect((await verifyChains(store, {})).broken).toMatchObject({ kind: 'missing-link', revision: '4' });
  });
});
