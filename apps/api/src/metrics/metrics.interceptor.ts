import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { tap, type Observable } from 'rxjs';
import { problemFrom } from '../problem/problem';
import { apiMetrics } from './api-metrics';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Commands by type and outcome with their latency, and refusals by code. A command's type is its handler's name
 * (`addPhoneMethod` → `AddPhoneMethod`); refusals are counted for queries too.
 */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const handler = context.getHandler().name;
    const command = READS.has(request.method) ? null : handler.charAt(0).toUpperCase() + handler.slice(1);
    const started = performance.now();
    const done = (outcome: 'accepted' | 'refused' | 'failed') => {
      if (!command) return;
      apiMetrics.commands.inc({ command, outcome });
      apiMetrics.commandDuration.observe({ command, outcome }, (performance.now() - started) / 1000);
    };
    return next.handle().pipe(
      tap({
        next: () => done('accepted'),
        error: (error: unknown) => {
          const { problem } = problemFrom(error);
          if (problem.status < 500) apiMetrics.refusals.inc({ code: problem.code });
          done(problem.status < 500 ? 'refused' : 'failed');
        },
      }),
    );
  }
}
