import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@signet/config';
import { RedisUnavailableError } from '@signet/messaging';
import { WorkerModule } from './worker.module';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1),
  });
  // On SIGTERM/SIGINT: take no new job, finish the ones in flight, record their outcomes, exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      new Logger('Worker').log(`${signal}: finishing in-flight jobs`);
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
  // createApplicationContext has initialised the module: the dispatcher and the worker are running.
}

main().catch((error: unknown) => {
  // No Redis to be had: say what to do, without a stack trace.
  console.error(error instanceof RedisUnavailableError ? error.message : error);
  process.exit(1);
});
