import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { withTimeout } from '@signet/config';
import { runSignetProcess } from '@signet/lifecycle';
import { createApp, warnAboutGeneratedSecrets } from './bootstrap';
import { waitForStores } from './core/startup-checks';

runSignetProcess('Signet', async (config) => {
  const app = await createApp(config);
  warnAboutGeneratedSecrets(config);
  // An unreachable store stops start-up here, named, before any request or projection runs.
  try {
    await waitForStores(app, config);
  } catch (error) {
    // Release what was opened, but never hang on a store that is not there.
    await withTimeout(app.close(), 2000).catch(() => undefined);
    throw error;
  }
  await app.listen(config.port, config.host);
  new Logger('Signet').log(
    `Security info API on ${await app.getUrl()} (OpenAPI at /openapi.json, docs at /docs)`,
  );
  // close(): stop taking requests, finish those in flight, stop the projections, close the stores.
  return app;
});
