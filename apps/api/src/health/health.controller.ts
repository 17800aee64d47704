import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth';
import { schemaRef } from '../openapi/schemas';
import { HealthRegistry, type DependencyStatus } from '../core/health-registry';

@ApiTags('Health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthRegistry) {}

  /** The process is alive (for a liveness probe: restart it if not). */
  @Get('live')
  @HttpCode(200)
  @ApiOkResponse({ schema: schemaRef('HealthLive') })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every dependency answers (for a readiness probe: send traffic only if so). 503 names what is down. */
  @Get('ready')
  @ApiOkResponse({ schema: schemaRef('HealthReport') })
  @ApiServiceUnavailableResponse({ schema: schemaRef('HealthReport') })
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: 'ok' | 'unavailable'; dependencies: Record<string, DependencyStatus> }> {
    const dependencies = await this.health.report();
    const ok = Object.values(dependencies).every((d) => d.status === 'up');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', dependencies };
  }
}
