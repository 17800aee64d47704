import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import { IDEMPOTENCY_STORE, type IdempotencyStore } from '@signet/idempotency';
import type { Response } from 'express';
import { Public } from '../auth/auth';

type DependencyStatus = { status: 'up' } | { status: 'down'; error: string };

@ApiTags('Health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
  ) {}

  /** The process is alive (for a liveness probe: restart it if not). */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every dependency answers (for a readiness probe: send traffic only if so). 503 names what is down. */
  @Get('ready')
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: 'ok' | 'unavailable'; dependencies: Record<string, DependencyStatus> }> {
    const dependencies = {
      eventStore: await check(() => this.eventStore.ping()),
      idempotencyStore: await check(() => this.idempotency.ping()),
    };
    const ok = Object.values(dependencies).every((d) => d.status === 'up');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', dependencies };
  }
}

async function check(ping: () => Promise<void>): Promise<DependencyStatus> {
  try {
    await ping();
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message };
  }
}
