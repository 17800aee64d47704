import { Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { apiMetrics } from './api-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsInterceptor } from './metrics.interceptor';

@Module({
  controllers: [MetricsController],
  // Run by the API's one interceptor (EdgeInterceptor, in the AppModule).
  providers: [MetricsInterceptor],
  exports: [MetricsInterceptor],
})
export class MetricsModule {}

/** Express middleware: every answer counted by method, route template (never the raw path) and status. */
export function httpMetrics(request: Request, response: Response, next: NextFunction): void {
  const started = performance.now();
  response.once('finish', () => {
    const route = (request.route as { path?: string } | undefined)?.path;
    const labels = { method: request.method, route: route ? `${request.baseUrl}${route}` : 'unmatched' };
    apiMetrics.httpRequests.inc({ ...labels, status: String(response.statusCode) });
    apiMetrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
  });
  next();
}
