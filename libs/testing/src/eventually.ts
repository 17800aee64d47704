export interface EventuallyOptions {
  /** How long to keep trying before failing; 5 s unless told (a unit test's own timeout is 5 s). */
  timeoutMs?: number;
  /** The pause between two attempts; 10 ms unless told. */
  intervalMs?: number;
  /** What is waited for, as the failure names it: "the projection to catch up". */
  description?: string;
}

/**
 * Retries `probe` until it passes: for an effect that happens asynchronously (a subscription catching up,
 * another process writing a file, a queue draining), never for a time rule — move a test clock for those.
 *
 * `probe` passes when it neither throws nor returns `false`, and `eventually` resolves to what it returned:
 * - an assertion: `await eventually(() => expect(received).toHaveLength(3))`;
 * - a predicate: `await eventually(async () => (await status()).state === 'caughtUp')`;
 * - a value not there yet: `const line = await eventually(() => lines().find(isMine) ?? false)`.
 *
 * On timeout it throws an error naming `description` with the last attempt's error (its `cause`), or saying
 * that the last attempt returned false.
 */
export async function eventually<T>(
  probe: () => T | false | Promise<T | false>,
  { timeoutMs = 5000, intervalMs = 10, description = 'the expected state' }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const value = await probe();
      if (value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const last =
        lastError === undefined
          ? 'the last attempt returned false'
          : `the last attempt failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}; ${last}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
