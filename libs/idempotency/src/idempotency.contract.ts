/**
 * The behaviour every IdempotencyStore adapter must have, as a jest suite an adapter's spec runs:
 *
 *   idempotencyContract('SqliteIdempotencyStore', async (options) => ({ store, sibling, cleanup }));
 *
 * The suite owns the clock (`options.now`) and moves it by hand, so leases and retention are reached without
 * waiting. Test code only (uses jest globals): never export it from index.ts.
 */
import { randomUUID } from 'node:crypto';
import type { IdempotencyStore, StoredResponse } from './idempotency.port';

export interface IdempotencyStoreOptionsUnderTest {
  retentionMs: number;
  inFlightLeaseMs: number;
  /** Milliseconds since the epoch; the suite moves it. */
  now: () => number;
}

export interface IdempotencyStoreUnderTest {
  store: IdempotencyStore;
  /** Opens another store on the same data, as a second API instance would (same options). */
  sibling: () => Promise<IdempotencyStore>;
  /** Closes every store it opened (closing twice must be harmless) and removes the data. */
  cleanup: () => Promise<void>;
}

const RETENTION_MS = 24 * 3_600_000;
const LEASE_MS = 60_000;

export function idempotencyContract(
  name: string,
  open: (options: IdempotencyStoreOptionsUnderTest) => Promise<IdempotencyStoreUnderTest>,
): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let subject: IdempotencyStoreUnderTest;
    let store: IdempotencyStore;
    let time: number;
    let scope: string;
    const advance = (ms: number) => {
      time += ms;
    };

    beforeEach(async () => {
      time = Date.parse('2026-11-26T10:00:00.000Z');
      subject = await open({ retentionMs: RETENTION_MS, inFlightLeaseMs: LEASE_MS, now: () => time });
      store = subject.store;
      // A scope of its own per test, so an adapter may share one database between tests.
      scope = `user-${randomUUID()} POST /v1/me/security-info/phone-methods`;
    });

    afterEach(() => subject.cleanup());

    const created: StoredResponse = {
      status: 201,
      headers: { location: '/v1/me/security-info/methods/m-1', etag: '"3"' },
      body: {
        methodId: 'm-1',
        code: { codeId: 'c-1', expiresAt: '2026-11-26T10:10:00.000Z' },
        position: '42',
        tags: ['sms', null, 0, false],
        'dotted.name': 1,
        $dollar: 'kept as given',
      },
    };

    it('claims a key seen for the first time', async () => {
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'claimed' });
    });

    it('answers inFlight to the same request while the first is unfinished', async () => {
      await store.claim(scope, 'k1', 'f1');
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'inFlight' });
    });

    it('replays the stored answer, status, headers and body exactly, once completed', async () => {
      await store.claim(scope, 'k1', 'f1');
      await store.complete(scope, 'k1', created);
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'completed', response: created });
    });

    it('replays a refusal and a body that is not an object as well', async () => {
      const refusal: StoredResponse = {
        status: 409,
        headers: {},
        body: { type: 'about:blank', status: 409, code: 'phone-type-taken' },
      };
      await store.claim(scope, 'k1', 'f1');
      await store.complete(scope, 'k1', refusal);
      await store.claim(scope, 'k2', 'f2');
      await store.complete(scope, 'k2', { status: 200, headers: {}, body: 'plain' });
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'completed', response: refusal });
      expect(await store.claim(scope, 'k2', 'f2')).toEqual({
        outcome: 'completed',
        response: { status: 200, headers: {}, body: 'plain' },
      });
    });

    it('answers mismatch to a different request with a used key, unfinished or completed', async () => {
      await store.claim(scope, 'k1', 'f1');
      expect(await store.claim(scope, 'k1', 'other')).toEqual({ outcome: 'mismatch' });
      await store.complete(scope, 'k1', created);
      expect(await store.claim(scope, 'k1', 'other')).toEqual({ outcome: 'mismatch' });
    });

    it('lets a retry claim again after release, even with another request', async () => {
      await store.claim(scope, 'k1', 'f1');
      await store.release(scope, 'k1');
      expect(await store.claim(scope, 'k1', 'f2')).toEqual({ outcome: 'claimed' });
    });

    it('keeps a completed answer when released', async () => {
      await store.claim(scope, 'k1', 'f1');
      await store.complete(scope, 'k1', created);
      await store.release(scope, 'k1');
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'completed', response: created });
    });

    it('keeps scopes apart: the same key in another scope is a new claim', async () => {
      const otherScope = `user-${randomUUID()} POST /v1/me/security-info/phone-methods`;
      await store.claim(scope, 'k1', 'f1');
      await store.complete(scope, 'k1', created);
      expect(await store.claim(otherScope, 'k1', 'f2')).toEqual({ outcome: 'claimed' });
      await store.release(otherScope, 'k1');
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'completed', response: created });
    });

    it('lets a retry run again once an unfinished claim outlives the in-flight lease', async () => {
      await store.claim(scope, 'k1', 'f1');
      advance(LEASE_MS - 1);
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'inFlight' });
      advance(2);
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'claimed' });
      // The new claim holds a lease of its own.
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'inFlight' });
    });

    it('keeps replaying a completed answer past the in-flight lease, until retention ends', async () => {
      await store.claim(scope, 'k1', 'f1');
      await store.complete(scope, 'k1', created);
      advance(RETENTION_MS - 1);
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'completed', response: created });
      expect(await store.claim(scope, 'k1', 'other')).toEqual({ outcome: 'mismatch' });
    });

    it('replaces an entry older than retention with a new claim, for any request', async () => {
      await store.claim(scope, 'k1', 'f1');
      await store.complete(scope, 'k1', created);
      advance(RETENTION_MS + 1);
      expect(await store.claim(scope, 'k1', 'f2')).toEqual({ outcome: 'claimed' });
      expect(await store.claim(scope, 'k1', 'f2')).toEqual({ outcome: 'inFlight' });
      expect(await store.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'mismatch' });
    });

    it('gives exactly one of two concurrent claims of a key', async () => {
      const claims = await Promise.all([store.claim(scope, 'k1', 'f1'), store.claim(scope, 'k1', 'f1')]);
      expect(claims.map((c) => c.outcome).sort()).toEqual(['claimed', 'inFlight']);
    });

    it('shares keys between two stores on the same data (two instances)', async () => {
      const other = await subject.sibling();
      await store.claim(scope, 'k1', 'f1');
      expect(await other.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'inFlight' });
      await store.complete(scope, 'k1', created);
      expect(await other.claim(scope, 'k1', 'f1')).toEqual({ outcome: 'completed', response: created });
      expect(await other.claim(scope, 'k1', 'f2')).toEqual({ outcome: 'mismatch' });
    });

    it('gives exactly one of two instances a stale claim they both take over at once', async () => {
      const other = await subject.sibling();
      // Both instances warmed up (connected, set up), so that their claims below really overlap.
      await other.claim(scope, 'warm-up', 'f0');
      for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) {
        await store.claim(scope, key, 'f1');
        advance(LEASE_MS + 1);
        const claims = await Promise.all(
          [store, other, store, other, store, other].map((instance) => instance.claim(scope, key, 'f1')),
        );
        expect(claims.filter((c) => c.outcome === 'claimed')).toHaveLength(1);
        expect(claims.filter((c) => c.outcome === 'inFlight')).toHaveLength(5);
      }
    });

    it('fails ping once closed', async () => {
      await store.ping();
      await store.close();
      await expect(store.ping()).rejects.toThrow();
    });
  });
}
