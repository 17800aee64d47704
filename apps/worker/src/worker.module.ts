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
import { serveMetrics, type ProcessControl } from '@signet/lifecycle';
import { PersonalData } from '@signet/personal-data';
import { LiveProjectionRunners, openReadModelStore, type ReadModelStore } from '@signet/read-model';
import {
  answersPing,
  DispatchRuntime,
  pingRedis,
  PrivateRedis,
  redisDependency,
  redisLocation,
} from '@signet/messaging';
import type { Server } from 'node:http';
import { WorkerHealth } from './worker-health';
import { instrumentRuntime, observeWorkerAppend } from './worker-metrics';

const WORKER_CONFIG = Symbol('WorkerConfig');
const PROCESS_CONTROL = Symbol('ProcessControl');
const READ_MODEL = Symbol('ReadModel');

/**
 * The worker process: the CodeSent → job dispatcher and the BullMQ worker that sends codes, and the
 * projections no request waits on (the as-of snapshots: `liveProjectionsIn('worker')`). No HTTP. Shuts down
 * gracefully: no new events or jobs, in-flight sends finished and recorded, the projections' last batches
 * committed, then the stores closed.
 */
@Module({})
export class WorkerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private runtime: DispatchRuntime | null = null;
  private privateRedis: PrivateRedis | null = null;
  private health: WorkerHealth | null = null;
  private metrics: Server | null = null;
  private projections: LiveProjectionRunners | null = null;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: SignetConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL) private readonly readModel: ReadModelStore,
    @Inject(PROCESS_CONTROL) private readonly control: ProcessControl,
  ) {}

  static forRoot(config: SignetConfig, control: ProcessControl): DynamicModule {
    const personalData = PersonalData.open(config);
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: PROCESS_CONTROL, useValue: control },
        {
          provide: EVENT_STORE,
          // The worker opens the numbers it sends to: the events it reads are sealed (libs/personal-data).
          useFactory: (): EventStore =>
            observedEventStore(
              personalData.sealing(openEventStore(config), { closesKeys: true }),
              observeWorkerAppend,
            ),
        },
        {
          provide: READ_MODEL,
          // Its documents sealed under each person's key, as the API's (the same key store and cache).
          useFactory: (): ReadModelStore => personalData.sealingReadModel(openReadModelStore(config)),
        },
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const { dispatch } = this.config;
    try {
      // The private redis-server is started here and answers once started; an external one is waited for.
      // Kept alive while the worker runs: restarted on its append-only file if it dies; if it will not come
      // back, the worker stops (exit 1) so that its supervisor restarts it, rather than run sending nothing.
      if (dispatch.privateRedis)
        this.privateRedis = await PrivateRedis.start({
          ...dispatch.privateRedis,
          onLost: (error) => this.control.fail(error),
        });
      // Not the read model: sending codes must not wait on it (the snapshots' runner retries until it answers).
      const dependencies: Dependency[] = [eventStoreDependency(this.store, this.config)];
      if (!dispatch.privateRedis) dependencies.push(redisDependency(dispatch.redisUrl));
      // An unreachable store stops start-up here, named, before any event is read or job taken.
      await waitForDependencies(dependencies, this.config.startupWaitMs);
    } catch (error) {
      await this.releaseAfterFailedStart();
      throw error;
    }
    this.runtime = await DispatchRuntime.start({ config: this.config, store: this.store });
    this.projections = new LiveProjectionRunners({
      host: 'worker',
      readModel: this.config.readModel,
      eventStore: this.store,
      store: this.readModel,
      loggerFor: (projection) => new Logger(`Projection ${projection.name}`),
    });
    this.projections.start();
    if (dispatch.healthPort !== null) {
      const privateSocket = dispatch.privateRedis?.socket;
      this.health = await WorkerHealth.listen(dispatch.healthPort, this.config.host, {
        redis: {
          kind: privateSocket ? 'private-redis-server' : 'redis',
          ping: async () => {
            if (!privateSocket) return pingRedis(dispatch.redisUrl);
            if (!(await answersPing(privateSocket))) throw new Error(`no answer on ${privateSocket}`);
          },
        },
        eventStore: {
          kind: this.config.eventStore.url ? 'eventstoredb' : 'sqlite',
          ping: () => this.store.ping({ write: true }),
        },
      });
    }
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
    await withTimeout(
      Promise.all([this.store.close(), this.readModel.close(), this.privateRedis?.stop()]),
      2000,
    ).catch(() => undefined);
  }

  /** Within SHUTDOWN_TIMEOUT_MS (less a margin for the rest): each step bounded, none can hang the exit. */
  async onApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + Math.max(1000, this.config.shutdownTimeoutMs - 2000);
    const left = () => Math.max(500, deadline - Date.now());
    await this.health?.close();
    this.metrics?.close();
    await this.runtime?.close(left() - 500);
    await withTimeout(this.projections?.stop() ?? Promise.resolve(), left()).catch((error: unknown) =>
      this.logger.warn(`Stopping the projections: ${(error as Error).message}`),
    );
    await withTimeout(this.readModel.close(), left()).catch((error: unknown) =>
      this.logger.warn(`Closing the read model: ${(error as Error).message}`),
    );
    await withTimeout(this.store.close(), left()).catch((error: unknown) =>
      this.logger.warn(`Closing the event store: ${(error as Error).message}`),
    );
    await this.privateRedis?.stop(left());
  }
}
