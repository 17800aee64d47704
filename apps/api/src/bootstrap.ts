import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { SignetConfig } from '@signet/config';
import { nestLoggerFor, pinoFor } from '@signet/lifecycle';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { SIGNET_CONFIG } from './core/core.module';
import { applyBodyLimits, applyEdgeHeaders } from './edge/http-edge';
import { requestLog } from './edge/request-log';
import { createOpenApiDocument } from './openapi/openapi-document';
import { requestValidationPipe } from './problem/validation';
import { httpMetrics } from './metrics/metrics.module';
import { originOf } from './request-context';
import { RateLimits } from './throttle/rate-limits';
import { servePage } from './web-page/web-page';

/** Applies to a Nest app everything that is not a module concern: validation, origin headers, OpenAPI. */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  const config = app.get<SignetConfig>(SIGNET_CONFIG);
  // Client address (TRUSTED_PROXIES), security headers, Cache-Control on /v1, CORS (CORS_ORIGINS).
  applyEdgeHeaders(app, config.http);
  express.use(httpMetrics);
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
  // One JSON line per request (LOG_FORMAT), with correlationId, requestId, userId and route.
  express.use(requestLog(pinoFor(config)));
  // Per-address limits (RATE_LIMIT_*), before any body is read.
  express.use(app.get(RateLimits).addressMiddleware());
  // The Security info page (apps/web, built into dist/web) with its own headers; `/` leads to it.
  servePage(app, config);
  // Bodies: MAX_BODY_BYTES, UTF-8 JSON (or forms), bounded nesting; every refusal a problem+json 4xx.
  applyBodyLimits(app, config.http);
  app.useGlobalPipes(requestValidationPipe());

  SwaggerModule.setup('docs', app, createOpenApiDocument(app), { jsonDocumentUrl: 'openapi.json' });
}

export async function createApp(config: SignetConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    // Kept beside the parsed body for signatures over the exact bytes (delivery-report webhooks).
    rawBody: true,
    logger: nestLoggerFor(config),
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
