import { StartupError } from '../startup-errors';
import { withTimeout } from './with-timeout';

/**
 * The start-up wait for a dependency (event store, read model, Redis): retries `ping` until it answers, each try
 * bounded by the time left, for at most `timeoutMs`; then throws what `unavailable` makes of the last error.
 * `giveUp` ends the wait at once for errors no retry can mend (a closed client).
 */
export async function waitUntilAnswering(
  ping: () => Promise<unknown>,
  options: { timeoutMs?: number; retryEveryMs?: number; giveUp?: (error: unknown) => boolean },
  unavailable: (error: unknown, timeoutMs: number) => Error,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryEveryMs = options.retryEveryMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withTimeout(ping(), Math.max(deadline - Date.now(), retryEveryMs));
      return;
    } catch (error) {
      if (options.giveUp?.(error) || Date.now() + retryEveryMs > deadline)
        throw unavailable(error, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, retryEveryMs));
    }
  }
}

/** Something a process cannot start without, and how to wait for it. */
export interface Dependency {
  /** What it is, as the message starts: "The event store". */
  name: string;
  /** The variable that selects it and where that points, without passwords: "EVENTSTORE_URL: esdb://…". */
  configuredBy: string;
  /** Waits for it, retrying, for at most `timeoutMs`; rejects saying why it is not there. */
  waitFor(timeoutMs: number): Promise<void>;
}

/**
 * Start-up: waits for every dependency together, for at most `timeoutMs`, and stops start-up with a
 * StartupError naming the first one that did not answer and the variable that points at it.
 */
export async function waitForDependencies(dependencies: Dependency[], timeoutMs: number): Promise<void> {
  await Promise.all(
    dependencies.map((dependency) =>
      // However a client behaves, the wait ends: a margin past the retry loop's own deadline.
      withTimeout(
        dependency.waitFor(timeoutMs),
        timeoutMs + 1000,
        `${dependency.name} is unreachable after ${timeoutMs} ms`,
      ).catch((error: unknown) => {
        throw new StartupError(`${(error as Error).message} [${dependency.configuredBy}]`, { cause: error });
      }),
    ),
  );
}
