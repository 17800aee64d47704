import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TokenVerifier } from '@signet/auth';
import type { SignetConfig } from '@signet/config';
import { VerificationCodes } from '@signet/domain';
import { EVENT_STORE, SqliteEventStore, type EventStore } from '@signet/event-store';
import { IDEMPOTENCY_STORE, SqliteIdempotencyStore, type IdempotencyStore } from '@signet/idempotency';
import { join } from 'node:path';
import { JwtAuthGuard } from './auth/auth';
import { CLOCK, systemClock } from './clock';
import { HealthController } from './health/health.controller';
import { ProblemJsonFilter } from './problem/problem-json.filter';
import { DECISION_SETTINGS, type DecisionSettings } from './security-info/decision-settings';
import { HandleSecurityInfoCommandHandler } from './security-info/security-info-command';
import { SecurityInfoController } from './security-info/security-info.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { ModuleRef } from '@nestjs/core';

export const SIGNET_CONFIG = Symbol('SignetConfig');

/** The HTTP service, wired for one configuration. Stores are opened here and closed on shutdown. */
@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(private readonly moduleRef: ModuleRef) {}

  static forRoot(config: SignetConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [SecurityInfoController, HealthController],
      providers: [
        { provide: SIGNET_CONFIG, useValue: config },
        { provide: CLOCK, useValue: systemClock },
        {
          provide: EVENT_STORE,
          useFactory: (): EventStore => new SqliteEventStore(config.eventStore),
        },
        {
          provide: IDEMPOTENCY_STORE,
          useFactory: (): IdempotencyStore =>
            new SqliteIdempotencyStore({ filename: join(config.dataDir, 'idempotency.sqlite') }),
        },
        {
          provide: DECISION_SETTINGS,
          useValue: {
            policy: config.policy,
            codes: new VerificationCodes(config.codeSecret),
          } satisfies DecisionSettings,
        },
        { provide: TokenVerifier, useValue: new TokenVerifier(config.jwt) },
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_FILTER, useClass: ProblemJsonFilter },
        IdempotencyInterceptor,
        HandleSecurityInfoCommandHandler,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.moduleRef.get<EventStore>(EVENT_STORE).close();
    await this.moduleRef.get<IdempotencyStore>(IDEMPOTENCY_STORE).close();
  }
}
