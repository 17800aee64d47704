import type { Principal } from '@signet/auth';
import type { SignetConfig } from '@signet/config';
import { pinoFor } from '@signet/lifecycle';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { RequestOrigin } from '../request-context';

type LoggedRequest = Request & { origin?: RequestOrigin; principal?: Principal };

/**
 * One JSON line per request, when it is answered: method, path, status, time, and correlationId, requestId,
 * userId and route. Never a header's value, a body, a code or a full number (the path holds ids only).
 */
export function requestLog(config: SignetConfig): RequestHandler {
  return pinoHttp({
    logger: pinoFor(config),
    genReqId: (request) => (request as LoggedRequest).origin?.requestId ?? '',
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'ms' },
    customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (request, response, time) =>
      `${request.method} ${pathOf(request as LoggedRequest)} ${response.statusCode} ${time} ms`,
    customErrorMessage: (request, response) =>
      `${request.method} ${pathOf(request as LoggedRequest)} ${response.statusCode}`,
    // Bound once the request is answered (its user and route are known by then).
    customProps: (request, response) => {
      if (!response.headersSent) return {};
      const r = request as LoggedRequest;
      const route = (r.route as { path?: string } | undefined)?.path;
      return {
        correlationId: r.origin?.correlationId,
        userId: r.principal?.subject ?? null,
        route: route ? `${r.baseUrl}${route}` : null,
      };
    },
    serializers: {
      req: (request: { method: string; url: string }) => ({ method: request.method, url: request.url }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
  }) as unknown as RequestHandler;
}

function pathOf(request: LoggedRequest): string {
  return request.originalUrl.split('?')[0];
}
