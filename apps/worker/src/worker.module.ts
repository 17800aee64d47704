import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import { EVENT_STORE, openEventStore, type EventStore } from '@signet/event-store';
import { DispatchRuntime, PrivateRedis, redisLocation } from '@signet/messaging';

const WORKER_CONFIG = Symbol('WorkerConfig');

/**
 * The worker process: the CodeSent → job dispatcher and the BullMQ worker that sends codes. No HTTP. Shuts
 * down gracefully: no new events or jobs, in-flight sends finished and recorded, then the stores closed.
 */
@Module({})
export class WorkerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private runtime: DispatchRuntime | null = null;
  private privateRedis: PrivateRedis | null = null;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: SignetConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  static forRoot(config: SignetConfig): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: EVENT_STORE, useFactory: (): EventStore => openEventStore(config) },
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const { dispatch } = this.config;
    if (dispatch.privateRedis) this.privateRedis = await PrivateRedis.start(dispatch.privateRedis);
    this.runtime = await DispatchRuntime.start({ config: this.config, store: this.store });
    this.logger.log(
      `Code dispatch worker running: provider ${dispatch.provider.name}, ${redisLocation(dispatch)}, ` +
        `concurrency ${dispatch.concurrency}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime?.close();
    await this.store.close();
    await this.privateRedis?.stop();
  }
}
