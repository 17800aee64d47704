import {
  Inject,
  Injectable,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Principal } from '@signet/auth';
import { SecurityInfoRefusal, type RefusalKind } from '@signet/domain';
import { IDEMPOTENCY_STORE, type IdempotencyStore, type StoredResponse } from '@signet/idempotency';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { catchError, from, mergeMap, of, throwError, type Observable } from 'rxjs';
import { ProblemException, problemFrom, type Problem } from '../problem/problem';

const KEY = /^[\x21-\x7e]{1,255}$/;
/** Headers worth replaying: the rest are recomputed per response. */
const KEPT_HEADERS = ['etag', 'location', 'retry-after'];

/**
 * Refusals that say nothing final: bad input, a limit time lifts, a sign-in to renew (step-up, then retry),
 * a policy an administrator may change.
 */
const UNDECIDED_KINDS: ReadonlySet<RefusalKind> = new Set(['invalid', 'tooSoon', 'stepUp', 'forbidden']);

/** Marks a controller whose POSTs honour `Idempotency-Key` (run by the API's one interceptor, `EdgeInterceptor`). */
export const IDEMPOTENT = 'signet:idempotent';
export const Idempotent = (): ClassDecorator => SetMetadata(IDEMPOTENT, true);

/** A refusal answered before, replayed as it was. */
export class ReplayedProblemException extends ProblemException {
  constructor(readonly stored: StoredResponse) {
    const body = stored.body as Problem;
    const { type: _type, title: _title, status: _status, detail, code, ...extensions } = body;
    super(stored.status, code, detail, extensions, stored.headers);
  }
}

/**
 * `Idempotency-Key` on POSTs: the first answer to a key is kept (24 h) and given again to every retry with the
 * same key and body, so a client that lost the response can retry without recording anything twice. A retry
 * while the first is still running gets 409; the same key with a different body gets 422.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(@Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { principal?: Principal }>();
    const response = http.getResponse<Response>();
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined) return next.handle();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new ProblemException(
        400,
        'invalid-idempotency-key',
        'Idempotency-Key must be 1 to 255 visible ASCII characters.',
      );
    }
    const scope = `${request.principal?.subject ?? ''} ${request.method} ${request.path}`;
    const fingerprint = createHash('sha256')
      .update(canonicalJson(request.body ?? null))
      .digest('hex');

    return from(this.store.claim(scope, key, fingerprint)).pipe(
      mergeMap((claim) => {
        switch (claim.outcome) {
          case 'mismatch':
            throw new ProblemException(
              422,
              'idempotency-key-reused',
              'This Idempotency-Key was already used for a different request.',
            );
          case 'inFlight':
            throw new ProblemException(
              409,
              'idempotency-key-in-flight',
              'A request with this Idempotency-Key is still being processed; retry shortly.',
              {},
              { 'Retry-After': '1' },
            );
          case 'completed': {
            response.setHeader('Idempotent-Replayed', 'true');
            if (claim.response.status >= 400) throw new ReplayedProblemException(claim.response);
            response.status(claim.response.status).set(claim.response.headers);
            return of(claim.response.body);
          }
          case 'claimed':
            return next.handle().pipe(
              mergeMap((body: unknown) =>
                from(
                  this.store.complete(scope, key, {
                    status: response.statusCode,
                    headers: kept(response),
                    body,
                  }),
                ).pipe(mergeMap(() => of(body))),
              ),
              catchError((error: unknown) =>
                from(this.settle(scope, key, error, response)).pipe(mergeMap(() => throwError(() => error))),
              ),
            );
        }
      }),
    );
  }

  /**
   * An outcome of the rules on the account as it stood (a wrong code, a conflict, a missing method) is the
   * answer to this key. Bad input, a limit that time lifts, a lost race or a crash recorded nothing and say
   * nothing final, so the key is released and a corrected or later retry runs afresh.
   */
  private async settle(scope: string, key: string, error: unknown, response: Response): Promise<void> {
    // A refusal that recorded something (a wrong code) is decided; other bad input and limits are not.
    const decided =
      error instanceof SecurityInfoRefusal &&
      (error.recordedEvents.length > 0 || !UNDECIDED_KINDS.has(error.kind));
    if (!decided) return this.store.release(scope, key);
    const { problem, headers } = problemFrom(error);
    await this.store.complete(scope, key, {
      status: problem.status,
      headers: { ...kept(response), ...headers },
      body: problem,
    });
  }
}

/** JSON with every object's keys sorted: the same fields in another order are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function kept(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = response.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}
