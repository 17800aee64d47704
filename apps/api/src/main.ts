import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { runSignetProcess } from '@signet/lifecycle';
import { createApp, warnAboutGeneratedSecrets } from './bootstrap';

runSignetProcess('Signet', async (config) => {
  const app = await createApp(config);
  warnAboutGeneratedSecrets(config);
  await app.listen(config.port, config.host);
  new Logger('Signet').log(
    `Security info API on ${await app.getUrl()} (OpenAPI at /openapi.json, docs at /docs)`,
  );
  // close(): stop taking requests, finish those in flight, stop the projections, close the stores.
  return app;
});
