import type { IdempotencyClaim, IdempotencyStore, StoredResponse } from '@signet/idempotency';
import type { PersonalDataKeys } from './personal-data-keys';
import { isSealed, open, seal } from './sealing';

/**
 * Stored answers sealed under the key of the person they are about: an answer holds the page, numbers and
 * all. The scope is `<subject> <method> <path>`; a path under `/v1/users/<id>/` is about that user, any other
 * about the caller. Once the person's key is destroyed their stored answers are unreadable, and a retry with
 * such a key is refused as a key already used (422 `idempotency-key-reused`), never run a second time.
 */
export class PersonalDataSealingIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly inner: IdempotencyStore,
    private readonly keys: PersonalDataKeys,
  ) {}

  async claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    const claim = await this.inner.claim(scope, key, fingerprint);
    if (claim.outcome !== 'completed') return claim;
    const sealed = (claim.response.body as { sealed?: unknown } | null)?.sealed;
    if (!isSealed(sealed)) return claim;
    const dataKey = await this.keys.forReading(sealed.kid);
    if (!dataKey) return { outcome: 'mismatch' };
    return { outcome: 'completed', response: open<StoredResponse>(sealed, dataKey.key) };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    const { kid, key: dataKey } = await this.keys.forWriting(personOfScope(scope));
    // Status and headers stay in the clear (no personal data in them); the body holds the page.
    await this.inner.complete(scope, key, {
      status: response.status,
      headers: {},
      body: { sealed: seal(response, dataKey, kid) },
    });
  }

  release(scope: string, key: string): Promise<void> {
    return this.inner.release(scope, key);
  }

  ping(options?: { write?: boolean }): Promise<void> {
    return this.inner.ping(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Whose answer a scope holds: the user of a `/v1/users/<id>/…` path, else the caller. */
export function personOfScope(scope: string): string {
  const [subject, , path = ''] = scope.split(' ');
  const user = /^\/v1\/users\/([^/]+)/.exec(path);
  return user ? decodeURIComponent(user[1]) : subject;
}
