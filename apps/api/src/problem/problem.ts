import { HttpException, HttpStatus } from '@nestjs/common';
import { SecurityInfoRefusal, type RefusalKind } from '@signet/domain';
import { WrongExpectedRevisionError } from '@signet/event-store';
import { StaleRevisionError } from '@signet/command-handling';
import { StoreUnavailableError } from '@signet/config';

/** An RFC 9457 problem document, with a stable machine-readable `code` for front ends to switch on. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

/** Extra response headers a problem needs (Retry-After, WWW-Authenticate). */
export interface ProblemResponse {
  problem: Problem;
  headers: Record<string, string>;
}

// A URN, not a URL: stable and unambiguous without pretending to a web page we do not serve.
const TYPE_BASE = 'urn:signet:problem:';

/** The HTTP status of each kind of domain refusal (the OpenAPI document derives its problem codes from it). */
export const STATUS_OF_KIND: Record<RefusalKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  notFound: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  gone: HttpStatus.GONE,
  tooSoon: HttpStatus.TOO_MANY_REQUESTS,
  stepUp: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
};

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition failed',
  413: 'Content too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  428: 'Precondition required',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** A refusal raised by the HTTP shell itself (bad token, bad If-Match, ...), already in problem terms. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail, status);
  }
}

export function problem(
  status: number,
  code: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: `${TYPE_BASE}${code}`,
    title: TITLES[status] ?? HttpStatus[status] ?? 'Error',
    status,
    detail,
    code,
    ...extensions,
  };
}

/**
 * The one mapping from anything thrown while handling a request to the problem the client sees. Used by the
 * exception filter and by the idempotency interceptor (which must remember refusals as well as successes).
 */
export function problemFrom(error: unknown): ProblemResponse {
  if (error instanceof SecurityInfoRefusal) {
    const status = STATUS_OF_KIND[error.kind];
    const headers: Record<string, string> = {};
    const extensions: Record<string, unknown> = {};
    if (error.details.field) extensions.errors = [{ field: error.details.field, message: error.message }];
    if (error.details.attemptsRemaining !== undefined)
      extensions.attemptsRemaining = error.details.attemptsRemaining;
    if (error.details.retryAt) {
      extensions.retryAt = error.details.retryAt;
      headers['Retry-After'] = String(
        Math.max(1, Math.ceil((Date.parse(error.details.retryAt) - Date.now()) / 1000)),
      );
    }
    if (error.details.stepUp) headers['WWW-Authenticate'] = stepUpChallenge(error.details.stepUp);
    return { problem: problem(status, error.code, error.message, extensions), headers };
  }
  if (error instanceof StaleRevisionError) {
    return {
      problem: problem(412, 'precondition-failed', error.message, {
        currentRevision: error.actual === null ? null : error.actual.toString(),
      }),
      headers: {},
    };
  }
  if (error instanceof WrongExpectedRevisionError) {
    return {
      problem: problem(
        409,
        'concurrent-update',
        'Too many changes to this Security info at once; nothing was recorded, retry.',
      ),
      headers: { 'Retry-After': '1' },
    };
  }
  if (error instanceof StoreUnavailableError) {
    // Nothing was recorded (a write that cannot be made durable is never acknowledged): retry later.
    return {
      problem: problem(
        503,
        'store-unavailable',
        `${error.store.charAt(0).toUpperCase()}${error.store.slice(1)} cannot record anything now; nothing was ` +
          'recorded, retry later.',
        { store: error.store },
      ),
      headers: { 'Retry-After': '5' },
    };
  }
  if (error instanceof ProblemException) {
    return {
      problem: problem(error.getStatus(), error.code, error.message, error.extensions),
      headers: error.headers,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const detail =
      typeof response === 'object' && response && 'message' in response
        ? [response.message].flat().join('; ')
        : error.message;
    const code = status === 404 ? 'route-not-found' : status === 400 ? 'bad-request' : `http-${status}`;
    return { problem: problem(status, code, String(detail)), headers: {} };
  }
  // Never echo an unexpected error's message: it may hold internals.
  return {
    problem: problem(
      500,
      'internal-error',
      'Something went wrong on our side; nothing you sent was recorded twice.',
    ),
    headers: {},
  };
}

/**
 * RFC 9470's challenge: the client signs the person in again (with `max_age`, and `acr_values` when asked)
 * and repeats the request with the new token.
 */
export function stepUpChallenge(stepUp: { maxAgeSeconds: number; acrValues: string[] }): string {
  return [
    'Bearer error="insufficient_user_authentication"',
    'error_description="A more recent or stronger sign-in is required to change security info"',
    `max_age=${stepUp.maxAgeSeconds}`,
    ...(stepUp.acrValues.length ? [`acr_values="${stepUp.acrValues.join(' ')}"`] : []),
  ].join(', ');
}
