import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { logLevelsFor, runSignetProcess } from '@signet/lifecycle';
import { WorkerModule } from './worker.module';

runSignetProcess('Worker', async (config, control) => {
  // Once created, the module is initialised: the dispatcher and the worker are running.
  // close(): take no new job, finish the ones in flight, record their outcomes.
  return NestFactory.createApplicationContext(WorkerModule.forRoot(config, control), {
    logger: logLevelsFor(config.logLevel),
    // A failed start-up reaches runSignetProcess, which names the cause and exits 1 (not Nest's own exit).
    abortOnError: false,
  });
});
