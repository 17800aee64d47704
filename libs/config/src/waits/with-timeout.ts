/**
 * Rejects when `promise` has not settled within `ms` (with an Error saying `failure`, or the error `failure`
 * makes); clears its timer either way.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  failure: string | (() => Error) = `no answer within ${ms} ms`,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(typeof failure === 'string' ? new Error(failure) : failure()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
