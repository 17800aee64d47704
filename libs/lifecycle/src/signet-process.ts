import { Logger, type LogLevel } from '@nestjs/common';
import { ConfigError, loadConfig, StartupError, type SignetConfig } from '@signet/config';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The Nest log levels to enable for the configured LOG_LEVEL. */
export function logLevelsFor(level: SignetConfig['logLevel']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

export interface Running {
  /** Stop taking work, finish what is in flight, release resources. */
  close(): Promise<void>;
}

/**
 * The life of every Signet process: validate the configuration (exit 2 naming every bad variable), start,
 * and on SIGTERM/SIGINT close gracefully and exit 0. A failure to start exits 1.
 */
export function runSignetProcess(name: string, start: (config: SignetConfig) => Promise<Running>): void {
  const logger = new Logger(name);
  let config: SignetConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const started = start(config);
  started.catch((error: unknown) => {
    console.error(error instanceof StartupError ? error.message : error);
    process.exit(1);
  });
  // Handlers go in before start resolves: a process announces it is ready from inside start, and a signal
  // sent on that announcement must still close gracefully rather than meet Node's default (death by signal).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: shutting down`);
      started
        .then((running) => running.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(error);
            process.exit(1);
          },
        );
    });
  }
}
