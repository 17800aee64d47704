/**
 * Remembers the first answer given to a request carrying an `Idempotency-Key`, so a client retrying after a
 * timeout gets that same answer and nothing is recorded twice.
 */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export type IdempotencyClaim =
  /** First time this key is seen: go ahead, then `complete` (or `release` on a crash-like failure). */
  | { outcome: 'claimed' }
  /** Seen before with the same request: replay this. */
  | { outcome: 'completed'; response: StoredResponse }
  /** Another request with this key is being handled right now. */
  | { outcome: 'inFlight' }
  /** The key was used before for a different request. */
  | { outcome: 'mismatch' };

export interface IdempotencyStore {
  /**
   * @param scope who and what the key belongs to (subject + method + route): keys are per caller.
   * @param fingerprint a hash of the request body, to tell a retry from a misuse of the key.
   */
  claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Forget an unfinished claim so that a retry may run again (nothing was recorded). */
  release(scope: string, key: string): Promise<void>;
  /** Whether it answers; with `write`, whether it can still make a write durable (readiness). */
  ping(options?: { write?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export const IDEMPOTENCY_STORE = Symbol('IdempotencyStore');
