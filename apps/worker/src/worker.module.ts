import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { waitForDependencies, withTimeout, type Dependency, type SignetConfig } from '@signet/config';
import {
  EVENT_STORE,
  eventStoreDependency,
  observedEventStore,
  openEventStore,
  type EventStore,
} from '@signet/event-store';
import { serveMetrics } from '@signet/lifecycle';
import { DispatchRuntime, PrivateRedis, redisDependency, redisLocation } from '@signet/messaging';
import type { Server } from 'node:http';
import { instrumentRuntime, observeWorkerAppend } from './worker-metrics';

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
  private metrics: Server | null = null;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: SignetConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  static forRoot(config: SignetConfig): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        {
          provide: EVENT_STORE,
          useFactory: (): EventStore => observedEventStore(openEventStore(config), observeWorkerAppend),
        },
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const { dispatch } = this.config;
    try {
      // The private redis-server is started here and answers once started; an external one is waited for.
      if (dispatch.privateRedis) this.privateRedis = await PrivateRedis.start(dispatch.privateRedis);
      const dependencies: Dependency[] = [eventStoreDependency(this.store, this.config)];
      if (!dispatch.privateRedis) dependencies.push(redisDependency(dispatch.redisUrl));
      // An unreachable store stops start-up here, named, before any event is read or job taken.
      await waitForDependencies(dependencies, this.config.startupWaitMs);
    } catch (error) {
      await this.releaseAfterFailedStart();
      throw error;
    }
    this.runtime = await DispatchRuntime.start({ config: this.config, store: this.store });
    instrumentRuntime(this.runtime);
    const metricsPort = this.config.http.workerMetricsPort;
    if (metricsPort !== undefined) {
      this.metrics = await serveMetrics(metricsPort, this.config.host, this.config.http.metricsToken);
      const address = this.metrics.address();
      this.logger.log(
        `Worker metrics on http://${this.config.host}:${typeof address === 'object' && address ? address.port : metricsPort}/metrics`,
      );
    }
    this.logger.log(
      `Code dispatch worker running: provider ${dispatch.provider.name}, ${redisLocation(dispatch)}, ` +
        `concurrency ${dispatch.concurrency}`,
    );
  }

  /** Releases what start-up opened, but never hangs on a store that is not there. */
  private async releaseAfterFailedStart(): Promise<void> {
    await withTimeout(Promise.all([this.store.close(), this.privateRedis?.stop()]), 2000).catch(
      () => undefined,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.metrics?.close();
    await this.runtime?.close();
    await this.store.close();
    await this.privateRedis?.stop();
  }
}
