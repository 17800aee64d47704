import type { Principal } from '@signet/auth';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { RequestOrigin } from '../request-context';

type LoggedRequest = Request & { origin?: RequestOrigin; principal?: Principal };

/**
 * One JSON line per request, when it is answered: method, path, status, time, and correlationId, requestId,
 * userId and route. Never a header's value, a body, a code or a full number (the path holds ids only).
 *
 * One call of the process's logger per request, with the fields in the order the line has always had
 * (pino-http's, which built four child loggers per request to write it: ≈5 % of a command's CPU).
 */
export function requestLog(logger: Pick<Logger, 'info' | 'error'>): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const started = Date.now();
    // As the request arrived (routers rewrite `url` on their way).
    const req = { method: request.method, url: request.url };
    const onAnswered = (error?: Error) => {
      response.removeListener('finish', onAnswered);
      response.removeListener('close', onAnswered);
      response.removeListener('error', onAnswered);
      const r = request as LoggedRequest;
      const route = (r.route as { path?: string } | undefined)?.path;
      const status = response.statusCode;
      const ms = Date.now() - started;
      const line = {
        requestId: r.origin?.requestId ?? '',
        req,
        // Known once the request is answered; a request cut short before its answer has none of them.
        ...(response.headersSent
          ? {
              correlationId: r.origin?.correlationId,
              userId: r.principal?.subject ?? null,
              route: route ? `${r.baseUrl}${route}` : null,
            }
          : {}),
        res: { statusCode: status },
        ms,
      };
      if (error || status >= 500) {
        logger.error(
          { ...line, err: error ?? new Error(`failed with status code ${status}`) },
          `${r.method} ${pathOf(r)} ${status}`,
        );
      } else logger.info(line, `${r.method} ${pathOf(r)} ${status} ${ms} ms`);
    };
    response.on('finish', onAnswered);
    response.on('close', onAnswered);
    response.on('error', onAnswered);
    next();
  };
}

function pathOf(request: LoggedRequest): string {
  return request.originalUrl.split('?')[0];
}
