import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { SignetConfig } from '@signet/config';
import { metricsAuthorised, metricsRegistry } from '@signet/lifecycle';
import type { ProjectionStatus } from '@signet/read-model';
import type { Response } from 'express';
import { Public } from '../auth/auth';
import { SIGNET_CONFIG } from '../core/core.module';
import { ProblemException } from '../problem/problem';
import { GetProjectionStatuses } from '../read-model/projections.query';
import { apiMetrics } from './api-metrics';

/** Prometheus metrics, outside /v1 like health; behind METRICS_TOKEN when it is set. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(SIGNET_CONFIG) private readonly config: SignetConfig,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  async metrics(
    @Headers('authorization') authorization: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    if (!metricsAuthorised(authorization, this.config.http.metricsToken)) {
      throw new ProblemException(
        401,
        'unauthorized',
        'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.',
        {},
        { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      );
    }
    await this.refreshProjectionLag();
    response.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  }

  /** Projection lag is read from the stores when scraped (any instance sees the same). */
  private async refreshProjectionLag(): Promise<void> {
    try {
      const statuses: ProjectionStatus[] = await this.queries.execute(new GetProjectionStatuses());
      for (const status of statuses) {
        apiMetrics.projectionLagEvents.set({ projection: status.name }, status.lagEvents);
        apiMetrics.projectionLagSeconds.set({ projection: status.name }, status.lagSeconds);
      }
    } catch {
      // A store that does not answer is readiness's business; the other metrics are still worth serving.
    }
  }
}
