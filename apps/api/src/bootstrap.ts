import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { SignetConfig } from '@signet/config';
import { logLevelsFor } from '@signet/lifecycle';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { createOpenApiDocument } from './openapi/openapi-document';
import { requestValidationPipe } from './problem/validation';
import { originOf } from './request-context';

/** Applies to a Nest app everything that is not a module concern: validation, origin headers, OpenAPI. */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  // Behind a load balancer the client address comes from X-Forwarded-For; trust one hop.
  express.set('trust proxy', 'loopback, linklocal, uniquelocal');
  express.disable('x-powered-by');
  // ETag here means the Security info revision (If-Match takes it back); Express's own weak body-hash ETags
  // would put a value no command accepts on refusals and on the other routes.
  express.set('etag', false);
  express.use(
    (request: Request & { origin?: ReturnType<typeof originOf> }, response: Response, next: NextFunction) => {
      request.origin = originOf(request);
      response.setHeader('X-Correlation-Id', request.origin.correlationId);
      response.setHeader('X-Request-Id', request.origin.requestId);
      next();
    },
  );
  app.useGlobalPipes(requestValidationPipe());

  SwaggerModule.setup('docs', app, createOpenApiDocument(app), { jsonDocumentUrl: 'openapi.json' });
}

export async function createApp(config: SignetConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    // Kept beside the parsed body for signatures over the exact bytes (delivery-report webhooks).
    rawBody: true,
    logger: logLevelsFor(config.logLevel),
  });
  configureApp(app);
  return app;
}

export function warnAboutGeneratedSecrets(config: SignetConfig): void {
  if (config.generatedSecrets.length === 0) return;
  new Logger('Config').warn(
    `Using ${config.generatedSecrets.join(' and ')} generated in ${config.dataDir} (the embedded default). ` +
      'Set them explicitly in production.',
  );
}
