import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TokenVerifier } from '@signet/auth';
import type { SignetConfig } from '@signet/config';
import { EVENT_STORE, openEventStore, type EventStore } from '@signet/event-store';
import { IDEMPOTENCY_STORE, openIdempotencyStore, type IdempotencyStore } from '@signet/idempotency';
import { CLOCK, systemClock } from '../clock';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
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
      'idempotencyStore',
      () => idempotency.ping({ write: true }),
      config.readModel.url ? 'mongodb' : 'sqlite',
    );
  }

  static forRoot(config: SignetConfig): DynamicModule {
    const providers = [
      { provide: SIGNET_CONFIG, useValue: config },
      { provide: CLOCK, useValue: systemClock },
      { provide: EVENT_STORE, useFactory: (): EventStore => openEventStore(config) },
      // Shared by every instance on MongoDB (MONGO_URL), so a retry reaching another instance is recognised.
      { provide: IDEMPOTENCY_STORE, useFactory: (): IdempotencyStore => openIdempotencyStore(config) },
      { provide: TokenVerifier, useValue: new TokenVerifier(config.jwt) },
      HealthRegistry,
      IdempotencyInterceptor,
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => ('provide' in p ? p.provide : p)) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.eventStore.close();
    await this.idempotency.close();
  }
}
