import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TokenVerifier } from '@signet/auth';
import type { SignetConfig } from '@signet/config';
import { EVENT_STORE, observedEventStore, openEventStore, type EventStore } from '@signet/event-store';
import { IDEMPOTENCY_STORE, openIdempotencyStore, type IdempotencyStore } from '@signet/idempotency';
import { PersonalData } from '@signet/personal-data';
import { CLOCK, systemClock } from '../clock';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { apiMetrics } from '../metrics/api-metrics';
import { HealthRegistry } from './health-registry';

export const SIGNET_CONFIG = Symbol('SignetConfig');

/**
 * What every feature module shares: the configuration, the clock, the event store, the idempotency store,
 * token verification and the health registry. Stores are opened here once and closed on shutdown.
 */
@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
    @Inject(SIGNET_CONFIG) config: SignetConfig,
    private readonly personalData: PersonalData,
    health: HealthRegistry,
  ) {
    // Readiness asks each store to prove it can still make a write durable where it should (a write probe, the
    // file still the one opened), not only that it answers: a deleted or read-only DATA_DIR is "down".
    health.register(
      'eventStore',
      () => eventStore.ping({ write: true }),
      config.eventStore.url ? 'eventstoredb' : 'sqlite',
    );
    health.register(
      'keyStore',
      () => personalData.keyStore.ping({ write: true }),
      config.personalData.keyStore.url ? 'mongodb' : 'sqlite',
    );
    health.register(
      'idempotencyStore',
      () => idempotency.ping({ write: true }),
      config.readModel.url ? 'mongodb' : 'sqlite',
    );
  }

  static forRoot(config: SignetConfig): DynamicModule {
    // Personal data is sealed under each person's key at every store that keeps it (libs/personal-data).
    const personalData = PersonalData.open(config);
    const providers = [
      { provide: SIGNET_CONFIG, useValue: config },
      { provide: PersonalData, useValue: personalData },
      { provide: CLOCK, useValue: systemClock },
      {
        provide: EVENT_STORE,
        useFactory: (): EventStore =>
          observedEventStore(personalData.sealing(openEventStore(config)), ({ seconds, outcome }) =>
            apiMetrics.appendDuration.observe({ outcome }, seconds),
          ),
      },
      // Shared by every instance on MongoDB (MONGO_URL), so a retry reaching another instance is recognised.
      {
        provide: IDEMPOTENCY_STORE,
        useFactory: (): IdempotencyStore => personalData.sealingIdempotency(openIdempotencyStore(config)),
      },
      {
        provide: TokenVerifier,
        useValue: new TokenVerifier(config.jwt, {
          maxLifetimeSeconds: config.http.maxTokenLifetimeSeconds,
        }),
      },
      HealthRegistry,
      IdempotencyInterceptor,
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => ('provide' in p ? p.provide : p)) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.eventStore.close();
    await this.idempotency.close();
    await this.personalData.close();
  }
}
