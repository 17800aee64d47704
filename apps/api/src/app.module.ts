import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { SignetConfig } from '@signet/config';
import { AuditModule } from './audit/audit.module';
import { JwtAuthGuard } from './auth/auth';
import { CoreModule } from './core/core.module';
import { EdgeInterceptor } from './edge/edge-interceptor';
import { HealthModule } from './health/health.module';
import { MethodsPolicyModule } from './methods-policy/methods-policy.module';
import { MetricsModule } from './metrics/metrics.module';
import { PersonalDataModule } from './privacy/personal-data.module';
import { ProblemJsonFilter } from './problem/problem-json.filter';
import { ReadModelModule } from './read-model/read-model.module';
import { RateLimits, UserRateLimitGuard } from './throttle/rate-limits';
import { SecurityInfoModule } from './security-info/security-info.module';
import { SignInChallengesModule } from './sign-in-challenges/sign-in-challenges.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebPageModule } from './web-page/web-page.module';

/** The HTTP service for one configuration: the shared core plus one module per capability. */
@Module({})
export class AppModule {
  static forRoot(config: SignetConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        CqrsModule.forRoot(),
        MethodsPolicyModule,
        SecurityInfoModule,
        SignInChallengesModule,
        HealthModule,
        AuditModule,
        ReadModelModule,
        PersonalDataModule,
        WebhooksModule,
        MetricsModule,
        WebPageModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        // After the token is checked: commands per person (per-address limits are middleware, see bootstrap).
        RateLimits,
        { provide: APP_GUARD, useClass: UserRateLimitGuard },
        { provide: APP_FILTER, useClass: ProblemJsonFilter },
        // Metrics around every route, Idempotency-Key within on the controllers marked @Idempotent().
        { provide: APP_INTERCEPTOR, useClass: EdgeInterceptor },
      ],
    };
  }
}
