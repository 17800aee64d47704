import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defer, type Observable } from 'rxjs';
import { IDEMPOTENT, IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { MetricsInterceptor } from '../metrics/metrics.interceptor';

/**
 * The API's one Nest interceptor: the metrics around, `Idempotency-Key` within on the controllers marked
 * `@Idempotent()`, as when they were two (metrics global, idempotency on those controllers). Nest 11 wraps the
 * next step of each interceptor in an `AsyncResource.bind` (20–24 µs a call under load), so two interceptors cost
 * a command three of them and one costs two; what each counts, refuses and replays is the same.
 */
@Injectable()
export class EdgeInterceptor implements NestInterceptor {
  /** Whether a controller is marked idempotent, looked up once per controller. */
  private readonly idempotent = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: MetricsInterceptor,
    private readonly idempotency: IdempotencyInterceptor,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.isIdempotent(context.getClass())) return this.metrics.intercept(context, next);
    // Deferred as Nest defers the next interceptor: it runs when the metrics subscribe, and what it throws is
    // an error of the stream the metrics see.
    const inner: CallHandler = { handle: () => defer(() => this.idempotency.intercept(context, next)) };
    return this.metrics.intercept(context, inner);
  }

  private isIdempotent(controller: object): boolean {
    let marked = this.idempotent.get(controller);
    if (marked === undefined) {
      marked = this.reflector.get<boolean | undefined>(IDEMPOTENT, controller as never) === true;
      this.idempotent.set(controller, marked);
    }
    return marked;
  }
}
