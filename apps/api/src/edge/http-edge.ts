import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HttpEdgeConfig } from '@signet/config';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { problem } from '../problem/problem';

/** Deepest JSON (or form) nesting a request body may have: Signet's own bodies are two levels deep. */
export const MAX_BODY_DEPTH = 32;

/** Headers a browser front end needs to read from Signet's answers. */
const EXPOSED_HEADERS = [
  'ETag',
  'Location',
  'Retry-After',
  'X-Read-Model-Position',
  'X-Read-Model-Stale',
  'X-Correlation-Id',
  'X-Request-Id',
  'Idempotent-Replayed',
  // The step-up challenge (RFC 9470) a browser page must read to sign the person in again.
  'WWW-Authenticate',
  'RateLimit',
  'RateLimit-Policy',
];
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'Idempotency-Key',
  'X-Correlation-Id',
  'X-Request-Id',
  'X-Reason',
];

/** Sends a problem from plain Express middleware (before Nest's exception filter can see the request). */
export function sendProblem(
  response: Response,
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) return;
  response
    .status(status)
    .set(headers)
    .type('application/problem+json')
    .send(JSON.stringify(problem(status, code, detail)));
}

/**
 * Who the client is (X-Forwarded-For only from TRUSTED_PROXIES), the security headers every answer carries,
 * `Cache-Control: no-store` on /v1, and CORS for CORS_ORIGINS only. Applied before any route.
 */
export function applyEdgeHeaders(app: INestApplication, config: HttpEdgeConfig): void {
  const express = app as NestExpressApplication;
  // Default: no proxy is trusted, so the client address is the socket's and X-Forwarded-For is ignored.
  express.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false);
  express.disable('x-powered-by');
  express.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        // The API answers JSON; only the /docs viewer loads anything, and only from here.
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'", 'https:'],
          imgSrc: ["'self'", 'data:', 'https:'],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: config.corsOrigins.length > 0 ? { policy: 'cross-origin' } : undefined,
    }),
  );
  express.use('/v1', (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Cache-Control', 'no-store');
    next();
  });
  if (config.corsOrigins.length > 0) {
    express.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  }
}

/** What body-parser's errors become: a short problem, never a stack. */
const BODY_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  'entity.too.large': { status: 413, code: 'body-too-large', detail: 'The request body is too large.' },
  'encoding.unsupported': {
    status: 415,
    code: 'unsupported-content-encoding',
    detail: 'Content-Encoding must be identity, gzip, deflate or br.',
  },
  'charset.unsupported': {
    status: 415,
    code: 'unsupported-charset',
    detail: 'The request body must be UTF-8.',
  },
  'entity.parse.failed': {
    status: 400,
    code: 'malformed-body',
    detail: 'The request body is not valid JSON.',
  },
  'entity.verify.failed': {
    status: 400,
    code: 'malformed-body',
    detail: 'The request body could not be read.',
  },
  'request.size.invalid': {
    status: 400,
    code: 'malformed-body',
    detail: 'The request body does not match its Content-Length.',
  },
  'request.aborted': { status: 400, code: 'malformed-body', detail: 'The request body was cut short.' },
  'parameters.too.many': { status: 413, code: 'body-too-large', detail: 'Too many form parameters.' },
};

const BODY_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded'];

/**
 * Request bodies: JSON (and forms, for provider webhooks) up to MAX_BODY_BYTES after decompression, UTF-8,
 * nested at most MAX_BODY_DEPTH deep; any other body is 415. Every refusal is a problem+json 4xx.
 */
export function applyBodyLimits(app: INestApplication, config: HttpEdgeConfig): void {
  const express = app as NestExpressApplication;
  const limit = config.maxBodyBytes;
  express.use((request: Request, response: Response, next: NextFunction) => {
    if (!hasBody(request) || request.is(BODY_TYPES)) return next();
    sendProblem(
      response,
      415,
      'unsupported-media-type',
      'Send the request body as application/json (Content-Type: application/json).',
    );
  });
  express.useBodyParser('json', { limit, strict: true, inflate: true });
  express.useBodyParser('urlencoded', { limit, extended: true, parameterLimit: 100, depth: 5 });
  express.use((request: Request, response: Response, next: NextFunction) => {
    if (depthOf(request.body as unknown) > MAX_BODY_DEPTH) {
      return sendProblem(
        response,
        400,
        'body-too-deep',
        `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`,
      );
    }
    next();
  });
  // Errors of the parsers above (and of anything else before the routes) end here, not in Express's own
  // handler, which answers HTML and prints the stack.
  express.use((error: unknown, _request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) return next(error);
    const known = BODY_ERRORS[(error as { type?: string })?.type ?? ''];
    if (known) return sendProblem(response, known.status, known.code, known.detail);
    const status = (error as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendProblem(response, status, 'malformed-body', 'The request body could not be read.');
    }
    next(error);
  });
}

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** How deep a parsed body nests, without recursion (a hostile body must not blow the stack). */
export function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > MAX_BODY_DEPTH) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}
