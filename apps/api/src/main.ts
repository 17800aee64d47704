import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@signet/config';
import { createApp, warnAboutGeneratedSecrets } from './bootstrap';

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
  const app = await createApp(config);
  warnAboutGeneratedSecrets(config);
  // On SIGTERM/SIGINT: stop taking requests, finish those in flight, close the stores, exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      new Logger('Signet').log(`${signal}: shutting down`);
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
  await app.listen(config.port, config.host);
  new Logger('Signet').log(
    `Security info API on ${await app.getUrl()} (OpenAPI at /openapi.json, docs at /docs)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
