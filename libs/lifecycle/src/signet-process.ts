import { Logger, type LogLevel } from '@nestjs/common';
import { ConfigError, loadConfig, StartupError, withTimeout, type SignetConfig } from '@signet/config';
import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full collection, in percent. Its own
 * default, under a steady stream of requests, lets the heap reach about four times the live set: the API sat
 * at 300+ MB resident at saturation. At 25 % it stays near its live set (150–190 MB before personal data was
 * sealed, 190 MB since: docs/benchmarks.md) for ≈2 % more CPU spent collecting. Not a ceiling: a larger live
 * set still fits.
 */
export const HEAP_GROWING_PERCENT = 25;

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The Nest log levels to enable for the configured LOG_LEVEL. */
export function logLevelsFor(level: SignetConfig['logLevel']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

export interface Running {
  /** Stop taking work, finish what is in flight, release resources. */
  close(): Promise<void>;
}

/** What a running process may do about itself. */
export interface ProcessControl {
  /**
   * Something it cannot run without is gone for good (its private Redis will not come back): close as on a
   * signal, then exit 1 so that a supervisor restarts it.
   */
  fail(error: Error): void;
}

export interface SignetProcessOptions {
  /** How long close() may take before the process gives up and exits 1; SHUTDOWN_TIMEOUT_MS unless told. */
  closeDeadlineMs?: (config: SignetConfig) => number;
}

/**
 * The life of every Signet process: validate the configuration (exit 2 naming every bad variable), start,
 * and on SIGTERM/SIGINT close gracefully and exit 0. A failure to start exits 1; so does a close that fails or
 * outlasts its deadline (SHUTDOWN_TIMEOUT_MS), so a stuck dependency never holds a shutdown for minutes.
 */
export function runSignetProcess(
  name: string,
  start: (config: SignetConfig, control: ProcessControl) => Promise<Running>,
  options: SignetProcessOptions = {},
): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const logger = new Logger(name);
  let config: SignetConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  let stopping = false;
  const stop = (exitCode: 0 | 1) => {
    if (stopping) return;
    stopping = true;
    const deadlineMs = options.closeDeadlineMs?.(config) ?? config.shutdownTimeoutMs;
    withTimeout(
      started.then((running) => running.close()),
      deadlineMs,
      `${name} did not close within ${deadlineMs} ms (SHUTDOWN_TIMEOUT_MS); exiting anyway`,
    ).then(
      () => process.exit(exitCode),
      (error: unknown) => {
        console.error(
          error instanceof Error && /SHUTDOWN_TIMEOUT_MS/.test(error.message) ? error.message : error,
        );
        process.exit(1);
      },
    );
  };
  const control: ProcessControl = {
    fail: (error) => {
      logger.error(`${error.message}: stopping (exit 1) so that a supervisor restarts the process`);
      stop(1);
    },
  };
  const started = start(config, control);
  started.catch((error: unknown) => {
    console.error(error instanceof StartupError ? error.message : error);
    process.exit(1);
  });
  // Handlers go in before start resolves: a process announces it is ready from inside start, and a signal
  // sent on that announcement must still close gracefully rather than meet Node's default (death by signal).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: shutting down`);
      stop(0);
    });
  }
}
