import { waitUntilAnswering } from '@signet/config';
import { EventStoreClosedError, EventStoreUnavailableError } from './event-store.errors';
import type { EventStore } from './event-store.port';

/**
 * Waits until `store.ping()` succeeds, retrying for at most `timeoutMs` (default 10 s). Works on any adapter
 * and through decorators: call it at start-up on what `openEventStore` returns, and exit if it throws.
 */
export async function waitForEventStore(
  store: Pick<EventStore, 'ping'>,
  options: { timeoutMs?: number; retryEveryMs?: number } = {},
): Promise<void> {
  await waitUntilAnswering(
    () => store.ping(),
    { ...options, giveUp: (error) => error instanceof EventStoreClosedError },
    (error, timeoutMs) =>
      new EventStoreUnavailableError(
        `The event store is unreachable after ${timeoutMs} ms: ${describe(error)}`,
        {
          cause: error,
        },
      ),
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
