/**
 * Polls until `probe` returns something other than null/undefined, or fails after `timeoutMs` with the
 * description. For waiting on another process or a queue without guessing how long it takes.
 */
export async function eventually<T>(
  probe: () => Promise<T | null | undefined>,
  { timeoutMs = 10_000, what = 'the expected state' }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
